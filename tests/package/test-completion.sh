#!/bin/bash
# The bash completion, driven as readline drives it: COMP_WORDS split at
# COMP_WORDBREAKS, the function `complete -p acmbridge` names, COMPREPLY
# read back. Commands and each command's options must be exactly what
# --help lists; --output, regions, files, pkcs11: URIs, profiles and
# variable names where they belong. The zsh completion is checked for
# syntax and for the same option lists.
# Exit 77 (skipped) without bash-completion or the generated files.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
: "${ACMB_BUILD_DIR:?build dir}"
OPTIONS="$ACMB_TESTS_DIR/../scripts/cli-options.sh"
COMP=$ACMB_BUILD_DIR/dist/completions
BASH_COMPLETION=/usr/share/bash-completion/bash_completion

if [ ! -f "$COMP/acmbridge" ]; then
	echo "SKIP: no completions in $COMP (configure with -DACMB_COMPLETIONS=ON)"
	exit 77
fi
if [ ! -f "$BASH_COMPLETION" ]; then
	echo "SKIP: bash-completion is not installed ($BASH_COMPLETION)"
	exit 77
fi

# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/acmb-completion.XXXXXX")
trap 'rm -rf "$W"' EXIT

# Interactive-like shell state the completion machinery expects.
# shellcheck source=/dev/null
. "$BASH_COMPLETION"
# shellcheck source=/dev/null
. "$COMP/acmbridge"
set +e

spec=$(complete -p acmbridge 2>&1)
[ "$spec" = "complete -F _acmbridge acmbridge" ] && ok "bash: complete -F _acmbridge" || fail "complete -p acmbridge: $spec"

