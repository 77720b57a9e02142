#!/usr/bin/env bash
# acmbridge import against `aws acm import-certificate`: same local endpoint,
# same files, same run, alternating. Reports the median wall time per call,
# the peak RSS of each, and the ratio.
# Targets: at least 20x lower wall time per call, peak RSS under 16 MiB.
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
mat_cert root --ca --key rsa:2048 --subj "/CN=Bench Root" >/dev/null
mat_cert inter --ca --issuer root --key rsa:2048 --subj "/CN=Bench Intermediate" >/dev/null
mat_cert leaf --issuer inter --key rsa:2048 --san DNS:bench.example.com >/dev/null
mat_chain "$D/chain.pem" inter root
endpoint_start

# Each tool imports into an empty account, so both do a new import.
for i in $(seq 1 "$RUNS"); do
	endpoint_reset
	/usr/bin/time -f "%e %M" -a -o "$D/acmb.txt" "$ACMB" import --output text \
		--endpoint-url "$ACMB_ENDPOINT_URL" --certificate "fileb://$D/leaf.pem" \
		--private-key "fileb://$D/leaf.key" --certificate-chain "fileb://$D/chain.pem" \
		>/dev/null 2>"$D/acmb.err" || { cat "$D/acmb.err"; exit 1; }
	endpoint_reset
	/usr/bin/time -f "%e %M" -a -o "$D/aws.txt" "$AWS" acm import-certificate --output text \
		--endpoint-url "$ACMB_ENDPOINT_URL" --certificate "fileb://$D/leaf.pem" \
		--private-key "fileb://$D/leaf.key" --certificate-chain "fileb://$D/chain.pem" \
		>/dev/null 2>"$D/aws.err" || { cat "$D/aws.err"; exit 1; }
done

"$PYTHON3" - "$D/acmb.txt" "$D/aws.txt" "$RUNS" <<'PY'
import statistics, sys
def load(p):
    rows = [l.split() for l in open(p) if l.strip() and l[0].isdigit()]
    return [float(r[0]) for r in rows], [int(r[1]) for r in rows]
at, am = load(sys.argv[1])
wt, wm = load(sys.argv[2])
a, w = statistics.median(at), statistics.median(wt)
ratio = w / a if a > 0 else float("inf")
print(f"runs: {sys.argv[3]} each, alternating, same endpoint and files (RSA-2048 leaf, 2-cert chain)")
print(f"acmbridge import: median {a*1000:.0f} ms, peak RSS {max(am)/1024:.1f} MiB")
print(f"aws acm import-certificate: median {w*1000:.0f} ms, peak RSS {max(wm)/1024:.1f} MiB")
print(f"ratio: {ratio:.1f}x faster (target 20x); RSS target 16 MiB")
ok = ratio >= 20 and max(am) < 16 * 1024
print("targets:", "met" if ok else "MISSED")
sys.exit(0 if ok else 1)
PY
