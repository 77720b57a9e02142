#!/usr/bin/env bash
# Zero copies of any secret form in the memory of `acmbridge check` at the
# result moment and at exit, for every file input and failure path.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/flows.sh"
M=$WORK/mat
make_material "$M"

while IFS= read -r line; do
	flow_fields "$line"
	opts=(--result-fd "$F_FD" --expect-exit "$F_EXIT" --origin)
	[ -n "$F_STDIN" ] && opts+=(--stdin "$F_STDIN")
	[ "$F_NAME" = check-encrypted-env ] && opts+=(--env "CUSTODY_PASS=$(cat "$M/pass.txt")")
	scan "mem-$F_NAME" "${F_SECRETS[@]}" "${opts[@]}" -- "$ACMBRIDGE" "${F_ARGS[@]}"
	rc=$?
	case $rc in
	0) pass "$F_NAME: zero hits at result and exit, exit code $F_EXIT" ;;
	1) fail "$F_NAME: secret copies found (see HIT and ORIGIN lines above)" ;;
	2) fail "$F_NAME: a moment was not reached or exit code was not $F_EXIT" ;;
	*) fail "$F_NAME: harness failure" ;;
	esac
done < <(check_flows)
finish
