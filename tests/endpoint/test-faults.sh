#!/bin/bash
# Fault injection of the local ACM endpoint: every fault kind seen by a
# client (curl signing with --aws-sigv4, and the aws CLI), and whether the
# operation was applied, counted through the control API.
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export PYTHON3=${PYTHON3:-/usr/bin/python3}
source "$ACMB_TESTS_DIR/lib/endpoint.sh"
# shellcheck source=../lib/assert.sh
source "$ACMB_TESTS_DIR/lib/assert.sh"

export AWS_MAX_ATTEMPTS=1 AWS_PAGER="" AWS_RETRY_MODE=standard
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmb-faults.XXXXXX")
cleanup() { endpoint_stop; rm -rf "$WORK"; }
trap cleanup EXIT


# call OPERATION JSON: signed request with curl; sets RC (curl exit code),
# STATUS (HTTP status, 000 when none) and BODY (file).
BODY=$WORK/body
call() {
	RC=0
	STATUS=$(curl -sS -o "$BODY" -D "$WORK/headers" -w '%{http_code}' \
		--aws-sigv4 "aws:amz:us-east-1:acm" \
		-u "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "Content-Type: application/x-amz-json-1.1" \
		-H "X-Amz-Target: CertificateManager.$1" \
		--data-binary "$2" "$ACMB_ENDPOINT_URL/" 2>"$WORK/curl-err") || RC=$?
}
error_type() { jq -r '.__type // empty' "$BODY" 2>/dev/null || true; }
last_log() { endpoint_requests | jq -r ".requests[-1] | $1"; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" \
	-out "$WORK/cert.pem" -days 10 -subj /CN=faults.example.test \
	-addext subjectAltName=DNS:faults.example.test 2>/dev/null
IMPORT=$(jq -cn --arg c "$(base64 -w0 "$WORK/cert.pem")" \
	--arg k "$(base64 -w0 "$WORK/key.pem")" '{Certificate: $c, PrivateKey: $k}')
LIST='{"Includes": {"keyTypes": ["RSA_2048"]}}'

endpoint_start --fault '{"operation": "ListCertificates", "fault": "throttle"}'

echo "# --fault given at start"
call ListCertificates "$LIST"
expect_eq "start-up fault throttles the first ListCertificates" "$STATUS $(error_type)" "400 ThrottlingException"
call ListCertificates "$LIST"
expect_eq "start-up fault fires once (times defaults to 1)" "$STATUS" 200

echo "# faults that refuse the request"
# fault-kind expected-status expected-__type-or-empty
while read -r kind want_status want_type; do
	endpoint_fault "{\"operation\": \"ImportCertificate\", \"fault\": \"$kind\"}"
	before=$(endpoint_cert_count)
	call ImportCertificate "$IMPORT"
	[ "$want_type" = "-" ] && want_type=""
	expect_eq "$kind: status and error type" "$STATUS $(error_type)" "$want_status $want_type"
	if [ "$want_status" = 400 ] || [ "$want_status" = 500 ] || [ "$want_status" = 503 ]; then
		expect_eq "$kind: x-amzn-ErrorType header" \
			"$(tr -d '\r' <"$WORK/headers" | sed -n 's/^x-amzn-ErrorType: //ip')" "$want_type"
	fi
	expect_eq "$kind: nothing imported" "$(endpoint_cert_count)" "$before"
	expect_eq "$kind: logged as fault, not applied" \
		"$(last_log '.fault + " " + (.applied | tostring)')" "$kind false"
done <<-'EOF'
	throttle 400 ThrottlingException
	limit 400 LimitExceededException
	500 500 InternalFailure
	502 502 -
	503 503 ServiceUnavailable
	504 504 -
	request-timeout 400 RequestTimeout
	access-denied 400 AccessDeniedException
EOF

echo "# connection drops"
endpoint_fault '{"operation": "ImportCertificate", "fault": "drop-before"}'
before=$(endpoint_cert_count)
call ImportCertificate "$IMPORT"
expect_eq "drop-before: client gets an empty reply (curl 52)" "$RC $STATUS" "52 000"
expect_eq "drop-before: nothing imported" "$(endpoint_cert_count)" "$before"

endpoint_fault '{"operation": "ImportCertificate", "fault": "drop-after"}'
call ImportCertificate "$IMPORT"
expect_eq "drop-after: client gets an empty reply (curl 52)" "$RC $STATUS" "52 000"
expect_eq "drop-after: the import was applied anyway" "$(endpoint_cert_count)" $((before + 1))
expect_eq "drop-after: log says dropped and applied" \
	"$(last_log '(.status | tostring) + " " + (.applied | tostring)')" "dropped true"

echo "# answers that arrive late or broken"
endpoint_fault '{"operation": "ImportCertificate", "fault": "malformed"}'
call ImportCertificate "$IMPORT"
expect_eq "malformed: HTTP 200" "$STATUS" 200
if jq -e . "$BODY" >/dev/null 2>&1; then
	fail "malformed: body is not JSON"
else
	ok "malformed: body is not JSON"
fi
expect_eq "malformed: the import was applied" "$(endpoint_cert_count)" $((before + 2))

endpoint_fault '{"operation": "ImportCertificate", "fault": "slow", "delay": 0.5}'
call ImportCertificate "$IMPORT"
expect_eq "slow: answered normally" "$STATUS $(jq -r '.CertificateArn | startswith("arn:aws:acm:")' "$BODY")" "200 true"
expect_eq "slow: logged as slow and applied" \
	"$(last_log '.fault + " " + (.applied | tostring)')" "slow true"
expect_eq "slow: the import was applied once" "$(endpoint_cert_count)" $((before + 3))

echo "# matching and counting"
endpoint_fault '{"operation": "ImportCertificate", "fault": "throttle", "times": 2}'
call ListCertificates "$LIST"
expect_eq "a rule for ImportCertificate leaves ListCertificates alone" "$STATUS" 200
call ImportCertificate "$IMPORT"
first=$STATUS
call ImportCertificate "$IMPORT"
second=$STATUS
call ImportCertificate "$IMPORT"
expect_eq "times=2 throttles exactly two imports" "$first $second $STATUS" "400 400 200"

endpoint_fault '{"operation": "*", "fault": "503", "rate": 1.0}'
call ListCertificates "$LIST"
a=$STATUS
call DescribeCertificate '{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"}'
expect_eq "operation '*' with rate 1.0 hits every operation" "$a $STATUS" "503 503"
endpoint_clear_faults
call ListCertificates "$LIST"
expect_eq "DELETE /__control/faults clears the rules" "$STATUS" 200

endpoint_fault '{"operation": "ListCertificates", "fault": "throttle", "rate": 0.0}'
statuses=
for _ in 1 2 3; do call ListCertificates "$LIST"; statuses="$statuses$STATUS "; done
expect_eq "rate 0.0 never fires" "$statuses" "200 200 200 "
endpoint_clear_faults

# The same seed gives the same sequence of hits.
seq_for_seed() {
	local out="" _
	endpoint_clear_faults
	endpoint_fault "{\"operation\": \"ListCertificates\", \"fault\": \"throttle\", \"rate\": 0.5, \"seed\": $1}"
	for _ in 1 2 3 4 5 6 7 8; do call ListCertificates "$LIST"; out="$out$STATUS,"; done
	echo "$out"
}
s1=$(seq_for_seed 42)
s2=$(seq_for_seed 42)
expect_eq "rate 0.5 with a seed repeats its sequence" "$s1" "$s2"
case "$s1" in
*400*200* | *200*400*) ok "rate 0.5 with seed 42 both fires and lets through" ;;
*) fail "rate 0.5 with seed 42 both fires and lets through" "$s1" ;;
esac
endpoint_clear_faults

