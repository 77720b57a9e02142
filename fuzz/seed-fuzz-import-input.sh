#!/usr/bin/env bash
# Seeds for fuzz-import-input: --cli-input-json documents as the AWS CLI's
# --generate-cli-skeleton input has them, with the certificate and key as PEM
# text and as base64 of it, tags, nulls, and the mistakes the parser refuses
# (an unknown key, an integer CertificateArn). Named by SHA-1, as libFuzzer
# names its own. Usage: fuzz/seed-fuzz-import-input.sh OUTDIR
set -euo pipefail
out=${1:?OUTDIR}
mkdir -p "$out"
if [ -n "$(ls -A "$out")" ]; then
	echo "fuzz-import-input: $out already seeded"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem \
	-out c.pem -subj /CN=seed.example -days 30 2>/dev/null
python3 - "$out" <<'PY'
import base64, hashlib, json, os, sys
out = sys.argv[1]
cert, key = open("c.pem").read(), open("k.pem").read()
b64 = lambda s: base64.b64encode(s.encode()).decode()
docs = [
    {"CertificateArn": "", "Certificate": None, "PrivateKey": None, "CertificateChain": None,
     "Tags": [{"Key": "", "Value": ""}]},
    {"Certificate": cert, "PrivateKey": key},
    {"Certificate": b64(cert), "PrivateKey": b64(key), "CertificateChain": cert},
    {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
     "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team"}]},
    {"CertificateArm": "x"},
    {"CertificateArn": 5},
]
for d in docs:
    data = json.dumps(d).encode()
    open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb").write(data)
PY
echo "fuzz-import-input: $(find "$out" -type f | wc -l) seeds in $out"