# comp LINE: completes at the end of LINE as readline would (words split at
# blanks and at the COMP_WORDBREAKS characters = and :, which become words
# of their own) and prints COMPREPLY sorted, one per line.
comp() {
	local line=$1 tok
	local -a w=()
	local rest=$line
	while [ -n "$rest" ]; do
		case $rest in
		" "*) rest=${rest# } ;;
		[=:]*)
			w+=("${rest:0:1}")
			rest=${rest:1}
			;;
		*)
			tok=${rest%%[ =:]*}
			w+=("$tok")
			rest=${rest#"$tok"}
			;;
		esac
	done
	case $line in *[\ =:]) w+=("") ;; esac
	COMP_WORDS=("${w[@]}")
	COMP_CWORD=$((${#w[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_acmbridge acmbridge "${w[COMP_CWORD]}" "${w[COMP_CWORD - 1]}" 2>"$W/stderr"
	[ -s "$W/stderr" ] && fail "completion of '$line' wrote to stderr: $(cat "$W/stderr")"
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort
}

# expect NAME LINE WANT...: the candidates are exactly WANT.
expect() {
	local name=$1 line=$2 got want
	shift 2
	got=$(comp "$line")
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	if [ "$got" = "$want" ]; then ok "$name"; else
		fail "$name: '$line' gave [$(echo $got)], wanted [$(echo $want)]"
	fi
}

# has NAME LINE WANT...: the candidates include every WANT.
has() {
	local name=$1 line=$2 got x
	shift 2
	got=$(comp "$line")
	for x in "$@"; do
		if grep -qxF -- "$x" <<<"$got"; then ok "$name: $x"; else
			fail "$name: '$line' lacks '$x' in [$(echo $got)]"
		fi
	done
}

options=$(bash "$OPTIONS" "$ACMBRIDGE")
commands=$(bash "$OPTIONS" --commands "$ACMBRIDGE" | cut -f1)

echo "# commands and options, exactly as --help lists them"
# shellcheck disable=SC2086
expect "commands" "acmbridge " $commands
expect "commands after --debug" "acmbridge --debug d" doctor
# shellcheck disable=SC2046
expect "global options" "acmbridge -" $(awk -F '\t' '$1 == "-" { print $2 }' <<<"$options")
for c in $commands; do
	# shellcheck disable=SC2046
	expect "options of $c" "acmbridge $c --" $(awk -F '\t' -v c="$c" '$1 == c { print $2 }' <<<"$options")
done
expect "a prefix" "acmbridge import --certificate-" --certificate-arn --certificate-chain

echo "# values"
expect "--output of check" "acmbridge check --output " json table text yaml yaml-stream
expect "--output of doctor" "acmbridge doctor --output j" json
expect "--output= form" "acmbridge import --output=" json table text yaml yaml-stream
expect "--color" "acmbridge list --color " auto off on
expect "--cli-binary-format" "acmbridge import --cli-binary-format " base64 raw-in-base64-out
expect "--generate-cli-skeleton" "acmbridge import --generate-cli-skeleton " input output yaml-input
expect "regions" "acmbridge import --region eu-west-" eu-west-1 eu-west-2 eu-west-3
has "regions" "acmbridge doctor --region " us-east-1 ap-southeast-2 us-gov-west-1 cn-north-1
expect "--key-store" "acmbridge issue --key-store " memory pkcs11:
expect "--key-algorithm" "acmbridge issue --key-algorithm EC" EC_prime256v1 EC_secp384r1 EC_secp521r1
expect "free text" "acmbridge import --certificate-arn " 
expect "after a flag: options" "acmbridge import --dry-run --no-v" --no-verify-ssl

echo "# files and URIs"
mkdir -p "$W/files/sub"
: >"$W/files/cert.pem"
: >"$W/files/key.pem"
cd "$W/files" || exit 1
expect "file option" "acmbridge import --pin-file " cert.pem key.pem sub
expect "file option, prefix" "acmbridge doctor --manifest ce" cert.pem
has "source option" "acmbridge check --certificate " fileb:// file:// pkcs11: cert.pem key.pem
expect "source option, pkcs11" "acmbridge check --certificate pk" pkcs11:
# After the colon, readline replaces only what follows it: "//cert.pem".
expect "source option, fileb://" "acmbridge import --private-key fileb://k" //key.pem
expect "source option, inside a URI" "acmbridge import --certificate pkcs11:token=" 
expect "token option" "acmbridge import --wrapping-key " pkcs11:
expect "list's argument" "acmbridge list " pkcs11:
expect "list after options" "acmbridge list --output text " pkcs11:
expect "cli-input-json" "acmbridge import --cli-input-json " file://
cd - >/dev/null || exit 1

echo "# profiles and variables"
printf '[default]\nregion = eu-west-1\n[profile prod]\nregion = us-east-1\n' >"$W/config"
printf '[ci]\naws_access_key_id = x\n' >"$W/credentials"
AWS_CONFIG_FILE=$W/config AWS_SHARED_CREDENTIALS_FILE=$W/credentials \
	expect "profiles" "acmbridge import --profile " ci default prod
export ACMB_COMPLETION_TEST_PIN=1
expect "variable names" "acmbridge list --pin-env ACMB_COMPLETION_TEST" ACMB_COMPLETION_TEST_PIN

echo "# zsh"
if command -v zsh >/dev/null; then
	zerr=$(zsh -n "$COMP/_acmbridge" 2>&1) && ok "zsh -n _acmbridge" || fail "zsh -n _acmbridge: $zerr"
	head -1 "$COMP/_acmbridge" | grep -qx '#compdef acmbridge' && ok "_acmbridge: #compdef line" || fail "_acmbridge: no #compdef line"
	for c in $commands; do
		zopts=$(awk -v c="$c" '$1 == c ")" { on = 1; next } on && /;;/ { exit }
			on && match($0, /--[a-z0-9-]+/) { print substr($0, RSTART, RLENGTH) }' "$COMP/_acmbridge" | sort -u)
		hopts=$(awk -F '\t' -v c="$c" '$1 == c { print $2 }' <<<"$options" | sort -u)
		[ "$zopts" = "$hopts" ] && ok "zsh options of $c match --help" || fail "zsh options of $c: [$(echo $zopts)] vs --help [$(echo $hopts)]"
	done
	# Loaded by compinit from a directory on $fpath, it must define the function.
	zout=$(ZDOTDIR=$W zsh -f -c "fpath=($COMP \$fpath); autoload -Uz compinit; compinit -u -d $W/zcompdump; print -r -- \${_comps[acmbridge]}" 2>&1)
	[ "$zout" = _acmbridge ] && ok "zsh compinit: acmbridge -> _acmbridge" || fail "zsh compinit: acmbridge -> '$zout'"
else
	echo "note: zsh is not installed; its completion file was not checked"
fi

finish
