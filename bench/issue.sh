#!/usr/bin/env bash
# acmbridge issue against the script an operator writes today: openssl req,
# aws acm-pca issue-certificate, aws acm-pca wait certificate-issued, aws
# acm-pca get-certificate (certificate and chain) and aws acm
# import-certificate. Same local endpoint (zero in-progress polls), same CA
# (EC P-256) and key type, alternating. Reports the median wall time of a
# whole issue-and-import and the ratio. Target: at least 20x faster.
# Usage: bench/issue.sh [RUNS]      (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DACMB_TESTS=OFF >/dev/null
cmake --build build-bench -j2 --target acmbridge >/dev/null
ACMB=$PWD/build-bench/acmbridge
AWS=/usr/bin/aws
export ACMB_TESTS_DIR=$PWD/tests PYTHON3=/usr/bin/python3 AWS_PAGER= AWS_MAX_ATTEMPTS=1
# shellcheck source=../tests/lib/endpoint.sh
. tests/lib/endpoint.sh
# shellcheck source=../tests/pca/pca.sh
. tests/pca/pca.sh
D=$(mktemp -d "${TMPDIR:-/tmp}/acmb-bench-issue.XXXXXX")
trap 'rm -rf "$D"; _endpoint_on_exit' EXIT
endpoint_start --pca-pending-polls 0
pca_wait_ready
CA=$(pca_ca_arn ecp256)
URL=$ACMB_ENDPOINT_URL

now() { date +%s.%N; }

# What an operator runs today, step by step; the key sits in a file.
operator_script() {
	local dir=$1 arn
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/key.pem" -subj "/CN=bench.example.com" \
		-addext "subjectAltName=DNS:bench.example.com" -out "$dir/req.csr" 2>/dev/null
	arn=$("$AWS" --endpoint-url "$URL" acm-pca issue-certificate \
		--certificate-authority-arn "$CA" --csr "fileb://$dir/req.csr" \
		--signing-algorithm SHA256WITHECDSA --validity Value=90,Type=DAYS \
		--query CertificateArn --output text)
	"$AWS" --endpoint-url "$URL" acm-pca wait certificate-issued \
		--certificate-authority-arn "$CA" --certificate-arn "$arn"
	"$AWS" --endpoint-url "$URL" acm-pca get-certificate --certificate-authority-arn "$CA" \
		--certificate-arn "$arn" --query Certificate --output text >"$dir/cert.pem"
	"$AWS" --endpoint-url "$URL" acm-pca get-certificate --certificate-authority-arn "$CA" \
		--certificate-arn "$arn" --query CertificateChain --output text >"$dir/chain.pem"
	"$AWS" --endpoint-url "$URL" acm import-certificate --certificate "fileb://$dir/cert.pem" \
		--private-key "fileb://$dir/key.pem" --certificate-chain "fileb://$dir/chain.pem" \
		--query CertificateArn --output text >/dev/null
	rm -f "$dir/key.pem"
}

for i in $(seq 1 "$RUNS"); do
	endpoint_reset
	t0=$(now)
	"$ACMB" issue --endpoint-url "$URL" --pca-endpoint-url "$URL" \
		--certificate-authority-arn "$CA" --dns-name bench.example.com --validity 90d \
		--output text >/dev/null 2>"$D/acmb.err" || { cat "$D/acmb.err"; exit 1; }
	t1=$(now)
	echo "$t0 $t1" >>"$D/acmb.txt"
	endpoint_reset
	t0=$(now)
	operator_script "$D" 2>"$D/aws.err" || { cat "$D/aws.err"; exit 1; }
	t1=$(now)
	echo "$t0 $t1" >>"$D/aws.txt"
done

"$PYTHON3" - "$D/acmb.txt" "$D/aws.txt" "$RUNS" <<'PY'
import statistics, sys
def load(p):
    return [float(b) - float(a) for a, b in (l.split() for l in open(p) if l.strip())]
a = statistics.median(load(sys.argv[1]))
w = statistics.median(load(sys.argv[2]))
ratio = w / a if a > 0 else float("inf")
print(f"runs: {sys.argv[3]} each, alternating, same endpoint and CA (EC P-256), 0 in-progress polls")
print(f"acmbridge issue (key, CSR, issue, get, import, verify): median {a*1000:.0f} ms")
print(f"openssl req + aws acm-pca issue/wait/get x2 + aws acm import: median {w*1000:.0f} ms")
print(f"ratio: {ratio:.1f}x faster (target 20x)")
print("target:", "met" if ratio >= 20 else "MISSED")
sys.exit(0 if ratio >= 20 else 1)
PY
