#!/usr/bin/env bash
# The CLI with pkcs11: URIs: `acmbridge check` and `acmbridge import` take
# the certificate, key and chain from a SoftHSM token, the key leaving the
# token only through the controlled export, with an audit record whose
# outcome names the ARN, and refusals that send nothing (exit 4).
FIXTURE_TYPES="rsa2048 p256"
. "$(dirname "$0")/fixture.sh"
source "$ACMB_TESTS_DIR/lib/endpoint.sh"
endpoint_start --tls
A=$ACMBRIDGE
LOG=$W/audit.log
EP=(--endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA")
TOK=(--module "$MODULE" --pin-file "$W/pin" --audit-log "$LOG")

for obj in rsa2048-sens p256-plain; do
	expect_run "$obj: import from the token" 0 "$A" import "${EP[@]}" "${TOK[@]}" \
		--certificate "pkcs11:token=acmb-main;object=$obj;type=cert" --output text
	arn=$OUT
	expect_in "$obj: ARN printed" "arn:aws:acm:us-east-1:" "$arn"
	expect_in "$obj: audit outcome names the ARN" "\"arn\":\"$arn\"" "$(tail -1 "$LOG")"
	expect_in "$obj: endpoint holds the token's certificate" \
		"$(openssl x509 -in "$P/$obj.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)" \
		"$(endpoint_certs)"
done

n=$(endpoint_cert_count)
expect_run "non-extractable key refused, exit 4" 4 "$A" import "${EP[@]}" "${TOK[@]}" \
	--certificate "pkcs11:token=acmb-main;object=p256-nonext;type=cert"
expect_in "refusal names CKA_EXTRACTABLE" "CKA_EXTRACTABLE" "$ERR"
expect_in "nothing imported after a refusal" "$n" "$(endpoint_cert_count)"
expect_in "refusal audited" "refused" "$(cat "$LOG")"

expect_run "check from the token" 0 "$A" check --output json "${TOK[@]}" \
	--certificate "pkcs11:token=acmb-main;object=rsa2048-sens;type=cert"
expect_in "check passes the pairwise test on the exported key" '"ok": true' "$OUT"

printf 'wrong-pin\n' >"$W/badpin"
expect_run "wrong PIN, exit 4" 4 "$A" import "${EP[@]}" --module "$MODULE" --pin-file "$W/badpin" \
	--audit-log "$LOG" --certificate "pkcs11:token=acmb-main;object=p256-sens;type=cert"
expect_in "wrong PIN said so" "PIN" "$ERR"
expect_run "a file key with a token certificate is a usage error" 2 "$A" import "${EP[@]}" \
	"${TOK[@]}" --certificate "pkcs11:token=acmb-main;object=p256-sens;type=cert" \
	--private-key "$P/p256-sens.key"

finish
