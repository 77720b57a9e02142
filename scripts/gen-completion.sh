#!/usr/bin/env bash
# Writes acmbridge's shell completions from its own --help texts, so that
# they list exactly the commands and options the built program has:
#     OUTDIR/acmbridge    bash (bash-completion's completions directory)
#     OUTDIR/_acmbridge   zsh (a directory on $fpath)
# The options come from scripts/cli-options.sh. What an option's value is
# comes from the argument --help names ("PATH", "SRC", "URI", "REGION",
# "text|json", ...), plus the few options below whose values --help spells
# out only in words.
# Usage: scripts/gen-completion.sh PATH-TO-ACMBRIDGE OUTDIR
set -euo pipefail

bin=${1:?usage: gen-completion.sh PATH-TO-ACMBRIDGE OUTDIR}
out=${2:?usage: gen-completion.sh PATH-TO-ACMBRIDGE OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

# AWS's public regions (partitions aws, aws-us-gov, aws-cn), late 2025.
# Completion only: any other region name is accepted as typed.
regions="af-south-1 ap-east-1 ap-east-2 ap-northeast-1 ap-northeast-2 ap-northeast-3
ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4
ap-southeast-5 ap-southeast-7 ca-central-1 ca-west-1 cn-north-1 cn-northwest-1
eu-central-1 eu-central-2 eu-north-1 eu-south-1 eu-south-2 eu-west-1 eu-west-2
eu-west-3 il-central-1 me-central-1 me-south-1 mx-central-1 sa-east-1 us-east-1
us-east-2 us-gov-east-1 us-gov-west-1 us-west-1 us-west-2"
regions=$(echo $regions)

# kind OPTION ARGUMENT: how the value of OPTION is completed.
#   flag      no value
#   file      a path
#   src       a path, fileb://PATH, file://PATH or a pkcs11: URI
#   fileurl   file://PATH
#   uri       a pkcs11: URI
#   region    an AWS region
#   profile   a profile of the AWS config and credentials files
#   env       the name of an environment variable
#   words:W…  one of the words
#   none      free text (an ARN, a number, a date): nothing to offer
kind() {
	local opt=$1 arg=$2
	# Values --help gives in the description, not in the argument.
	case $opt in
	--key-store) echo "words:memory pkcs11:" && return ;;
	--key-algorithm)
		echo "words:auto RSA_2048 RSA_3072 RSA_4096 EC_prime256v1 EC_secp384r1 EC_secp521r1"
		return
		;;
	--signing-algorithm)
		echo "words:SHA256WITHRSA SHA384WITHRSA SHA512WITHRSA SHA256WITHECDSA SHA384WITHECDSA SHA512WITHECDSA"
		return
		;;
	--api-passthrough) echo fileurl && return ;;
	esac
	case $arg in
	"") echo flag ;;
	SRC*) echo src ;;
	file://*) echo fileurl ;;
	*PATH* | *FILE*) echo file ;;
	URI* | pkcs11:*) echo uri ;;
	REGION*) echo region ;;
	VAR*) echo env ;;
	NAME*) if [ "$opt" = --profile ]; then echo profile; else echo none; fi ;;
	\[*\] | *\|*)
		local w=${arg#[}
		w=${w%]}
		echo "words:${w//|/ }"
		;;
	*) echo none ;;
	esac
}

# Fields split at \037, not at tabs: read(1) would merge the two tabs around
# a flag's empty argument.
options=$("$here/cli-options.sh" "$bin" | tr '\t' '\037')
commands=$("$here/cli-options.sh" --commands "$bin" | tr '\t' '\037')

