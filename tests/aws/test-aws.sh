#!/bin/bash
# The AWS client (src/acm/) against the local ACM endpoint over HTTP and
# HTTPS, with IMDSv2, container-credential and access-denied servers on
# loopback (metadata_server.py). Runs tests/test-aws-client (cmocka) once per
# transport and checks what the metadata servers saw.
set -euo pipefail

: "${ACMB_TESTS_DIR:?}" "${ACMB_BUILD_DIR:?}"
: "${PYTHON3:=/usr/bin/python3}"
CLIENT="$ACMB_BUILD_DIR/tests/test-aws-client"
HERE="$ACMB_TESTS_DIR/aws"
# shellcheck source=../lib/endpoint.sh
source "$ACMB_TESTS_DIR/lib/endpoint.sh"

# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmb-aws-test.XXXXXX")
MY_PIDS=()
cleanup() {
	local p
	for p in ${MY_PIDS[@]+"${MY_PIDS[@]}"}; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
# Set before endpoint_start, which chains its own stop to it.
trap cleanup EXIT

# start_meta VAR MODE [args]: starts a server, sets VAR to its URL. Not in
# a $(...) subshell, so that its pid is remembered for cleanup.
start_meta() {
	local var=$1 mode=$2 i
	shift 2
	"$PYTHON3" "$HERE/metadata_server.py" --mode "$mode" --ready-file "$WORK/$mode.ready" \
		--log "$WORK/$mode.log" "$@" >"$WORK/$mode.out" 2>&1 &
	MY_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[ -s "$WORK/$mode.ready" ] && break
		sleep 0.1
	done
	printf -v "$var" '%s' "$("$PYTHON3" -c \
		'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$WORK/$mode.ready")"
}

run_client() {
	local mode=$1
	if ACMB_TEST_MODE=$mode "$CLIENT" >"$WORK/client-$mode.out" 2>&1; then
		ok "test-aws-client ($mode): $(grep -c '^\[       OK \]' "$WORK/client-$mode.out") cases"
	else
		fail "test-aws-client ($mode)"
		cat "$WORK/client-$mode.out" >&2
	fi
	# Every case must have run; only the TLS case skips over plain HTTP.
	if grep -q '^\[  FAILED  \]' "$WORK/client-$mode.out"; then
		fail "failed cases in $mode"
	fi
	if grep '^\[  SKIPPED \] test_' "$WORK/client-$mode.out" |
		grep -qv "$([ "$mode" = plain ] && echo test_tls_verification || echo '^$')"; then
		fail "unexpected skips in $mode: $(grep '^\[  SKIPPED \] test_' "$WORK/client-$mode.out" | sort -u | tr '\n' ' ')"
	fi
}

endpoint_start
CONTAINER_TOKEN="container-token-$RANDOM$RANDOM"
start_meta ACMB_TEST_IMDS_URL imds
start_meta ACMB_TEST_CONTAINER_URL container --token "$CONTAINER_TOKEN"
start_meta ACMB_TEST_DENIED_URL denied
export ACMB_TEST_IMDS_URL ACMB_TEST_CONTAINER_URL ACMB_TEST_DENIED_URL
export ACMB_TEST_CONTAINER_TOKEN="$CONTAINER_TOKEN"

# The IMDS stand-in demands the IMDSv2 token, or the IMDS test proves nothing.
code=$(curl -s -o /dev/null -w '%{http_code}' \
	"$ACMB_TEST_IMDS_URL/latest/meta-data/iam/security-credentials/")
if [ "$code" = 401 ]; then ok "IMDS without token answers 401"; else fail "IMDS answered $code"; fi

run_client plain

# The client asked for the token first (PUT with the TTL header) and sent it
# with every GET.
if "$PYTHON3" - "$WORK/imds.log" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
log = [e for e in log if e["status"] != 401 or e["method"] != "GET" or
       "x-aws-ec2-metadata-token" in e["headers"]]
assert log, "no IMDS requests"
assert log[0]["method"] == "PUT" and log[0]["path"] == "/latest/api/token", log[0]
assert "x-aws-ec2-metadata-token-ttl-seconds" in log[0]["headers"], log[0]
gets = [e for e in log if e["method"] == "GET"]
assert len(gets) == 2, gets
assert all("x-aws-ec2-metadata-token" in e["headers"] and e["status"] == 200 for e in gets), gets
PY
then ok "IMDSv2 flow: PUT token, then GETs with the token"; else fail "IMDSv2 flow"; fi

if "$PYTHON3" - "$WORK/container.log" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
assert [e["status"] for e in log] == [401, 200, 200], log
assert all(e["path"] == "/v2/credentials/test" and "authorization" in e["headers"] for e in log), log
PY
then ok "container endpoint: token refused once, then accepted"; else fail "container log"; fi

endpoint_stop
endpoint_start --tls
run_client tls

finish
