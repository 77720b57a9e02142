#!/usr/bin/env bash
# Seeds for fuzz-jmespath: every expression of the JMESPath compliance suite
# (../shared/reference, or $ACMB_REFERENCE_DIR) and the queries the docs
# show, one file each, named by SHA-1 as libFuzzer names its own.
# Usage: fuzz/seed-fuzz-jmespath.sh OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: seed-fuzz-jmespath.sh OUTDIR}
ref=${ACMB_REFERENCE_DIR:-$here/../../shared/reference}
mkdir -p "$out"
/usr/bin/python3 - "$ref/jmespath-compliance/tests" "$out" <<'PY'
import glob, hashlib, json, os, sys
src, out = sys.argv[1], sys.argv[2]
exprs = ["Certificate.CertificateArn", "Certificate.Tags[?Key=='env'].Value | [0]",
         "Certificate.{arn: CertificateArn, sans: join(',', SubjectAlternativeNames)}",
         "sort_by(Certificate.Tags, &Key)[].Value", "Certificate.Counts[::-1]"]
for f in sorted(glob.glob(os.path.join(src, "*.json"))):
    for group in json.load(open(f)):
        exprs += [c["expression"] for c in group["cases"]]
if len(exprs) < 100:
    sys.exit("seed-fuzz-jmespath: no compliance suite under " + src)
for e in exprs:
    b = e.encode()
    with open(os.path.join(out, hashlib.sha1(b).hexdigest()), "wb") as fh:
        fh.write(b)
PY
