#!/bin/bash
# sync works on its destinations at the same time (--max-parallel, default:
# every destination), each at its own quota, and loads each entry's key once
# for all of them: a destination whose answers are slow does not hold up
# the others, and --max-parallel 1 takes the items one after another. New
# imports converge once per destination after the last of them (one listing,
# no per-certificate search), and a racing copy made by another run is still
# converged on one certificate.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PYTHON3=${PYTHON3:-/usr/bin/python3}
export ACMB_TEST_NO_BACKOFF=1
# The client's own limits out of the way: the order of the calls is tested.
export ACMB_TEST_AWS_RATES="acm:ImportCertificate=100,acm:SearchCertificates=100,acm:ListCertificates=100"
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
# us_before_second_eu: how many us-east-1 imports arrived before the second
# eu-west-1 import did.
us_before_second_eu() {
	endpoint_requests | jq '[.requests[] | select(.operation == "ImportCertificate")] as $i
		| ([$i[] | select(.region == "eu-west-1")][1].time) as $t
		| [$i[] | select(.region == "us-east-1" and .time < $t)] | length'
}
count_op() { endpoint_requests | jq --arg o "$1" '[.requests[] | select(.operation == $o)] | length'; }

endpoint_start --tls
mat_cert root --ca --subj "/CN=Parallel Root" >/dev/null
for n in a b c d; do
	mat_cert "$n" --issuer root --san "DNS:$n.example.test" >/dev/null
done
chmod 600 "$D"/*.key
{
	echo "version: 1"
	echo "defaults:"
	echo "  destinations: [{region: us-east-1}, {region: eu-west-1}]"
	echo "certificates:"
	for n in a b c d; do
		echo "  - name: $n"
		echo "    files: {certificate: $n.pem, private-key: $n.key, certificate-chain: root.pem}"
	done
} >"$D/fleet.yaml"

sync_run
expect_eq "default (every destination at once): exit 0" "$rc" 0
expect_eq "  8 items done" "$(jq -r '[.Items[] | select(.Result == "done")] | length' <<<"$out")" 8
expect_eq "  one certificate per entry and region" "$(endpoint_cert_count)" 8
expect_eq "  no per-import search: 1 listing per region to plan, 1 to converge" \
	"$(count_op SearchCertificates)" 4
expect_eq "  no look per import for racing copies: 1 GetCertificate each, the check" \
	"$(count_op GetCertificate)" 8

# eu-west-1's first answer is held 5 s. With 4 keys allowed, us-east-1
# imports every entry meanwhile (a fast destination runs ahead of a slow one
# by at most --max-parallel entries: their keys stay until both are done).
endpoint_reset
endpoint_fault '{"operation": "ImportCertificate", "fault": "slow", "delay": 5, "region": "eu-west-1"}'
sync_run --max-parallel 4
expect_eq "--max-parallel 4: exit 0" "$rc" 0
expect_eq "  us-east-1 went on while eu-west-1's first answer was held: its 4 imports came first" \
	"$(us_before_second_eu)" 4
expect_eq "  one certificate per entry and region" "$(endpoint_cert_count)" 8

endpoint_reset
endpoint_fault '{"operation": "ImportCertificate", "fault": "slow", "delay": 2, "region": "eu-west-1"}'
sync_run --max-parallel 1
expect_eq "--max-parallel 1: exit 0" "$rc" 0
expect_eq "  one item after another: 2 us-east-1 imports before eu-west-1's second" \
	"$(us_before_second_eu)" 2
expect_eq "  one certificate per entry and region" "$(endpoint_cert_count)" 8

# Another run imported a's certificate into us-east-1 at the same time and
# its copy is the older one, not yet in ACM's listing when this run planned
# (new certificates stay out of it for 4 s here): the plan says create, the
# import makes a second copy, and the look after the imports keeps the
# older copy and deletes this run's.
endpoint_reset
endpoint_acm_control '{"visibility_lag": 4}' >/dev/null
arn=$(/usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" --region us-east-1 \
	acm import-certificate --certificate "fileb://$D/a.pem" --private-key "fileb://$D/a.key" \
	--certificate-chain "fileb://$D/root.pem" --query CertificateArn --output text)
sync_run --only a --region us-east-1
expect_eq "race: exit 0" "$rc" 0
expect_eq "  a's item names the older copy" "$(jq -r '.Items[0].CertificateArn' <<<"$out")" "$arn"
expect_eq "  one certificate left" "$(endpoint_cert_count)" 1
expect_eq "  2 ImportCertificate (the other run's and this one's), 1 DeleteCertificate" \
	"$(count_op ImportCertificate) $(count_op DeleteCertificate)" "2 1"
endpoint_acm_control '{"visibility_lag": 0}' >/dev/null

finish
