#!/usr/bin/env bash
# Nothing in logs: the --debug output (stdout and stderr) of every flow holds
# no secret form and no unredacted credential header (Authorization,
# X-Amz-Security-Token). A control proves the checker sees a key line and an
# unredacted header in a log.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/flows.sh"
M=$WORK/mat
make_material "$M"
CHECK=("$PY" "$here/custody-check.py")

{ echo "debug: loading"; sed -n 5p "$M/rsa-pkcs8.pem"; echo "> Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=00"; } >"$WORK/control.log"
out=$("${CHECK[@]}" text "$WORK/control.log" --key "$M/rsa-pkcs8.pem")
if [ $? -eq 1 ] && grep -q "SECRET in" <<<"$out" && grep -q "UNREDACTED" <<<"$out"; then
	ok "control: one PEM line of the key and an unredacted header are found in a log"
else
	fail "control: checker missed a key line or header in a log: $out"
fi

run_flow() {
	flow_fields "$1"
	flow_setup
	env "${UNSET_TEST_SECRETS[@]}" "${F_ENV[@]}" "${F_PROG[@]}" --debug "${F_ARGS[@]}" \
		<"${F_STDIN:-/dev/null}" >"$WORK/$F_NAME.log" 2>&1
	rc=$?
	flow_after || rc=99
	judge_debug_log "$F_NAME" "$WORK/$F_NAME.log" $rc "$F_EXIT" "${F_SECRETS[@]}"
}

while IFS= read -r line; do run_flow "$line"; done < <(check_flows)
start_import_endpoint || { fail "endpoint did not start"; finish; }
while IFS= read -r line; do
	run_flow "$line"
	[ "$F_NAME" = import-new ] && ARN=$(grep -oE 'arn:aws:acm:[^ "]+' "$WORK/import-new.log" | head -n1)
done < <(import_flows)
finish
