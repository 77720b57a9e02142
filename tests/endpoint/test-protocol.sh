#!/bin/bash
# The local ACM endpoint as a strict judge: SigV4 refusals, botocore-model
# validation, JSON 1.1 framing, ACM's import, tag and pagination rules
# (protocol_check.py, signing with botocore), then how the server starts,
# keeps connections alive and stops.
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export PYTHON3=${PYTHON3:-/usr/bin/python3}
source "$ACMB_TESTS_DIR/lib/endpoint.sh"
# shellcheck source=../lib/assert.sh
source "$ACMB_TESTS_DIR/lib/assert.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmb-protocol.XXXXXX")
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

endpoint_start

# run_py ARGS...: runs protocol_check.py and adds its counts to ours.
run_py() {
	local rc=0 summary
	"$PYTHON3" "$ACMB_TESTS_DIR/endpoint/protocol_check.py" "$@" | tee "$WORK/py.out" || rc=$?
	summary=$(tail -1 "$WORK/py.out")
	if [[ "$summary" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		ASSERT_PASSED=$((ASSERT_PASSED + BASH_REMATCH[1]))
		ASSERT_FAILED=$((ASSERT_FAILED + BASH_REMATCH[2]))
	else
		fail "protocol_check.py $* ran to the end" "exit $rc"
	fi
}

run_py

echo "# state survives a restart; status follows the clock"
arn=$(endpoint_certs | jq -r '[.certificates[] | select(.domain == "rules.example.test" and .key_algorithm == "RSA_2048" and .region == "us-east-1")][0].arn')
endpoint_stop
later=$(date -u -d '+60 days' +%Y%m%dT%H%M%SZ)
endpoint_start --fixed-time "$later"
run_py --expired-check "$arn" "$later"

echo "# connections"
curl -sv "$ACMB_ENDPOINT_URL/__control/faults" "$ACMB_ENDPOINT_URL/__control/faults" \
	-o /dev/null -o /dev/null 2>"$WORK/keepalive"
if grep -q "Re-using existing connection" "$WORK/keepalive"; then
	ok "HTTP/1.1 keep-alive: second request reuses the connection"
else
	fail "HTTP/1.1 keep-alive: second request reuses the connection"
fi
expect_eq "control API: unknown route is 404" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$ACMB_ENDPOINT_URL/__control/nope")" 404
endpoint_stop

echo "# start and stop"
mkdir -p "$WORK/state"
"$PYTHON3" "$ACMB_TESTS_DIR/endpoint/server.py" --state-dir "$WORK/state" \
	--ready-file "$WORK/ready.json" --tls --account 210987654321 \
	--fault '{"operation": "*", "fault": "throttle", "times": 3}' &
SERVER_PID=$!
for _ in $(seq 300); do [ -s "$WORK/ready.json" ] && break; sleep 0.1; done
expect_eq "ready file: https URL on loopback" \
	"$(jq -r '.url | test("^https://127\\.0\\.0\\.1:[0-9]+$")' "$WORK/ready.json")" true
expect_eq "ready file: pid of the server" "$(jq -r .pid "$WORK/ready.json")" "$SERVER_PID"
expect_eq "ready file: ca_file is DIR/ca.pem" "$(jq -r .ca_file "$WORK/ready.json")" "$WORK/state/ca.pem"
url=$(jq -r .url "$WORK/ready.json")
expect_eq "TLS: server certificate verifies against ca.pem for 127.0.0.1" \
	"$(curl -s --cacert "$WORK/state/ca.pem" -o /dev/null -w '%{http_code}' "$url/__control/faults")" 200
expect_eq "TLS: and for localhost" \
	"$(curl -s --cacert "$WORK/state/ca.pem" -o /dev/null -w '%{http_code}' \
		--resolve "localhost:${url##*:}:127.0.0.1" "https://localhost:${url##*:}/__control/faults")" 200
expect_eq "--fault at start is active" \
	"$(curl -s --cacert "$WORK/state/ca.pem" "$url/__control/faults" | jq -c '[.faults[] | .fault, .times_left]')" \
	'["throttle",3]'
kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=
expect_eq "SIGTERM: exit status 0" "$rc" 0
expect_eq "SIGTERM: ready file removed" "$([ -e "$WORK/ready.json" ] && echo present || echo gone)" gone
rc=0
"$PYTHON3" "$ACMB_TESTS_DIR/endpoint/server.py" --state-dir "$WORK/state" \
	--ready-file "$WORK/ready.json" --host 0.0.0.0 2>"$WORK/err" || rc=$?
expect_eq "--host that is not loopback is refused (usage, exit 2)" "$rc" 2
rc=0
"$PYTHON3" "$ACMB_TESTS_DIR/endpoint/server.py" --state-dir "$WORK/state" \
	--ready-file "$WORK/ready.json" --fault '{"fault": "boom"}' 2>"$WORK/err" || rc=$?
expect_eq "bad --fault is refused (usage, exit 2)" "$rc" 2

finish
