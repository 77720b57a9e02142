#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan in build-fuzz/ and
# runs each for SECONDS (default 60) on its corpus, printing libFuzzer's
# final stats (execs per second, coverage). Crashes land in build-fuzz/.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
secs=${1:-60}
case $secs in
'' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
CC=clang cmake -S "$root" -B "$build" -DACMB_FUZZ=ON -DACMB_SANITIZE=ON -DACMB_TEST_HOOKS=ON >/dev/null
status=0
for src in "$root"/fuzz/fuzz-*.c; do
	name=$(basename "$src" .c)
	cmake --build "$build" -j2 --target "$name" >/dev/null
	corpus=$root/fuzz/corpus/$name
	mkdir -p "$corpus"
	if [ "$name" = fuzz-input ]; then
		bash "$root/fuzz/make-corpus.sh" "$corpus"
	elif [ -f "$root/fuzz/seed-$name.sh" ]; then
		bash "$root/fuzz/seed-$name.sh" "$corpus"
	fi
	echo "== $name for ${secs}s"
	# fuzz-p11-export: no leak checks, see fuzz/CMakeLists.txt.
	leaks=1
	[ "$name" = fuzz-p11-export ] && leaks=0
	(cd "$build" && ASAN_OPTIONS=detect_leaks=$leaks "$build/fuzz/$name" \
		-max_total_time="$secs" -max_len=65536 -print_final_stats=1 "$corpus") ||
		status=1
done
exit $status
