#!/bin/bash
# sync --metrics-file: the run's metrics in node_exporter's textfile format
# (acmbridge_last_sync_timestamp_seconds and friends), written atomically
# after every real run (not a dry run), a bad folder refused before anything
# is sent, and promtool's own check over the file.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PYTHON3=${PYTHON3:-/usr/bin/python3}
export ACMB_TEST_NO_BACKOFF=1
# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"
# shellcheck source=../lib/material.sh
. "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/endpoint.sh
. "$ACMB_TESTS_DIR/lib/endpoint.sh"

mat_setup
D=$MAT_DIR
trap 'mat_cleanup; _endpoint_on_exit' EXIT
ASSERT_STDERR=$D/stderr
out=""
rc=0

sync_run() {
	out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
		--manifest "$D/fleet.yaml" --output json "$@" 2>"$D/stderr")
	rc=$?
}
requests() { endpoint_requests | jq '.requests | length'; }
# metric NAME[{LABELS}]: its value in the metrics file, or "absent".
metric() {
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "absent" }' "$D/prom/sync.prom"
}

endpoint_start --tls
mat_cert root --ca --subj "/CN=Metrics Root" >/dev/null
mat_cert www --issuer root --san DNS:www.example.test >/dev/null
mat_cert api --issuer root --san DNS:api.example.test >/dev/null
chmod 600 "$D"/*.key
cat >"$D/fleet.yaml" <<YAML
version: 1
defaults:
  destinations: [{region: us-east-1}, {region: eu-west-1}]
certificates:
  - name: www
    files: {certificate: www.pem, private-key: www.key, certificate-chain: root.pem}
  - name: api
    files: {certificate: api.pem, private-key: api.key, certificate-chain: root.pem}
    destinations: [{region: eu-west-1}]
YAML
mkdir -p "$D/prom"

# A folder that does not exist: exit 2 before any request.
endpoint_reset
sync_run --metrics-file "$D/missing/sync.prom"
expect_rc "a metrics file in a missing folder" 2 "--metrics-file"
expect_eq "  nothing was sent" "$(requests)" 0

# --query over the JSON result, compiled before anything is sent.
n0=$(requests)
sync_run --dry-run --query 'Items[?Action==`create`] | length(@)'
expect_rc "--query on a dry run keeps the run's exit code" 10
expect_eq "  the answer: 3 creates" "$out" 3
out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
	--manifest "$D/fleet.yaml" --dry-run --output text --query 'Items[].Name' 2>"$D/stderr")
rc=$?
expect_eq "  --output text lays it out as the AWS CLI does" "$out" "$(printf 'www\twww\tapi')"
n1=$(requests)
sync_run --query 'Items[?'
expect_rc "a bad --query: exit 2" 2 "query"
expect_eq "  nothing was sent for it" "$(($(requests) - n1))" 0
expect_eq "  (the two dry runs listed, nothing more)" "$([ "$n1" -gt "$n0" ] && echo yes)" yes

# --output json writes its items one at a time (a fleet's run never holds
# them all as JSON): the same document as the whole one --query '@' reads.
sync_run --dry-run
expect_rc "--output json of a dry run" 10
whole=$(printf '%s' "$out" | jq -S .)
expect_eq "  its 3 items" "$(printf '%s' "$whole" | jq '.Items | length')" 3
sync_run --dry-run --query '@'
expect_eq "  the same document as --query '@'" "$(printf '%s' "$out" | jq -S .)" "$whole"
sync_run --dry-run --region ap-south-1
expect_rc "--output json with no item" 0
expect_eq "  Items is empty, laid out as before" \
	"$(printf '%s' "$out" | grep -c '^    "Items": \[\],$')" 1
expect_eq "  and the document still JSON" "$(printf '%s' "$out" | jq -c '.Items')" "[]"

# A dry run says nothing there.
sync_run --dry-run --metrics-file "$D/prom/sync.prom"
expect_rc "dry run with changes pending" 10
expect_eq "  no metrics file after a dry run" "$(test -e "$D/prom/sync.prom" && echo yes || echo no)" no

# A run: 3 creates, every one done.
before=$(date +%s)
sync_run --metrics-file "$D/prom/sync.prom"
expect_rc "sync of 3 items" 0
expect_eq "  the metrics file is there" "$(test -f "$D/prom/sync.prom" && echo yes || echo no)" yes
expect_eq "  readable by a collector (0644)" "$(stat -c %a "$D/prom/sync.prom")" 644
expect_eq "  no temporary file left" "$(find "$D/prom" -name '*.tmp.*' | wc -l)" 0
expect_eq "  exit code 0" "$(metric acmbridge_last_sync_exit_code)" 0
expect_eq "  3 creates done" "$(metric 'acmbridge_last_sync_items{action="create",result="done"}')" 3
expect_eq "  3 ImportCertificate calls" "$(metric acmbridge_last_sync_import_calls)" 3
ts=$(metric acmbridge_last_sync_timestamp_seconds)
if [ "$ts" != absent ] && [ "$ts" -ge "$before" ] && [ "$ts" -le "$(($(date +%s) + 1))" ]; then
	ok "  the timestamp is the run's end ($ts)"
else
	fail "  the timestamp is the run's end" "got $ts, run started at $before"
fi
if command -v promtool >/dev/null; then
	if promtool check metrics <"$D/prom/sync.prom" >"$D/promtool.out" 2>&1; then
		ok "  promtool check metrics passes"
	else
		fail "  promtool check metrics passes" "$(cat "$D/promtool.out")"
	fi
else
	fail "  promtool check metrics passes" "promtool is not installed (scripts/deps.sh installs prometheus)"
fi

# A rerun: nothing to do; the file is replaced, not appended to.
sync_run --metrics-file "$D/prom/sync.prom"
expect_rc "rerun" 0
expect_eq "  3 unchanged" \
	"$(awk '/^acmbridge_last_sync_items\{action="unchanged"/ { s += $2 } END { print s + 0 }' "$D/prom/sync.prom")" 3
expect_eq "  no create left from the first run" "$(metric 'acmbridge_last_sync_items{action="create",result="done"}')" absent
expect_eq "  0 ImportCertificate calls" "$(metric acmbridge_last_sync_import_calls)" 0
expect_eq "  one series per name (replaced, not appended)" \
	"$(grep -c '^acmbridge_last_sync_exit_code ' "$D/prom/sync.prom")" 1

# A failed run is still written, with its exit code: ACM refuses every call.
cat >>"$D/fleet.yaml" <<YAML
  - name: new
    files: {certificate: www.pem, private-key: www.key, certificate-chain: root.pem}
    destinations: [{region: ap-south-1}]
YAML
endpoint_fault '{"operation": "ImportCertificate", "fault": "access-denied", "times": 10}'
sync_run --metrics-file "$D/prom/sync.prom"
endpoint_clear_faults
expect_eq "  the run failed (exit 5)" "$rc" 5
expect_eq "  its exit code is in the file" "$(metric acmbridge_last_sync_exit_code)" 5
expect_eq "  the failed create is counted" "$(metric 'acmbridge_last_sync_items{action="create",result="failed"}')" 1

finish