# ---- bash ----
{
	cat <<'EOF'
# bash completion for acmbridge                            -*- shell-script -*-
# Generated from `acmbridge COMMAND --help` by scripts/gen-completion.sh.
EOF
	printf '_acmbridge_commands="%s"\n' "$(cut -d $'\037' -f1 <<<"$commands" | tr '\n' ' ' | sed 's/ $//')"
	printf '_acmbridge_regions="%s"\n\n' "$regions"
	echo '# _acmbridge_options COMMAND ("-" before a command): its options.'
	echo '_acmbridge_options() {'
	echo '	case $1 in'
	for c in - $(cut -d $'\037' -f1 <<<"$commands"); do
		printf '\t%s) echo "%s" ;;\n' "$c" \
			"$(awk -F '\037' -v c="$c" '$1 == c { print $2 }' <<<"$options" | tr '\n' ' ' | sed 's/ $//')"
	done
	echo '	esac'
	echo '}'
	echo
	echo '# _acmbridge_kind COMMAND OPTION: how its value is completed.'
	echo '_acmbridge_kind() {'
	echo '	case "$1 $2" in'
	while IFS=$'\037' read -r c o a _; do
		printf '\t"%s %s") echo "%s" ;;\n' "$c" "$o" "$(kind "$o" "$a")"
	done <<<"$options"
	echo '	*) echo flag ;;'
	echo '	esac'
	echo '}'
	cat <<'EOF'

# Files, after PREFIX (fileb://, file://) when the word has it.
_acmbridge_files() {
	local prefix=$1 word=$2 f
	local -a found=()
	if declare -F _filedir >/dev/null && [ -z "$prefix" ]; then
		_filedir
		return
	fi
	while IFS= read -r f; do
		[ -d "$f" ] && f="$f/"
		found+=("$prefix$f")
	done < <(compgen -f -- "${word#"$prefix"}")
	COMPREPLY+=("${found[@]}")
	compopt -o nospace 2>/dev/null
}

_acmbridge_profiles() {
	local f
	for f in "${AWS_CONFIG_FILE:-$HOME/.aws/config}" \
		"${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}"; do
		[ -r "$f" ] && sed -n 's/^[[:space:]]*\[\(profile[[:space:]]\+\)\{0,1\}\([^]]*\)\].*/\2/p' "$f"
	done | sort -u
}

# _acmbridge_value KIND WORD: fills COMPREPLY with values for WORD.
_acmbridge_value() {
	local kind=$1 cur=$2
	case $kind in
	file) _acmbridge_files "" "$cur" ;;
	fileurl)
		if [[ $cur == file://* ]]; then
			_acmbridge_files file:// "$cur"
		else
			COMPREPLY=($(compgen -W "file://" -- "$cur"))
			compopt -o nospace 2>/dev/null
		fi
		;;
	src)
		case $cur in
		fileb://*) _acmbridge_files fileb:// "$cur" ;;
		file://*) _acmbridge_files file:// "$cur" ;;
		pkcs11:*) ;;
		*)
			COMPREPLY=($(compgen -W "fileb:// file:// pkcs11:" -- "$cur"))
			_acmbridge_files "" "$cur"
			compopt -o nospace 2>/dev/null
			;;
		esac
		;;
	uri)
		COMPREPLY=($(compgen -W "pkcs11:" -- "$cur"))
		compopt -o nospace 2>/dev/null
		;;
	region) COMPREPLY=($(compgen -W "$_acmbridge_regions" -- "$cur")) ;;
	profile) COMPREPLY=($(compgen -W "$(_acmbridge_profiles)" -- "$cur")) ;;
	env) COMPREPLY=($(compgen -e -- "$cur")) ;;
	words:*)
		COMPREPLY=($(compgen -W "${kind#words:}" -- "$cur"))
		[[ ${COMPREPLY[*]} == *: ]] && compopt -o nospace 2>/dev/null
		;;
	esac
}

_acmbridge() {
	local cur prev words cword split=false cmd="" i kind
	COMPREPLY=()
	if declare -F _init_completion >/dev/null; then
		# Not split at ':' or '=': pkcs11:token=a;object=b is one word.
		_init_completion -s -n := || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${words[cword]}
		prev=${words[cword - 1]}
	fi
	if [[ $cur == --*=* && $split == false ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
		split=true
	fi
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*)
			cmd=${words[i]}
			break
			;;
		esac
	done
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$(_acmbridge_options -)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_acmbridge_commands" -- "$cur"))
		fi
		return
	fi
	# The value of the option before the cursor (not of one before the command).
	if [[ $split == true ]] || { [[ $prev == --* ]] && ((cword - 1 > i)); }; then
		kind=$(_acmbridge_kind "$cmd" "$prev")
		case $kind in
		flag) ;;
		none) return ;; # free text (an ARN, a number): nothing to offer
		*)
			_acmbridge_value "$kind" "$cur"
			declare -F __ltrim_colon_completions >/dev/null &&
				__ltrim_colon_completions "$cur"
			return
			;;
		esac
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_acmbridge_options "$cmd")" -- "$cur"))
	elif [ "$cmd" = list ]; then
		# list's one argument: a pkcs11: URI.
		_acmbridge_value uri "$cur"
	fi
	declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
}
complete -F _acmbridge acmbridge
EOF
} >"$out/acmbridge.tmp"
mv "$out/acmbridge.tmp" "$out/acmbridge"

