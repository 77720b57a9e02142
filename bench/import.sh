#!/usr/bin/env bash
# acmbridge import against `aws acm import-certificate`: same local endpoint,
# same files, same run, alternating, for an RSA-2048 and an EC P-256 leaf.
# Reports the median wall time per call, the peak RSS of each, and the ratio.
# Targets: at least 20x lower wall time per call, peak RSS under 16 MiB.
# acmbridge import makes 4 requests (the duplicate look-up, ImportCertificate,
# DescribeCertificate and GetCertificate to verify) to the AWS CLI's 1. The
# endpoint spends ~40 ms the first time it loads an RSA-2048 key
# (python3-cryptography 38 always runs OpenSSL's RSA key check) and caches
# the parsed key, so the runs measure the clients, both alike.
# Usage: bench/import.sh [RUNS]      (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
RUNS=${1:-15}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DACMB_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" --target acmbridge >/dev/null
ACMB=$PWD/build-bench/acmbridge
AWS=/usr/bin/aws
export ACMB_TESTS_DIR=$PWD/tests PYTHON3=/usr/bin/python3 AWS_PAGER= AWS_MAX_ATTEMPTS=1
# shellcheck source=../tests/lib/material.sh
. tests/lib/material.sh
# shellcheck source=../tests/lib/endpoint.sh
. tests/lib/endpoint.sh
mat_setup
trap 'mat_cleanup; _endpoint_on_exit' EXIT
D=$MAT_DIR
endpoint_start

# bench_one KEYSPEC LABEL: each tool imports into an empty account, so both do
# a new import; prints the summary and returns 1 when a target is missed.
bench_one() {
	local spec=$1 label=$2 i
	mat_cert "root-$label" --ca --key "$spec" --subj "/CN=Bench Root $label" >/dev/null
	mat_cert "inter-$label" --ca --issuer "root-$label" --key "$spec" \
		--subj "/CN=Bench Intermediate $label" >/dev/null
	mat_cert "leaf-$label" --issuer "inter-$label" --key "$spec" \
		--san "DNS:$label.bench.example.com" >/dev/null
	mat_chain "$D/chain-$label.pem" "inter-$label" "root-$label"
	: >"$D/acmb-$label.txt"
	: >"$D/aws-$label.txt"
	for i in $(seq 1 "$RUNS"); do
		endpoint_reset
		/usr/bin/time -f "%e %M" -a -o "$D/acmb-$label.txt" "$ACMB" import --output text \
			--endpoint-url "$ACMB_ENDPOINT_URL" --certificate "fileb://$D/leaf-$label.pem" \
			--private-key "fileb://$D/leaf-$label.key" \
			--certificate-chain "fileb://$D/chain-$label.pem" \
			>/dev/null 2>"$D/acmb.err" || { cat "$D/acmb.err"; return 2; }
		endpoint_reset
		/usr/bin/time -f "%e %M" -a -o "$D/aws-$label.txt" "$AWS" acm import-certificate \
			--output text --endpoint-url "$ACMB_ENDPOINT_URL" \
			--certificate "fileb://$D/leaf-$label.pem" \
			--private-key "fileb://$D/leaf-$label.key" \
			--certificate-chain "fileb://$D/chain-$label.pem" \
			>/dev/null 2>"$D/aws.err" || { cat "$D/aws.err"; return 2; }
	done
	"$PYTHON3" - "$D/acmb-$label.txt" "$D/aws-$label.txt" "$RUNS" "$label" <<'PY'
import statistics, sys
def load(p):
    rows = [l.split() for l in open(p) if l.strip() and l[0].isdigit()]
    return [float(r[0]) for r in rows], [int(r[1]) for r in rows]
at, am = load(sys.argv[1])
wt, wm = load(sys.argv[2])
a, w = statistics.median(at), statistics.median(wt)
ratio = w / a if a > 0 else float("inf")
ok = ratio >= 20 and max(am) < 16 * 1024
print(f"{sys.argv[4]} leaf + 2-cert chain, {sys.argv[3]} runs each, alternating:")
print(f"  acmbridge import           median {a*1000:.0f} ms, peak RSS {max(am)/1024:.1f} MiB")
print(f"  aws acm import-certificate median {w*1000:.0f} ms, peak RSS {max(wm)/1024:.1f} MiB")
print(f"  ratio {ratio:.1f}x (target 20x), RSS target 16 MiB: {'met' if ok else 'MISSED'}")
sys.exit(0 if ok else 1)
PY
}

status=0
bench_one rsa:2048 rsa2048 || status=1
bench_one ec:prime256v1 p256 || status=1
exit $status
