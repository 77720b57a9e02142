#!/usr/bin/env bash
# Exports per second through the wrap path (acmb_p11_export_key: one-off
# wrapping key created and destroyed, C_WrapKey, OpenSSL unwrap in place, DER
# trim, key decode: PKCS#8 decoder for RSA, scalar assembly for EC) for
# RSA-2048 and P-256 on SoftHSM, against a floor measured in the same run on
# the same token: bare C_WrapKey under a fixed key plus the OpenSSL unwrap.
# Target: ratio (export time / floor time) <= 1.5. Wall time on a shared
# machine is noisy: for stable figures run the driver under
# valgrind --tool=callgrind with a small N and compare instructions.
#
#   bench/export.sh [ITERATIONS] [BUILD_DIR]   (default: a Release build of
#   its own, build-bench-export/, with the fixture and the bench driver)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/scripts/deps.sh"
N=${1:-2000}
if [ -n "${2:-}" ]; then
	BUILD=$2
else
	BUILD=$here/build-bench-export
	cmake -S "$here" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$BUILD" -j2 --target p11-fixture bench-p11-export >/dev/null
fi
ACMB_BUILD_DIR=$(cd "$BUILD" && pwd)
ACMB_TESTS_DIR=$(cd "$(dirname "$0")/../tests" && pwd)
export ACMB_BUILD_DIR ACMB_TESTS_DIR
FIXTURE_TYPES="rsa2048 p256"
. "$ACMB_TESTS_DIR/softhsm/fixture.sh"

export ACMB_BENCH_PIN=$FIXTURE_PIN
status=0
for key in rsa2048-sens p256-sens; do
	# --pin-env wipes the variable after reading: set it for each run.
	line=$(ACMB_BENCH_PIN=$FIXTURE_PIN "$P11_HELPERS/bench-p11-export" "$MODULE" acmb-main \
		ACMB_BENCH_PIN "$key" "$N")
	echo "$line"
	ratio=${line##*ratio=}
	awk -v r="$ratio" 'BEGIN { exit !(r <= 1.5) }' || { echo "  over the 1.5x target"; status=1; }
done
exit $status
