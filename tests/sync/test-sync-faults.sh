#!/bin/bash
# acmbridge sync when ACM misbehaves mid-run, against the local endpoint: a
# fleet of 6 entries in 2 regions (12 imports). ImportCertificate throttled
# for a while from the 4th import on: every item still ends done, once. The
# answer of the 3rd import lost after ACM applied it, and the connection of
# the 3rd import dropped before: a rerun converges, and ACM holds exactly one
# certificate per (entry, region), as the endpoint's state and the aws CLI
# both show.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PY=${PYTHON3:-/usr/bin/python3}
PYTHON3=$PY
# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"
# shellcheck source=../lib/material.sh
. "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/endpoint.sh
. "$ACMB_TESTS_DIR/lib/endpoint.sh"

mat_setup
D=$MAT_DIR
trap 'mat_cleanup; _endpoint_on_exit' EXIT
out=""
rc=0
ASSERT_STDERR=$D/stderr
ASSERT_RC_STDOUT=1
ENTRIES="e1 e2 e3 e4 e5 e6"
REGIONS="us-east-1 eu-west-1"
PAIRS=12

# sync ARGS...: acmbridge sync of the fleet; sets $out and $rc.
sync_run() {
	out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
		--manifest "$D/fleet.yaml" --output json "$@" 2>"$D/stderr")
	rc=$?
}
jq_out() { printf '%s' "$out" | jq -r "$1"; }
# op_faults OP FAULT: how many OP requests the endpoint answered with FAULT.
op_faults() {
	endpoint_requests | jq --arg op "$1" --arg f "$2" \
		'[.requests[] | select(.operation == $op and .fault == $f)] | length'
}
# pairs_held: "NAME/REGION=COUNT" for every entry tag the endpoint holds,
# sorted; a duplicate shows as a count of 2.
pairs_held() {
	endpoint_certs | jq -r '[.certificates[] | "\([.tags[] | select(.Key == "acmbridge:name") | .Value][0] // "-")/\(.region)"]
		| group_by(.) | map("\(.[0])=\(length)") | join(" ")'
}
pairs_wanted() {
	local e r
	for e in $ENTRIES; do for r in $REGIONS; do echo "$e/$r=1"; done; done | sort | tr '\n' ' ' | sed 's/ $//'
}
# aws_count REGION: certificates the aws CLI lists in REGION (EC P-256).
aws_count() {
	AWS_CA_BUNDLE=$ACMB_ENDPOINT_CA aws --endpoint-url "$ACMB_ENDPOINT_URL" --region "$1" acm \
		list-certificates --includes keyTypes=EC_prime256v1 --output json 2>>"$D/stderr" |
		jq '.CertificateSummaryList | length'
}
# one_per_pair WHAT: exactly one certificate per (entry, region), by the
# endpoint's state and by the aws CLI's listing.
one_per_pair() {
	local r
	echo "# ($SECONDS s)"
	expect_eq "$1: one certificate per (entry, region) in the endpoint's state" \
		"$(pairs_held | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" "$(pairs_wanted)"
	for r in $REGIONS; do
		expect_eq "$1: the aws CLI lists 6 certificates in $r" "$(aws_count "$r")" 6
	done
}

endpoint_start --tls

mat_cert root --ca --subj "/CN=Faults Root" >/dev/null
mat_cert inter --ca --issuer root --subj "/CN=Faults Intermediate" >/dev/null
{
	echo "version: 1"
	echo "defaults:"
	echo "  destinations: [{region: us-east-1}, {region: eu-west-1}]"
	echo "certificates:"
	for e in $ENTRIES; do
		mat_cert "$e" --issuer inter --san "DNS:$e.faults.example.test" >/dev/null
		chmod 600 "$D/$e.key"
		echo "  - name: $e"
		echo "    files: {certificate: $e.pem, private-key: $e.key, certificate-chain: inter.pem}"
	done
} >"$D/fleet.yaml"

echo "# ImportCertificate throttled for 3 s from the 4th import on (default retries, real backoff)"
endpoint_fault '{"operation": "ImportCertificate", "fault": "throttle", "after": 3, "seconds": 3}'
sync_run
expect_rc "throttled sync exits 0" 0
expect_eq "the endpoint throttled at least two imports" "$(($(op_faults ImportCertificate throttle) >= 2))" 1
expect_eq "every item done" "$(jq_out '.Done'):$(jq_out '.Failed'):$(jq_out '.NotDone')" "$PAIRS:0:0"
expect_eq "every item's result is done" "$(jq_out '[.Items[].Result] | unique | join(",")')" "done"
expect_eq "ImportCertificate applied once per pair" \
	"$(endpoint_requests | jq '[.requests[] | select(.operation == "ImportCertificate" and .applied)] | length')" "$PAIRS"
one_per_pair "after throttling"
sync_run
expect_rc "rerun after throttling" 0
expect_eq "rerun: all unchanged" "$(jq_out '[.Items[].Action] | unique | join(",")')" unchanged

echo "# the 3rd import's answer lost after ACM applied it"
endpoint_reset
endpoint_fault '{"operation": "ImportCertificate", "fault": "drop-after", "after": 2}'
sync_run
first_rc=$rc
expect_eq "the endpoint dropped one applied import's answer" "$(op_faults ImportCertificate drop-after)" 1
case $first_rc in
0 | 6) ok "first run: exit $first_rc (0: recovered in the run; 6: the network failure reported)" ;;
*) fail "first run after a lost answer" "exit $first_rc: $(head -c 400 "$D/stderr")" ;;
esac
expect_eq "first run: no duplicate of the lost import" \
	"$(pairs_held | tr ' ' '\n' | grep -c '=[2-9]')" 0
sync_run
expect_rc "rerun converges" 0
expect_eq "rerun: nothing failed or left" "$(jq_out '.Failed'):$(jq_out '.NotDone')" "0:0"
expect_eq "rerun: the lost import is not imported again" \
	"$(endpoint_requests | jq '[.requests[] | select(.operation == "ImportCertificate" and .applied)] | length')" "$PAIRS"
one_per_pair "after a lost answer"
sync_run --dry-run
expect_rc "then nothing is pending" 0

echo "# the 3rd import's connection dropped before ACM applied it"
endpoint_reset
endpoint_fault '{"operation": "ImportCertificate", "fault": "drop-before", "after": 2}'
sync_run
first_rc=$rc
expect_eq "the endpoint dropped one import unapplied" "$(op_faults ImportCertificate drop-before)" 1
case $first_rc in
0 | 6) ok "first run: exit $first_rc" ;;
*) fail "first run after a dropped connection" "exit $first_rc: $(head -c 400 "$D/stderr")" ;;
esac
expect_eq "first run: the other 11 items done" "$(($(jq_out '.Done') >= PAIRS - 1))" 1
sync_run
expect_rc "rerun converges" 0
one_per_pair "after a dropped connection"
sync_run --dry-run
expect_rc "then nothing is pending" 0

finish