echo "# the aws CLI sees the faults"
endpoint_fault '{"operation": "ListCertificates", "fault": "throttle"}'
rc=0
/usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" acm list-certificates \
	>/dev/null 2>"$WORK/err" || rc=$?
if [ "$rc" -ne 0 ] && grep -q "(ThrottlingException)" "$WORK/err"; then
	ok "aws CLI: ThrottlingException"
else
	fail "aws CLI: ThrottlingException" "rc=$rc $(head -c 300 "$WORK/err")"
fi
endpoint_fault '{"operation": "ListCertificates", "fault": "throttle"}'
if AWS_MAX_ATTEMPTS=3 /usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" \
	acm list-certificates >/dev/null 2>"$WORK/err"; then
	ok "aws CLI: one throttle is retried away with 3 attempts"
else
	fail "aws CLI: one throttle is retried away with 3 attempts" "$(head -c 300 "$WORK/err")"
fi

echo "# after: the first K requests pass; seconds: a window from the first firing"
endpoint_fault '{"operation": "ListCertificates", "fault": "throttle", "after": 2}'
call ListCertificates "$LIST"
s1=$STATUS
call ListCertificates "$LIST"
s2=$STATUS
call ListCertificates "$LIST"
expect_eq "after 2: two requests pass, the third is throttled" "$s1 $s2 $STATUS $(error_type)" \
	"200 200 400 ThrottlingException"
