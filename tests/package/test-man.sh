#!/bin/bash
# The man pages against the program: every command has its page
# acmbridge-COMMAND(1), every option a command's --help lists is an item
# of that page's options (and every option item of a page is one --help
# lists), acmbridge(1) has the global options and names every command, and
# each page is clean under groff -ww and man --warnings (what lintian runs).
# Each finding names the page and the option, e.g.
#     acmbridge-import(1) lacks --tags (listed by 'acmbridge import --help')
# Exit 77 (skipped) when the build made no man pages (no scdoc).
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
: "${ACMB_BUILD_DIR:?build dir}"
OPTIONS="$ACMB_TESTS_DIR/../scripts/cli-options.sh"
MAN=$ACMB_BUILD_DIR/man

if [ ! -f "$MAN/acmbridge.1" ]; then
	echo "SKIP: no man pages in $MAN (configure with -DACMB_MANPAGES=ON; needs scdoc)"
	exit 77
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
	failed=$((failed + 1))
	echo "FAIL: $*" >&2
}

# items PAGE: the options a page documents as items: a line that starts
# with the bold option (scdoc's "*--name* _ARG_" term) just before ".RS".
items() {
	awk '/^\.RS/ && prev != "" { print prev } { prev = "" }
	     /^\\fB--[a-z0-9-]+\\fR/ { s = $0; sub(/^\\fB/, "", s); sub(/\\fR.*/, "", s); prev = s }' "$1" |
		sort -u
}

options=$(bash "$OPTIONS" "$ACMBRIDGE") || {
	bad "scripts/cli-options.sh failed"
	exit 1
}
commands=$(bash "$OPTIONS" --commands "$ACMBRIDGE" | cut -f1)
[ -n "$commands" ] || bad "no commands in 'acmbridge --help'"

# compare PAGE-NAME PAGE-FILE COMMAND-LABEL HELP-CMD
compare() {
	local name=$1 file=$2 cmd=$3 helpcmd=$4 want have o
	want=$(awk -F '\t' -v c="$cmd" '$1 == c { print $2 }' <<<"$options" | sort -u)
	have=$(items "$file")
	for o in $want; do
		if grep -qxF -- "$o" <<<"$have"; then ok; else
			bad "$name lacks $o (listed by '$helpcmd --help')"
		fi
	done
	for o in $have; do
		if grep -qxF -- "$o" <<<"$want"; then ok; else
			bad "$name documents $o, which '$helpcmd --help' does not list"
		fi
	done
}

compare "acmbridge(1)" "$MAN/acmbridge.1" - acmbridge
for c in $commands; do
	page=$MAN/acmbridge-$c.1
	if [ ! -f "$page" ]; then
		bad "no man page acmbridge-$c(1) for the command '$c' (add man/acmbridge-$c.1.scd)"
		continue
	fi
	ok
	compare "acmbridge-$c(1)" "$page" "$c" "acmbridge $c"
	# acmbridge(1) lists the command and points at its page.
	if grep -q "^\\\\fB$c\\\\fR\$" "$MAN/acmbridge.1" &&
		grep -q "acmbridge-$c\\\\fR(1)" "$MAN/acmbridge.1"; then ok; else
		bad "acmbridge(1) does not list the command '$c' with a reference to acmbridge-$c(1)"
	fi
done
[ -f "$MAN/acmbridge.yaml.5" ] && ok || bad "no man page acmbridge.yaml(5)"

# The drift check above must be able to fail: a page missing an option.
sed '/^\\fB--output\\fR/,+1d' "$MAN/acmbridge-doctor.1" >"${TMPDIR:-/tmp}/acmb-man-$$.1"
if items "${TMPDIR:-/tmp}/acmb-man-$$.1" | grep -qxF -- --output; then
	bad "the item reader still sees --output in a page without it"
else
	ok
fi
rm -f "${TMPDIR:-/tmp}/acmb-man-$$.1"

for page in "$MAN"/*.[15]; do
	w=$(groff -ww -man -Tutf8 -z "$page" 2>&1)
	[ -z "$w" ] && ok || bad "groff -ww $(basename "$page"): $w"
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
	[ -z "$w" ] && ok || bad "man --warnings $(basename "$page"): $w"
	if command -v mandoc >/dev/null; then
		# scdoc's output draws mandoc's style notes and paragraph warnings;
		# an error (broken structure) is a finding.
		w=$(mandoc -Tlint -Werror "$page" 2>&1)
		[ -z "$w" ] && ok || bad "mandoc -Tlint -Werror $(basename "$page"): $w"
	fi
done

echo "man pages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
