#!/usr/bin/env bash
# Builds acmbridge and runs every test: once in a normal build, once under
# AddressSanitizer + UndefinedBehaviorSanitizer; a Release build with GCC and
# one with clang, both with Debian's hardening flags (dpkg-buildflags), run
# the unit tests (the GCC one also a subset of the integration tests); the
# fuzzers' short runs, and the static analysis (scripts/lint.sh, counted as
# one test). Every build has -Werror (ACMB_WERROR=ON), as CI does.
# Usage: scripts/test.sh        (from anywhere; installs what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

jobs=$(nproc)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# run_suite DIR [CTEST-ARGS... --] [CMAKE-ARGS...]
run_suite() {
	local dir=$1
	local -a targs=()
	shift
	if [[ " $* " == *" -- "* ]]; then
		while [ "$1" != -- ]; do
			targs+=("$1")
			shift
		done
		shift
	fi
	cmake -S . -B "$dir" -DACMB_TEST_HOOKS=ON -DACMB_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j"$jobs" >/dev/null
	(cd "$dir" && ctest --output-on-failure -j"$jobs" ${targs[@]+"${targs[@]}"}) 2>&1 |
		tee -a "$log" || status=1
}

# Debian's hardening flags, as a package build gets them (all of them:
# fortify, stack protector, PIE, relro and bindnow, CET).
hardening() { DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$1"; }
hard_ld=$(hardening LDFLAGS)
hardened=(-DCMAKE_BUILD_TYPE=Release
	"-DCMAKE_C_FLAGS=$(hardening CFLAGS) $(hardening CPPFLAGS)"
	"-DCMAKE_EXE_LINKER_FLAGS=$hard_ld" "-DCMAKE_SHARED_LINKER_FLAGS=$hard_ld"
	"-DCMAKE_MODULE_LINKER_FLAGS=$hard_ld")
# The Release build's integration subset: the CLI's own flows (check), an
# import through the library by a program that embeds it, and a token
# export. The whole suite runs in the builds above; this one is about what
# -O3 and fortify change.
tsan_subset='^test-context$|^sync-test-sync-parallel$|^sync-test-sync-signals$|^sync-test-sync-quota$|^softhsm-test-sync-pkcs11$|^softhsm-test-sync-keystore$'
release_subset='^test-|^embed-test-embed$|^check-test-check$|^softhsm-test-import$'

echo "== tests (RelWithDebInfo)"
run_suite build-test
echo "== tests under ASan+UBSan (less the endpoint's own tests, which run no C code)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	run_suite build-asan -LE no-c -- -DACMB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== ThreadSanitizer: the tests whose runs start threads (sync's destinations)"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	run_suite build-tsan -R "$tsan_subset" -- -DACMB_TSAN=ON -DCMAKE_BUILD_TYPE=Debug
echo "== Release build (GCC, hardening flags): unit tests and an integration subset"
CC=gcc run_suite build-release -R "$release_subset" -- "${hardened[@]}"
echo "== Release build (clang, hardening flags): unit tests"
CC=clang run_suite build-clang -R '^test-' -- "${hardened[@]}"
echo "== fuzzers (short runs; scripts/fuzz.sh for long ones)"
CC=clang run_suite build-fuzz -DACMB_FUZZ=ON -DACMB_SANITIZE=ON

echo "== static analysis (cppcheck, clang-tidy)"
lint_failed=0
bash scripts/lint.sh || { lint_failed=1; status=1; }

# One closing line over the five ctest runs (normal, sanitizers, Release
# GCC, Release clang, fuzzers) and the lint.
grep -oE '[0-9]+ tests failed out of [0-9]+' "$log" |
	awk -v lf="$lint_failed" '{ f += $1; t += $6 }
	END { printf "all suites (%d ctest runs and the lint): %d passed, %d failed\n", NR, t - f + 1 - lf, f + lf }'
exit $status
