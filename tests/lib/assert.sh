# One assertion helper for shell tests, one output format ("ok - NAME",
# "not ok - NAME: why", then "# N cases, M failed").
# Source it from bash (after ACMB_TESTS_DIR is known), then:
#   ok NAME / fail NAME WHY
#   expect_rc NAME WANT_RC CMD...   runs CMD; its stdout is in $OUT, its
#                                   stderr in $ERR
#   expect_eq NAME GOT WANT
#   expect_in NAME NEEDLE HAYSTACK  (plain substring; expect_not_in too)
#   finish                          prints the count; returns 1 if any failed
ASSERT_CASES=0
ASSERT_FAILS=0
_ASSERT_ERR=$(mktemp "${TMPDIR:-/tmp}/acmb-assert.XXXXXX")

ok() {
	ASSERT_CASES=$((ASSERT_CASES + 1))
	echo "ok - $1"
}

fail() {
	ASSERT_CASES=$((ASSERT_CASES + 1))
	ASSERT_FAILS=$((ASSERT_FAILS + 1))
	echo "not ok - $1: $2"
}

expect_rc() {
	local name=$1 want=$2 rc=0
	shift 2
	OUT=$("$@" 2>"$_ASSERT_ERR") || rc=$?
	ERR=$(cat "$_ASSERT_ERR")
	if [ "$rc" -eq "$want" ]; then
		ok "$name (exit $rc)"
	else
		fail "$name" "exit $rc, wanted $want; stdout: ${OUT:0:600}; stderr: ${ERR:0:600}"
	fi
}

expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', wanted '$3'"; fi
}

# Plain substring tests: a `printf | grep -q` pipeline would fail at random
# under pipefail when grep exits before printf has written everything.
expect_in() {
	if [[ $3 == *"$2"* ]]; then ok "$1"; else fail "$1" "'$2' not in: ${3:0:800}"; fi
}

expect_not_in() {
	if [[ $3 == *"$2"* ]]; then fail "$1" "'$2' unexpectedly in: ${3:0:800}"; else ok "$1"; fi
}

finish() {
	rm -f "$_ASSERT_ERR"
	echo "# $ASSERT_CASES cases, $ASSERT_FAILS failed"
	[ "$ASSERT_FAILS" -eq 0 ]
}
