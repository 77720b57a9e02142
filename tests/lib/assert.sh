# The one assert helper of the shell tests: every check prints one line,
#   ok - NAME
#   not ok - NAME: DETAIL
# and finish prints "NAME: P passed, F failed" and exits 0 only when nothing
# failed. Source it from bash (any `set` options):
#   source "$ACMB_TESTS_DIR/lib/assert.sh"
#
#   ok NAME                      a check that held
#   fail NAME [DETAIL]           a check that did not
#   expect_eq NAME GOT WANT      GOT and WANT are the same string
#   expect_in NAME NEEDLE HAY    HAY contains NEEDLE (plain substring)
#   expect_not_in NAME NEEDLE HAY
#   expect_rc NAME WANT [TEXT]   the last command's exit status, kept by the
#                                test in $rc, is WANT, and the file
#                                $ASSERT_STDERR (its stderr) contains TEXT
#   expect_run NAME WANT CMD...  runs CMD; its exit status is WANT; stdout
#                                and stderr are kept in $OUT and $ERR
#   finish                       the closing line; exits
#
# Plain substring tests throughout: a `printf | grep -q` pipeline fails at
# random under pipefail when grep exits before printf has written it all.

ASSERT_PASSED=0
ASSERT_FAILED=0
ASSERT_NAME=${ASSERT_NAME:-$(basename "$0" .sh)}
: "${ASSERT_STDERR:=/dev/null}"
OUT=
ERR=

ok() {
	ASSERT_PASSED=$((ASSERT_PASSED + 1))
	echo "ok - $*"
}

fail() {
	ASSERT_FAILED=$((ASSERT_FAILED + 1))
	echo "not ok - $1${2:+: $2}"
}

expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "got '$2', wanted '$3'"
	fi
}

expect_in() {
	if [[ $3 == *"$2"* ]]; then
		ok "$1"
	else
		fail "$1" "'$2' not in: $3"
	fi
}

expect_not_in() {
	if [[ $3 == *"$2"* ]]; then
		fail "$1" "'$2' unexpectedly in: $3"
	else
		ok "$1"
	fi
}

expect_rc() {
	local got=${rc:-}
	if [ "$got" != "$2" ]; then
		fail "$1" "exit $got, wanted $2: $(head -c 400 "$ASSERT_STDERR" 2>/dev/null)"
	elif [ -n "${3:-}" ] && ! grep -qF -- "$3" "$ASSERT_STDERR" 2>/dev/null; then
		fail "$1" "stderr lacks '$3': $(head -c 400 "$ASSERT_STDERR" 2>/dev/null)"
	else
		ok "$1"
	fi
}

expect_run() {
	local name=$1 want=$2 got=0 tmp
	shift 2
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/acmb-assert.XXXXXX")
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	OUT=$(cat "$tmp/out")
	ERR=$(cat "$tmp/err")
	rm -rf "$tmp"
	if [ "$got" -eq "$want" ]; then
		ok "$name (exit $got)"
	else
		fail "$name" "exit $got, wanted $want; stdout: $OUT; stderr: $ERR"
	fi
}

finish() {
	echo "$ASSERT_NAME: $ASSERT_PASSED passed, $ASSERT_FAILED failed"
	[ "$ASSERT_FAILED" -eq 0 ] && [ "$ASSERT_PASSED" -gt 0 ]
	exit $?
}
