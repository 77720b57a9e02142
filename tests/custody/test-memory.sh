#!/usr/bin/env bash
# Zero copies of any secret form in the process memory (every readable
# mapping, every thread's vector registers) at the result moment and at
# exit, for every flow: check with each file input and failure path, and
# import/reimport against the local endpoint over HTTPS with its failure
# paths (AWS error, rejected key, connection lost after the body was sent).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/flows.sh"
M=$WORK/mat
make_material "$M"

run_flow() {
	local line=$1 opts rc env_opts=() e
	flow_fields "$line"
	flow_unsupported && return 0
	flow_program
	flow_setup
	opts=(--result-fd "$F_FD" --expect-exit "$F_EXIT" --origin)
	[ -n "$F_STDIN" ] && opts+=(--stdin "$F_STDIN")
	for e in "${F_ENV[@]}"; do env_opts+=(--env "$e"); done
	scan "mem-$F_NAME" "${F_SECRETS[@]}" "${opts[@]}" "${env_opts[@]}" -- "${F_PROG[@]}" "${F_ARGS[@]}"
	rc=$?
	case $rc in
	0) pass "$F_NAME: zero hits at result and exit, exit code $F_EXIT" ;;
	1)
		local judged
		judged=$(known_defect_hits "mem-$F_NAME" "$(known_defects)")
		read -r uncovered covered <<<"$(head -n1 <<<"$judged")"
		if [ "$uncovered" -eq 0 ] && [ "$covered" -gt 0 ] &&
			! grep -q "EXPECTED exit code\|NEVER REACHED" "$WORK/mem-$F_NAME.out"; then
			xfail_result 1 "$F_NAME ($covered hits)" "$(tail -n +2 <<<"$judged")"
		else
			fail "$F_NAME: secret copies found (see HIT and ORIGIN lines above)"
		fi
		;;
	2) fail "$F_NAME: a moment was not reached or exit code was not $F_EXIT" ;;
	*) fail "$F_NAME: harness failure" ;;
	esac
}

while IFS= read -r line; do run_flow "$line"; done < <(check_flows)

start_import_endpoint || { fail "endpoint did not start"; finish; }
while IFS= read -r line; do
	run_flow "$line"
	if [ "$F_NAME" = import-new ]; then
		ARN=$(grep -oE 'arn:aws:acm:[^ "]+' "$WORK/run-mem-import-new/stdout" | head -n1)
		[ -n "$ARN" ] || fail "import-new printed no ARN: reimport cannot run"
	fi
done < <(import_flows)
finish
