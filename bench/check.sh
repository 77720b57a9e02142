#!/bin/bash
# Benchmark of `acmbridge check`: wall time of one invocation, and sets per
# second with --batch, for RSA-2048 and EC P-256 leaves with a two-certificate
# chain (intermediate + root). Compared in the same run with the openssl
# command sequence an operator scripts today for the same checks.
#
#   bench/check.sh [SETS]     (default 2000; builds a Release build unless
#                              ACMBRIDGE points at one)
#
# What is measured, honestly: every set in the batch has its certificate and
# key read from disk, decoded and judged by every rule, including a real
# sign/verify pairwise test with the private key, and is printed as JSON. The
# batch cycles through DISTINCT leaf keys and certificates (20 per algorithm)
# so that it is not one set repeated; the leaf, its signature, the key and
# the pairwise test are never cached. What a batch does share, as operators
# with many leaves under one CA benefit from it (src/bridge/check.h): the
# chain file named by consecutive sets is decoded once, and the signature
# checks between chain certificates are remembered. The openssl baseline
# does less (no size, hygiene, OCSP or pairwise checks) and is still slower,
# because it starts four processes per set.
#
# On a shared machine wall time follows the other jobs; CPU time less so,
# and instruction counts not at all. So each figure is given as wall, CPU
# and, where the machine can count them, instructions: with perf when its
# hardware counters work, else with valgrind's callgrind on a single check
# and on batches of INSTR_SETS and 2 x INSTR_SETS sets, whose difference is
# the cost of one more set without the batch's one-time work (set
# ACMB_BENCH_INSTR=0 to skip it).
set -eu

SETS=${1:-2000}
DISTINCT=20
REPS=50
INSTR_SETS=${ACMB_BENCH_INSTR_SETS:-100}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/lib/material.sh"

if [ -z "${ACMBRIDGE:-}" ]; then
	build=${ACMB_BENCH_BUILD:-$here/build-bench-check}
	cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DACMB_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target acmbridge >/dev/null
	ACMBRIDGE=$build/acmbridge
fi

mat_setup
trap mat_cleanup EXIT
D=$MAT_DIR

# "real user sys" seconds of a loop of n runs -> per-run milliseconds.
TIMEFORMAT='%R %U %S'
per_run() {
	echo "$1" | awk -v n="$2" '{ printf "%.2f ms wall, %.2f ms CPU", $1 * 1000 / n, ($2 + $3) * 1000 / n }'
}

# Instructions one command executes, or nothing when they cannot be counted.
count_mode=none
if [ "${ACMB_BENCH_INSTR:-1}" != 0 ]; then
	if perf stat -x, -e instructions true 2>&1 >/dev/null | grep -q '^[0-9]'; then
		count_mode=perf
	elif command -v valgrind >/dev/null; then
		count_mode=callgrind
	fi
fi
instructions() {
	case $count_mode in
	perf)
		perf stat -x, -e instructions "$@" 2>&1 >/dev/null | awk -F, '/instructions/ { print $1 }' ;;
	callgrind)
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
		    awk '/Collected :/ { print $NF }' ;;
	esac
}

echo "acmbridge check benchmark: $(nproc) CPU(s), $(openssl version | cut -d' ' -f1-2)"
echo "binary: $ACMBRIDGE"

