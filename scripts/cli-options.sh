#!/usr/bin/env bash
# Prints every option acmbridge's --help texts list, one per line:
#     COMMAND<TAB>OPTION<TAB>ARGUMENT<TAB>DESCRIPTION
# COMMAND is "-" for the options before a command (acmbridge --help);
# ARGUMENT is "" for a flag, else as --help spells it ("PATH", "text|json",
# "[input|output]", "TAG ..."); DESCRIPTION is the first line of its text.
# With --commands, prints the commands instead: COMMAND<TAB>DESCRIPTION.
#
# The completion generator (scripts/gen-completion.sh) and the tests that
# hold the man pages and completions to --help (tests/package/) read this,
# so that none of them keeps its own list of options.
#
# An option line in --help is two spaces, then "--NAME [ARG]" (or several,
# separated by ", "), then two or more spaces and the description; lines
# indented further are continuations.
# Usage: scripts/cli-options.sh [--commands] PATH-TO-ACMBRIDGE
set -euo pipefail

mode=options
if [ "${1:-}" = --commands ]; then
	mode=commands
	shift
fi
bin=${1:?usage: cli-options.sh [--commands] PATH-TO-ACMBRIDGE}

commands() {
	"$bin" --help | awk '
		/^Commands:/ { inside = 1; next }
		inside && /^$/ { exit }
		inside && /^  [a-z][a-z0-9-]* / {
			name = $1
			desc = $0
			sub(/^  [a-z][a-z0-9-]* +/, "", desc)
			print name "\t" desc
		}'
}

# options COMMAND: the option lines of one --help text.
options() {
	awk -v cmd="$1" '
		/^  --/ {
			line = substr($0, 3)
			desc = ""
			if (match(line, /  +/)) {
				desc = substr(line, RSTART + RLENGTH)
				line = substr(line, 1, RSTART - 1)
			}
			n = split(line, items, /, /)
			for (i = 1; i <= n; i++) {
				item = items[i]
				if (item !~ /^--[a-z0-9][a-z0-9-]*/)
					continue
				name = item
				sub(/ .*/, "", name)
				arg = ""
				if (index(item, " ") > 0)
					arg = substr(item, index(item, " ") + 1)
				print cmd "\t" name "\t" arg "\t" desc
			}
		}'
}

if [ "$mode" = commands ]; then
	commands
	exit 0
fi
{
	"$bin" --help | options -
	commands | while IFS=$'\t' read -r cmd _; do
		"$bin" "$cmd" --help | options "$cmd"
	done
} | awk -F '\t' '!seen[$1 FS $2]++'
