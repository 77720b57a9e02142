#!/usr/bin/env bash
# Static analysis, clean or failed: clang-format (the root .clang-format) over
# every tracked C file, cppcheck over every C file the build knows (src/,
# tests/, bench/, fuzz/), then clang-tidy with the root .clang-tidy over src/.
# Exits non-zero on any finding and prints each one.
# Usage: scripts/lint.sh        (from anywhere; scripts/deps.sh installs the tools)
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-lint
jobs=2
for tool in clang-format cppcheck clang-tidy; do
	if ! command -v "$tool" >/dev/null; then
		echo "lint: $tool is not installed (scripts/deps.sh installs it)" >&2
		exit 1
	fi
done

# compile_commands.json is all the tools read: configure, do not build. The
# project generates no headers; if it ever does, build them here.
cmake -S . -B "$build" -DACMB_TEST_HOOKS=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
# The fuzzers are only in a clang fuzz configuration: a second, nested one.
CC=clang cmake -S . -B "$build/fuzz" -DACMB_FUZZ=ON -DACMB_TEST_HOOKS=ON \
	-DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null

status=0
started=$SECONDS
cppcheck_args=(--enable=warning,portability,performance --inline-suppr
	--suppress=missingIncludeSystem --error-exitcode=1 --quiet -j"$jobs"
	--template='{file}:{line}:{column}: {severity}: {message} [{id}]')

# Tracked files only: a build dir or a scratch file is not the project's.
echo "== clang-format $(clang-format --version | sed -n 's/.*version \([0-9.]*\).*/\1/p'): every C file"
if ! git ls-files -z '*.c' '*.h' | xargs -0 clang-format --dry-run --Werror; then
	echo "lint: run clang-format -i on the files above" >&2
	status=1
fi

echo "== cppcheck $(cppcheck --version | cut -d' ' -f2): src/ tests/ bench/"
cppcheck "${cppcheck_args[@]}" --project="$build/compile_commands.json" || status=1
echo "== cppcheck: fuzz/"
cppcheck "${cppcheck_args[@]}" --project="$build/fuzz/compile_commands.json" \
	--file-filter='fuzz/*' || status=1

# One log per file, printed whole afterwards: parallel runs never interleave.
echo "== clang-tidy $(clang-tidy --version | sed -n 's/.*LLVM version \([0-9.]*\).*/\1/p'): src/"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
find src -name '*.c' -print0 | sort -z |
	xargs -0 -P"$jobs" -I{} sh -c \
	'clang-tidy -p "$1" --quiet "$2" >"$3/$(echo "$2" | tr / _).log" 2>&1 ||
	 echo "$2" >"$3/$(echo "$2" | tr / _).failed"' sh "$build" {} "$logs"
for failed in "$logs"/*.failed; do
	[ -e "$failed" ] || continue
	status=1
	# clang-tidy's own chatter ("N warnings generated") is not a finding.
	grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^$' \
		"${failed%.failed}.log" || true
done
nfind=$(cat "$logs"/*.log 2>/dev/null | grep -cE '^[^ ]+:[0-9]+:[0-9]+: (error|warning):' || true)
echo "== clang-tidy: $(ls "$logs"/*.failed 2>/dev/null | wc -l) file(s) with findings, $nfind finding(s)"

if [ $status -eq 0 ]; then
	echo "lint: clean ($((SECONDS - started)) s)"
else
	echo "lint: FAILED ($((SECONDS - started)) s)" >&2
fi
exit $status