for alg in rsa ec; do
	if [ $alg = rsa ]; then spec=rsa:2048; label="RSA-2048"; else spec=ec:prime256v1; label="EC P-256"; fi
	mat_cert "${alg}root" --ca --key "$spec" --subj "/CN=Bench $label Root"
	mat_cert "${alg}int" --ca --key "$spec" --issuer "${alg}root" --subj "/CN=Bench $label Intermediate"
	mat_chain "$D/${alg}chain.pem" "${alg}int" "${alg}root"
	for ((i = 0; i < DISTINCT; i++)); do
		mat_cert "${alg}leaf$i" --key "$spec" --issuer "${alg}int" \
		    --subj "/CN=leaf$i.bench.example" --san "DNS:leaf$i.bench.example"
	done
	: >"$D/${alg}batch.txt"
	for ((i = 0; i < SETS; i++)); do
		n=$((i % DISTINCT))
		echo "$D/${alg}leaf$n.pem $D/${alg}leaf$n.key $D/${alg}chain.pem" >>"$D/${alg}batch.txt"
	done

	# One invocation, as an operator runs it (process start included).
	"$ACMBRIDGE" check --certificate "$D/${alg}leaf0.pem" --private-key "$D/${alg}leaf0.key" \
	    --certificate-chain "$D/${alg}chain.pem" --output json >/dev/null
	single=$( { time (for ((i = 0; i < REPS; i++)); do
		"$ACMBRIDGE" check --certificate "$D/${alg}leaf$((i % DISTINCT)).pem" \
		    --private-key "$D/${alg}leaf$((i % DISTINCT)).key" \
		    --certificate-chain "$D/${alg}chain.pem" --output json >/dev/null
	done) ; } 2>&1)
	single_ms=$(per_run "$single" $REPS)

	# The same checks with the openssl command.
	ossl=$( { time (for ((i = 0; i < REPS; i++)); do
		l="$D/${alg}leaf$((i % DISTINCT))"
		openssl x509 -noout -text -in "$l.pem" >/dev/null
		openssl x509 -noout -pubkey -in "$l.pem" >"$D/cert.pub"
		openssl pkey -pubout -in "$l.key" >"$D/key.pub"
		cmp -s "$D/cert.pub" "$D/key.pub"
		openssl verify -CAfile "$D/${alg}root.pem" -untrusted "$D/${alg}int.pem" "$l.pem" >/dev/null
	done) ; } 2>&1)
	openssl_ms=$(per_run "$ossl" $REPS)

	# Batch: one process, SETS sets, on one core.
	batch=$( { time (taskset -c 0 "$ACMBRIDGE" check --batch "$D/${alg}batch.txt" \
	    >"$D/${alg}batch.out" 2>"$D/${alg}batch.err" || true) ; } 2>&1)
	ok=$(grep -c '"ok":true' "$D/${alg}batch.out" || true)
	rate=$(echo "$batch" | awk -v n="$SETS" '{ printf "%.0f sets/s wall, %.0f sets/s of CPU", n / $1, n / ($2 + $3) }')
	printf '%-9s single check: %s per run (openssl sequence: %s per run)\n' \
	    "$label" "$single_ms" "$openssl_ms"
	printf '%-9s batch of %s on one core: %s (%s/%s sets passed)\n' "$label" "$SETS" \
	    "$rate" "$ok" "$SETS"
	sed 's/^/          /' "$D/${alg}batch.err"

	if [ $count_mode != none ]; then
		head -n "$INSTR_SETS" "$D/${alg}batch.txt" >"$D/${alg}small.txt"
		head -n "$((2 * INSTR_SETS))" "$D/${alg}batch.txt" >"$D/${alg}double.txt"
		one=$(instructions "$ACMBRIDGE" check --certificate "$D/${alg}leaf0.pem" \
		    --private-key "$D/${alg}leaf0.key" --certificate-chain "$D/${alg}chain.pem" \
		    --output json)
		start=$(instructions "$ACMBRIDGE" --version)
		many=$(instructions "$ACMBRIDGE" check --batch "$D/${alg}small.txt")
		twice=$(instructions "$ACMBRIDGE" check --batch "$D/${alg}double.txt")
		echo "$one $start $many $twice" | awk -v n="$INSTR_SETS" -v l="$label" -v m="$count_mode" \
		    '{ printf "%-9s instructions (%s): single check %.1f M (process start and exit alone, --version: %.1f M); batch %.2f M per set over %d sets, %.2f M per further set\n", l, m, $1 / 1e6, $2 / 1e6, ($3 - $2) / n / 1e6, n, ($4 - $3) / n / 1e6 }'
	fi
done
echo "Load average now: $(cut -d' ' -f1-3 /proc/loadavg) (wall times grow when other jobs share the cores; CPU times do not)"
echo "Targets: single check < 10 ms; batch >= 1000 RSA-2048 and >= 3000 EC P-256 sets/s."
