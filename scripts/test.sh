#!/usr/bin/env bash
# Builds acmbridge and runs every test: once in a normal build, once under
# AddressSanitizer + UndefinedBehaviorSanitizer, the fuzzers' short runs, and
# the static analysis (scripts/lint.sh, counted as one test).
# Usage: scripts/test.sh        (from anywhere; installs what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

jobs=$(nproc)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# run_suite DIR [CTEST-ARGS --] [CMAKE-ARGS]
run_suite() {
	local dir=$1
	local -a targs=()
	shift
	if [ "${1:-}" = "-LE" ]; then
		targs=("$1" "$2")
		shift 3
	fi
	cmake -S . -B "$dir" -DACMB_TEST_HOOKS=ON -DACMB_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j"$jobs" >/dev/null
	(cd "$dir" && ctest --output-on-failure -j"$jobs" ${targs[@]+"${targs[@]}"}) 2>&1 |
		tee -a "$log" || status=1
}

echo "== tests (RelWithDebInfo)"
run_suite build-test
echo "== tests under ASan+UBSan (less the endpoint's own tests, which run no C code)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	run_suite build-asan -LE no-c -- -DACMB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== fuzzers (short runs; scripts/fuzz.sh for long ones)"
CC=clang run_suite build-fuzz -DACMB_FUZZ=ON -DACMB_SANITIZE=ON

echo "== static analysis (cppcheck, clang-tidy)"
lint_failed=0
bash scripts/lint.sh || { lint_failed=1; status=1; }

# One closing line over the three ctest runs and the lint.
grep -oE '[0-9]+ tests failed out of [0-9]+' "$log" |
	awk -v lf="$lint_failed" '{ f += $1; t += $6 }
	END { printf "all suites: %d passed, %d failed\n", t - f + 1 - lf, f + lf }'
exit $status
