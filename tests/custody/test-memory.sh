#!/usr/bin/env bash
# Zero copies of any secret form in the process memory (every readable
# mapping, every thread's vector registers) at the result moment and at
# exit, for every flow: check with each file input and failure path, and
# import/reimport against the local endpoint over HTTPS with its failure
# paths (AWS error, rejected key, connection lost after the body was sent),
# and import with credentials from instance metadata and the container
# endpoint.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/flows.sh"
M=$WORK/mat
make_material "$M"

run_flow() {
	local line=$1 opts rc env_opts=() e
	flow_fields "$line"
	flow_setup
	opts=(--result-fd "$F_FD" --expect-exit "$F_EXIT" --origin)
	[ -n "$F_STDIN" ] && opts+=(--stdin "$F_STDIN")
	for e in "${F_ENV[@]}"; do env_opts+=(--env "$e"); done
	scan "mem-$F_NAME" "${F_SECRETS[@]}" "${opts[@]}" "${env_opts[@]}" -- "${F_PROG[@]}" "${F_ARGS[@]}"
	rc=$?
	if [ "$rc" -eq 0 ] && ! flow_after; then rc=2; fi
	case $rc in
	0) ok "$F_NAME: zero hits at result and exit, exit code $F_EXIT" ;;
	1) fail "$F_NAME: secret copies found (see HIT and ORIGIN lines above)" ;;
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
# Credentials from EC2 instance metadata (IMDSv2) and from the ECS container
# endpoint, served on loopback by tests/aws/metadata_server.py: the
# temporary secret key and session token (in an HTTP answer body, parsed as
# JSON) and the container authorization token (an environment variable) are
# the run's secrets, with the key.
start_meta() {
	local mode=$1 i
	shift
	"$PY" "$ACMB_TESTS_DIR/aws/metadata_server.py" --mode "$mode" --ready-file "$WORK/$mode.ready" \
		--log "$WORK/$mode.log" "$@" >"$WORK/$mode.out" 2>&1 &
	META_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[ -s "$WORK/$mode.ready" ] && break
		sleep 0.1
	done
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$WORK/$mode.ready"
}
META_PIDS=()
trap 'kill "${META_PIDS[@]}" 2>/dev/null; rm -rf "$WORK"; endpoint_stop 2>/dev/null' EXIT
CTOKEN=$("$PY" -c 'import secrets; print("ctok-" + secrets.token_urlsafe(24))')
start_meta imds >"$WORK/imds.url"
start_meta container --token "$CTOKEN" >"$WORK/container.url"
IMDS_URL=$(cat "$WORK/imds.url")
CONTAINER_URL=$(cat "$WORK/container.url")
NO_STATIC=(--unset-env AWS_ACCESS_KEY_ID --unset-env AWS_SECRET_ACCESS_KEY --unset-env AWS_SESSION_TOKEN
	--unset-env AWS_PROFILE --env AWS_SHARED_CREDENTIALS_FILE=/nonexistent --env AWS_CONFIG_FILE=/nonexistent)
STS=(--aws-secret "$ACMB_TEST_STS_SECRET_ACCESS_KEY" --aws-secret "$ACMB_TEST_STS_SESSION_TOKEN")
IMPORT_ARGS=(import --certificate "$M/ec-sec1.crt" --private-key "$M/ec-sec1.pem" --endpoint-url "$URL" --ca-bundle "$CA")
endpoint_clear_faults
for mode in imds container; do
	if [ $mode = imds ]; then
		src=(--env "AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS_URL")
		extra=()
	else
		src=(--env "AWS_CONTAINER_CREDENTIALS_FULL_URI=$CONTAINER_URL/v2/credentials/custody"
			--env "AWS_CONTAINER_AUTHORIZATION_TOKEN=$CTOKEN")
		extra=(--aws-secret "$CTOKEN")
	fi
	scan "mem-import-$mode-credentials" --key "$M/ec-sec1.pem" --public-file "$M/ec-sec1.crt" \
		"${STS[@]}" "${extra[@]}" "${NO_STATIC[@]}" "${src[@]}" --result-fd 1 --expect-exit 0 \
		--origin -- "$ACMBRIDGE" "${IMPORT_ARGS[@]}"
	rc=$?
	if [ $rc -eq 0 ] && [ -s "$WORK/$mode.log" ]; then
		ok "import with $mode credentials: zero hits at result and exit ($(wc -l <"$WORK/$mode.log") requests to the $mode server)"
	else
		fail "import with $mode credentials: secret copies found, exit code not 0 or no request to the $mode server (harness status $rc)"
	fi
done
finish
