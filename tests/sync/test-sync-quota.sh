#!/bin/bash
# sync and ACM's certificate quotas: a LimitExceededException (2,500
# imported certificates, 5,000 imports a year) stops that destination for
# the rest of the run with a line that says so, while the other destinations
# go on; a rerun once there is room completes the fleet.
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
imports() { endpoint_requests | jq '[.requests[] | select(.operation == "ImportCertificate")] | length'; }
item() { jq -r --arg n "$1" --arg r "$2" ".Items[] | select(.Name == \$n and .Region == \$r) | $3" <<<"$out"; }

endpoint_start --tls
mat_cert root --ca --subj "/CN=Quota Root" >/dev/null
for n in a b c; do
	mat_cert "$n" --issuer root --san "DNS:$n.example.test" >/dev/null
done
chmod 600 "$D"/*.key
cat >"$D/fleet.yaml" <<YAML
version: 1
defaults:
  destinations: [{region: us-east-1}, {region: eu-west-1}]
certificates:
  - name: a
    files: {certificate: a.pem, private-key: a.key, certificate-chain: root.pem}
  - name: b
    files: {certificate: b.pem, private-key: b.key, certificate-chain: root.pem}
  - name: c
    files: {certificate: c.pem, private-key: c.key, certificate-chain: root.pem}
YAML

# The first import into us-east-1 (a: each destination takes the entries in
# manifest order) meets the quota.
endpoint_fault '{"operation": "ImportCertificate", "fault": "limit", "times": 1, "region": "us-east-1"}'
sync_run
endpoint_clear_faults
expect_eq "the run reports ACM's refusal (exit 5)" "$rc" 5
expect_eq "  4 ImportCertificate requests: the refused one and eu-west-1's three" "$(imports)" 4
expect_in "  a in us-east-1: LimitExceededException" "LimitExceededException" "$(item a us-east-1 .Error)"
expect_in "  b in us-east-1: not sent, the quota named" \
	"not sent: ACM's certificate quota is reached in us-east-1 (LimitExceededException importing a)" \
	"$(item b us-east-1 .Error)"
expect_eq "  c in us-east-1: not sent either" "$(item c us-east-1 .Result)" failed
expect_eq "  eu-west-1 went on: 3 done" \
	"$(jq -r '[.Items[] | select(.Region == "eu-west-1" and .Result == "done")] | length' <<<"$out")" 3

# Room again: a rerun completes us-east-1 and sends nothing to eu-west-1.
n0=$(imports)
sync_run
expect_eq "rerun: exit 0" "$rc" 0
expect_eq "  3 imports, all into us-east-1" "$(($(imports) - n0))" 3
expect_eq "  one certificate per entry and region" "$(endpoint_cert_count)" 6

# Throttling mid-sync: the endpoint enforces ACM's quotas (1 import and 1
# listing call a second) while this client is told it may send 50: every
# item still lands once, and --debug names the throttling reasons ACM gave.
endpoint_reset
_endpoint_control POST /__control/quotas '{"enabled": true, "scale": 1}' >/dev/null
n0=$(imports)
out=$(env -u ACMB_TEST_NO_BACKOFF ACMB_TEST_AWS_RATES="acm:ImportCertificate=50,acm:SearchCertificates=50,acm:ListCertificates=50" \
	"$ACMBRIDGE" --debug sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
	--manifest "$D/fleet.yaml" --output json --max-attempts 10 2>"$D/debug")
rc=$?
_endpoint_control POST /__control/quotas '{"enabled": false}' >/dev/null
expect_eq "throttled sync: exit 0" "$rc" 0
expect_eq "  6 creates done" "$(jq -r '[.Items[] | select(.Result == "done")] | length' <<<"$out")" 6
expect_eq "  one certificate per entry and region (no duplicate)" "$(endpoint_cert_count)" 6
throttled=$(grep -c "ThrottlingException (throttling reasons: RATE_EXCEEDED on " "$D/debug")
if [ "$throttled" -ge 1 ]; then
	ok "  --debug names the throttling reasons ($throttled throttled attempts)"
else
	fail "  --debug names the throttling reasons" "$(grep -i thrott "$D/debug" | head -3)"
fi

# On a terminal: a progress line with an ETA from the quotas.
endpoint_reset
script -qec "\"$ACMBRIDGE\" sync --endpoint-url \"$ACMB_ENDPOINT_URL\" --ca-bundle \"$ACMB_ENDPOINT_CA\" --manifest \"$D/fleet.yaml\"" \
	/dev/null >"$D/tty.out" 2>&1
expect_in "a terminal shows the progress line" "applying 1/6" "$(tr '\r' '\n' <"$D/tty.out")"
expect_in "  with an ETA from ACM's import quota" "left at ACM's import quota" "$(cat "$D/tty.out")"
expect_not_in "off a terminal there is none" "applying" "$(cat "$D/debug")"

finish