# ---- zsh ----
# zsh_spec COMMAND OPTION ARGUMENT DESCRIPTION: one _arguments spec.
zsh_spec() {
	local opt=$2 arg=$3 desc=$4 k action repeat=""
	desc=${desc//[\[\]\'\\:]/}
	desc=${desc//\`/}
	k=$(kind "$opt" "$arg")
	case "$arg $desc" in *...* | *repeatable*) repeat='*' ;; esac
	case $k in
	flag)
		printf "'%s%s[%s]'" "$repeat" "$opt" "$desc"
		return
		;;
	file) action=_files ;;
	src) action=_acmbridge_src ;;
	fileurl) action=_acmbridge_fileurl ;;
	uri) action='_acmbridge_uri' ;;
	region) action='_acmbridge_region' ;;
	profile) action='_acmbridge_profile' ;;
	env) action=_parameters ;;
	words:*) action="(${k#words:})" ;;
	*) action=' ' ;;
	esac
	arg=${arg//[\[\]:]/}
	printf "'%s%s=[%s]:%s:%s'" "$repeat" "$opt" "$desc" "${arg:-value}" "$action"
}

{
	cat <<'EOF'
#compdef acmbridge
# zsh completion for acmbridge.
# Generated from `acmbridge COMMAND --help` by scripts/gen-completion.sh.

EOF
	printf '_acmbridge_regions=(%s)\n\n' "$regions"
	cat <<'EOF'
_acmbridge_region() { compadd -a _acmbridge_regions }
_acmbridge_uri() { compadd -S '' pkcs11: }
_acmbridge_fileurl() {
	if compset -P 'file://'; then _files; else compadd -S '' file://; fi
}
_acmbridge_src() {
	if compset -P 'fileb://' || compset -P 'file://'; then
		_files
	elif [[ $PREFIX == pkcs11:* ]]; then
		return 0
	else
		compadd -S '' fileb:// file:// pkcs11:
		_files
	fi
}
_acmbridge_profile() {
	local -a profiles
	local f
	for f in "${AWS_CONFIG_FILE:-$HOME/.aws/config}" \
		"${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}"; do
		[[ -r $f ]] && profiles+=(${(f)"$(sed -n 's/^[[:space:]]*\[\(profile[[:space:]]\+\)\{0,1\}\([^]]*\)\].*/\2/p' $f)"})
	done
	compadd -a profiles
}

_acmbridge() {
	local curcontext=$curcontext state line
	typeset -A opt_args
EOF
	printf '\t_arguments -C \\\n'
	while IFS=$'\037' read -r c o a d; do
		[ "$c" = - ] && printf '\t\t%s \\\n' "$(zsh_spec "$c" "$o" "$a" "$d")"
	done <<<"$options"
	printf "\t\t'1:command:->command' '*::argument:->argument'\n"
	cat <<'EOF'
	case $state in
	command)
		local -a commands
		commands=(
EOF
	while IFS=$'\037' read -r c d; do
		d=${d//[\[\]\'\\]/}
		printf "\t\t\t'%s:%s'\n" "$c" "${d//:/}"
	done <<<"$commands"
	cat <<'EOF'
		)
		_describe -t commands command commands
		;;
	argument)
		curcontext=${curcontext%:*:*}:acmbridge-$line[1]:
		case $line[1] in
EOF
	for c in $(cut -d $'\037' -f1 <<<"$commands"); do
		printf '\t\t%s)\n\t\t\t_arguments \\\n' "$c"
		while IFS=$'\037' read -r oc o a d; do
			[ "$oc" = "$c" ] && printf '\t\t\t\t%s \\\n' "$(zsh_spec "$oc" "$o" "$a" "$d")"
		done <<<"$options"
		if [ "$c" = list ]; then
			printf "\t\t\t\t'1:pkcs11 URI:_acmbridge_uri'\n"
		else
			printf "\t\t\t\t&& return 0\n"
		fi
		printf '\t\t\t;;\n'
	done
	cat <<'EOF'
		esac
		;;
	esac
}

_acmbridge "$@"
EOF
} >"$out/_acmbridge.tmp"
mv "$out/_acmbridge.tmp" "$out/_acmbridge"
