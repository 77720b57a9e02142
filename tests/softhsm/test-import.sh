#!/usr/bin/env bash
# Keys exported from SoftHSM go into the local ACM endpoint through the
# library's import flow (p11-export-driver --import), and the endpoint then
# holds the certificate, its chain and a key that matches it; the audit
# outcome carries the ARN. The AWS CLI cross-checks what ACM stores.
FIXTURE_TYPES="rsa2048 p256"
. "$(dirname "$0")/fixture.sh"
source "$ACMB_TESTS_DIR/lib/endpoint.sh"
endpoint_start

D=$P11_HELPERS/p11-export-driver
LOG=$W/audit.log
for obj in rsa2048-sens rsa2048-plain p256-sens p256-plain; do
	expect_run "$obj imported into the endpoint" 0 "$D" --module "$MODULE" --pin-file "$W/pin" \
		--audit-log "$LOG" --import --endpoint-url "$ACMB_ENDPOINT_URL" \
		--certificate "pkcs11:token=acmb-main;object=$obj;type=cert"
	arn=$(printf '%s\n' "$OUT" | sed -n 's/^arn=//p')
	expect_in "$obj has an ARN" "arn:aws:acm:us-east-1:" "$arn"
	expect_in "$obj ARN in the audit outcome" "\"result\":\"imported\",\"arn\":\"$arn\"" "$(tail -1 "$LOG")"
	got=$(/usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" acm get-certificate \
		--certificate-arn "$arn" --query Certificate --output text 2>&1 || true)
	want=$(openssl x509 -in "$P/$obj.pem")
	expect_in "$obj: ACM holds the token's certificate (aws CLI)" "$(printf '%s\n' "$want" | sed -n 2p)" "$got"
	chain=$(/usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" acm get-certificate \
		--certificate-arn "$arn" --query CertificateChain --output text 2>&1 || true)
	expect_in "$obj: ACM holds the intermediate in the chain" \
		"$(openssl x509 -in "$P/int-$(family "$obj").pem" | sed -n 2p)" "$chain"
done
expect_in "the endpoint stores four certificates" "4" "$(endpoint_cert_count)"

# A refusal sends nothing.
expect_run "non-extractable key: nothing imported" 4 "$D" --module "$MODULE" --pin-file "$W/pin" \
	--audit-log "$LOG" --import --endpoint-url "$ACMB_ENDPOINT_URL" \
	--certificate "pkcs11:token=acmb-main;object=p256-nonext;type=cert"
expect_in "still four certificates after the refusal" "4" "$(endpoint_cert_count)"

finish