call ListCertificates "$LIST"
expect_eq "after 2: then spent (times 1)" "$STATUS" 200
endpoint_fault '{"operation": "ListCertificates", "fault": "throttle", "seconds": 1.5}'
call ListCertificates "$LIST"
s1=$STATUS
call ListCertificates "$LIST"
expect_eq "seconds 1.5: every request inside the window is throttled" "$s1 $STATUS" "400 400"
sleep 1.6
call ListCertificates "$LIST"
expect_eq "seconds 1.5: the window closes, the rule is gone" \
	"$STATUS $(curl -sS "$ACMB_ENDPOINT_URL/__control/faults" | jq '.faults | length')" "200 0"

echo "# region: a rule fires only for requests signed for that region"
endpoint_fault '{"operation": "ListCertificates", "fault": "throttle", "region": "eu-west-1"}'
call ListCertificates "$LIST"
expect_eq "region eu-west-1: a us-east-1 request passes" "$STATUS" 200
STATUS=$(curl -sS -o "$BODY" -w '%{http_code}' --aws-sigv4 "aws:amz:eu-west-1:acm" \
	-u "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "Content-Type: application/x-amz-json-1.1" \
	-H "X-Amz-Target: CertificateManager.ListCertificates" --data-binary "$LIST" \
	"$ACMB_ENDPOINT_URL/" 2>"$WORK/curl-err") || true
expect_eq "region eu-west-1: the eu-west-1 request is throttled" "$STATUS $(error_type)" \
	"400 ThrottlingException"

echo "# control API refuses bad rules"
for bad in '{"fault": "explode"}' '{"fault": "throttle", "times": 0}' \
	'{"fault": "throttle", "rate": 2}' '{"fault": "throttle", "colour": "red"}' \
	'{"fault": "throttle", "times": 1, "rate": 0.5}' '{"fault": "throttle", "seconds": 0}' \
	'{"fault": "throttle", "seconds": 2, "times": 1}' '{"fault": "throttle", "after": -1}' \
	'{"fault": "throttle", "region": ""}' 'not json'; do
	code=$(curl -sS -o "$WORK/ctl" -w '%{http_code}' -X POST \
		--data-binary "$bad" "$ACMB_ENDPOINT_URL/__control/faults")
	expect_eq "bad rule refused with 400: $bad" "$code" 400
done
expect_eq "no rule was added by the bad requests" \
	"$(curl -sS "$ACMB_ENDPOINT_URL/__control/faults" | jq '.faults | length')" 0

echo "# reset"
endpoint_reset
expect_eq "POST /__control/reset empties the certificates" "$(endpoint_cert_count)" 0

finish
