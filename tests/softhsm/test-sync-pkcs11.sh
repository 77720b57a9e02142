#!/usr/bin/env bash
# sync with a pkcs11 entry (SoftHSM): the plan reads the token's
# certificate and leaves the key where it is (no export, no audit record on
# a dry run or an unchanged rerun); the run exports it once per entry under
# the audit log and imports it into every destination; a renewal on the
# token (a new certificate for the same key) is a reimport into the same ARN.
FIXTURE_TYPES="p256"
. "$(dirname "$0")/fixture.sh"
source "$ACMB_TESTS_DIR/lib/endpoint.sh"
set +e
export ACMB_TEST_NO_BACKOFF=1
export XDG_STATE_HOME=$W/state
LOG=$W/state/acmbridge/audit.log
endpoint_start --tls

cat >"$W/fleet.yaml" <<YAML
version: 1
defaults:
  destinations: [{region: us-east-1}, {region: eu-west-1}]
certificates:
  - name: hsm-www
    pkcs11:
      certificate: "pkcs11:token=acmb-main;object=p256-sens;type=cert"
      module: $MODULE
      pin-file: $W/pin
YAML
S() {
	"$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
		--manifest "$W/fleet.yaml" --output json "$@"
}
audit_begins() { grep -c '"event":"begin"' "$LOG" 2>/dev/null || echo 0; }
imports() { endpoint_requests | jq '[.requests[] | select(.operation == "ImportCertificate")] | length'; }

expect_run "dry run: changes pending" 10 S --dry-run
expect_eq "  2 creates planned" "$(jq -r '[.Items[] | select(.Action == "create")] | length' <<<"$OUT")" 2
expect_eq "  the plan knows the token's certificate" \
	"$(jq -r '.Items[0].Serial | length > 0' <<<"$OUT")" true
expect_eq "  no key left the token (no audit record)" "$(audit_begins)" 0
expect_eq "  nothing imported" "$(imports)" 0

expect_run "sync" 0 S
expect_eq "  2 creates done" "$(jq -r '[.Items[] | select(.Result == "done")] | length' <<<"$OUT")" 2
expect_eq "  the key exported once for both destinations" "$(audit_begins)" 1
expect_eq "  2 ImportCertificate calls" "$(imports)" 2
arn=$(jq -r '.Items[] | select(.Region == "eu-west-1") | .CertificateArn' <<<"$OUT")
got=$(/usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" --no-verify-ssl --region eu-west-1 \
	acm get-certificate --certificate-arn "$arn" --query Certificate --output text 2>/dev/null)
expect_in "  ACM holds the token's certificate (aws CLI)" \
	"$(openssl x509 -in "$P/p256-sens.pem" | sed -n 2p)" "$got"

n0=$(imports)
expect_run "rerun: nothing to do" 0 S
expect_eq "  2 unchanged" "$(jq -r '[.Items[] | select(.Action == "unchanged")] | length' <<<"$OUT")" 2
expect_eq "  still one export (an unchanged entry leaves its key on the token)" "$(audit_begins)" 1
expect_eq "  no import sent" "$(imports)" "$n0"

# A renewal on the token: a new certificate for the same key and CKA_ID.
issue_leaf "$P/p256-sens.key" p256-sens-2 ec
fixture acmb-main delete-cert p256-sens
fixture acmb-main import-cert "$P/p256-sens-2.pem" "$(fixture_id p256 sens)" "p256-sens" 1
expect_run "after a renewal on the token" 0 S
expect_eq "  2 reimports" "$(jq -r '[.Items[] | select(.Action == "reimport")] | length' <<<"$OUT")" 2
expect_eq "  into the same ARN" \
	"$(jq -r '.Items[] | select(.Region == "eu-west-1") | .CertificateArn' <<<"$OUT")" "$arn"
expect_eq "  one more export" "$(audit_begins)" 2

finish
