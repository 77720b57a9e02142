#!/bin/bash
# The local ACM endpoint driven by the real AWS CLI (/usr/bin/aws), over HTTP
# and over HTTPS: the whole certificate life cycle, then refusals the CLI
# must see with the exact error code and message.
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export PYTHON3=${PYTHON3:-/usr/bin/python3}
source "$ACMB_TESTS_DIR/lib/endpoint.sh"
source "$ACMB_TESTS_DIR/endpoint/pki.sh"
# shellcheck source=../lib/assert.sh
source "$ACMB_TESTS_DIR/lib/assert.sh"

export AWS_MAX_ATTEMPTS=1 AWS_PAGER="" AWS_RETRY_MODE=standard
AWS=/usr/bin/aws
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmb-awscli.XXXXXX")
cleanup() { endpoint_stop; rm -rf "$WORK"; }


acm() {
	local -a tls=()
	if [ -n "$ACMB_ENDPOINT_CA" ]; then tls=(--ca-bundle "$ACMB_ENDPOINT_CA"); fi
	"$AWS" --endpoint-url "$ACMB_ENDPOINT_URL" ${tls[@]+"${tls[@]}"} \
		--output json acm "$@"
}

# expect_error NAME CODE MESSAGE-FRAGMENT acm-args...: the CLI must fail,
# naming the error code and the message fragment.
expect_error() {
	local name=$1 code=$2 text=$3 rc=0
	shift 3
	acm "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$name" "command succeeded"
	elif ! grep -q "($code)" "$WORK/err"; then
		fail "$name" "no ($code) in: $(head -c 400 "$WORK/err")"
	elif ! grep -qF -- "$text" "$WORK/err"; then
		fail "$name" "no '$text' in: $(head -c 400 "$WORK/err")"
	else
		ok "$name"
	fi
}

in_list() { # ARN, list-certificates JSON on stdin
	jq -e --arg a "$1" '[.CertificateSummaryList[].CertificateArn] | index($a) != null' >/dev/null
}

pki_make "$WORK/pki"
P=$WORK/pki

life_cycle() {
	local scheme=$1 arn ec_arn big_arn self_arn out
	echo "# life cycle over $scheme"

	arn=$(acm import-certificate --certificate "fileb://$P/rsa.pem" \
		--private-key "fileb://$P/rsa.key" \
		--certificate-chain "fileb://$P/chain.pem" \
		--tags Key=team,Value=edge Key=env,Value=test \
		--query CertificateArn --output text)
	if [[ "$arn" =~ ^arn:aws:acm:us-east-1:123456789012:certificate/[0-9a-f-]{36}$ ]]; then
		ok "$scheme: import returns an ACM ARN"
	else
		fail "$scheme: import returns an ACM ARN" "$arn"
	fi

	out=$(acm describe-certificate --certificate-arn "$arn")
	expect_eq "$scheme: describe KeyAlgorithm" \
		"$(jq -r .Certificate.KeyAlgorithm <<<"$out")" RSA-2048
	expect_eq "$scheme: describe Type/Status" \
		"$(jq -r '.Certificate | .Type + "/" + .Status' <<<"$out")" IMPORTED/ISSUED
	expect_eq "$scheme: describe Serial" \
		"$(jq -r .Certificate.Serial <<<"$out")" "$(pki_serial "$P/rsa.pem")"
	expect_eq "$scheme: describe DomainName and SANs" \
		"$(jq -r '.Certificate | .DomainName + " " + (.SubjectAlternativeNames | join(","))' <<<"$out")" \
		"www.example.test www.example.test,alt.www.example.test"
	expect_eq "$scheme: describe ExtendedKeyUsages" \
		"$(jq -r '[.Certificate.ExtendedKeyUsages[].Name] | join(",")' <<<"$out")" \
		"TLS_WEB_SERVER_AUTHENTICATION,TLS_WEB_CLIENT_AUTHENTICATION"
	expect_eq "$scheme: describe KeyUsages" \
		"$(jq -r '[.Certificate.KeyUsages[].Name] | join(",")' <<<"$out")" \
		"DIGITAL_SIGNATURE,KEY_ENCIPHERMENT"
	expect_eq "$scheme: describe Issuer/SignatureAlgorithm/RenewalEligibility" \
		"$(jq -r '.Certificate | .Issuer + "/" + .SignatureAlgorithm + "/" + .RenewalEligibility' <<<"$out")" \
		"acmbridge test/SHA256WITHRSA/INELIGIBLE"
	expect_eq "$scheme: describe has ImportedAt, no CreatedAt" \
		"$(jq -r '.Certificate | (has("ImportedAt") | tostring) + (has("CreatedAt") | tostring)' <<<"$out")" \
		"truefalse"

	acm get-certificate --certificate-arn "$arn" >"$WORK/get.json"
	jq -r .Certificate "$WORK/get.json" >"$WORK/got-cert.pem"
	jq -r .CertificateChain "$WORK/get.json" >"$WORK/got-chain.pem"
	expect_eq "$scheme: get-certificate returns the certificate" \
		"$(pki_fingerprint "$WORK/got-cert.pem")" "$(pki_fingerprint "$P/rsa.pem")"
	expect_eq "$scheme: get-certificate returns the chain, issuer first" \
		"$(pki_fingerprint "$WORK/got-chain.pem")" "$(pki_fingerprint "$P/int.pem")"
	expect_eq "$scheme: get-certificate chain has 2 certificates" \
		"$(grep -c 'BEGIN CERTIFICATE' "$WORK/got-chain.pem")" 2

	ec_arn=$(acm import-certificate --certificate "fileb://$P/ec.pem" \
		--private-key "fileb://$P/ec.key" \
		--certificate-chain "fileb://$P/chain-ec.pem" \
		--query CertificateArn --output text)
	big_arn=$(acm import-certificate --certificate "fileb://$P/rsa4096.pem" \
		--private-key "fileb://$P/rsa4096.key" \
		--certificate-chain "fileb://$P/chain.pem" \
		--query CertificateArn --output text)
	self_arn=$(acm import-certificate --certificate "fileb://$P/self.pem" \
		--private-key "fileb://$P/self.key" \
		--query CertificateArn --output text)
	LAST_SELF_ARN=$self_arn
	expect_eq "$scheme: EC certificate described as EC-prime256v1" \
		"$(acm describe-certificate --certificate-arn "$ec_arn" --query Certificate.KeyAlgorithm --output text)" \
		EC-prime256v1
	expect_eq "$scheme: self-signed import without chain works" \
		"$(acm describe-certificate --certificate-arn "$self_arn" --query Certificate.DomainName --output text)" \
		self.example.test

	acm list-certificates >"$WORK/list.json"
	if in_list "$arn" <"$WORK/list.json" && in_list "$self_arn" <"$WORK/list.json"; then
		ok "$scheme: default list shows RSA-2048"
	else
		fail "$scheme: default list shows RSA-2048"
	fi
	if in_list "$ec_arn" <"$WORK/list.json" || in_list "$big_arn" <"$WORK/list.json"; then
		fail "$scheme: default list hides EC and RSA-4096"
	else
		ok "$scheme: default list hides EC and RSA-4096"
	fi
	expect_eq "$scheme: list summary KeyAlgorithm and InUse" \
		"$(jq -r --arg a "$arn" '.CertificateSummaryList[] | select(.CertificateArn == $a) | .KeyAlgorithm + " " + (.InUse | tostring)' "$WORK/list.json")" \
		"RSA-2048 false"
	acm list-certificates --includes keyTypes=EC_prime256v1,RSA_4096 >"$WORK/list2.json"
	if in_list "$ec_arn" <"$WORK/list2.json" && in_list "$big_arn" <"$WORK/list2.json" &&
		! in_list "$arn" <"$WORK/list2.json"; then
		ok "$scheme: --includes keyTypes shows exactly EC and RSA-4096"
	else
		fail "$scheme: --includes keyTypes shows exactly EC and RSA-4096"
	fi
	expect_eq "$scheme: --certificate-statuses EXPIRED lists none" \
		"$(acm list-certificates --certificate-statuses EXPIRED --query 'length(CertificateSummaryList)' --output text)" 0
	acm list-certificates --page-size 1 --max-items 1 >"$WORK/page.json"
	expect_eq "$scheme: pagination: one item and a NextToken" \
		"$(jq -r '(.CertificateSummaryList | length | tostring) + " " + (has("NextToken") | tostring)' "$WORK/page.json")" \
		"1 true"
	expect_eq "$scheme: pagination: page-size 1 follows NextToken to the end" \
		"$(acm list-certificates --page-size 1 | jq '.CertificateSummaryList | length')" \
		"$(jq '.CertificateSummaryList | length' "$WORK/list.json")"

	acm add-tags-to-certificate --certificate-arn "$arn" \
		--tags Key=owner,Value=ops Key=flag
	expect_eq "$scheme: tags after add" \
		"$(acm list-tags-for-certificate --certificate-arn "$arn" | jq -r '[.Tags[] | .Key + "=" + (.Value // "")] | sort | join(",")')" \
		"env=test,flag=,owner=ops,team=edge"
	acm remove-tags-from-certificate --certificate-arn "$arn" \
		--tags Key=team Key=owner,Value=someone-else
	expect_eq "$scheme: remove by key; value must match when given" \
		"$(acm list-tags-for-certificate --certificate-arn "$arn" | jq -r '[.Tags[] | .Key] | sort | join(",")')" \
		"env,flag,owner"

	expect_eq "$scheme: reimport keeps the ARN" \
		"$(acm import-certificate --certificate-arn "$arn" \
			--certificate "fileb://$P/rsa2.pem" --private-key "fileb://$P/rsa2.key" \
			--certificate-chain "fileb://$P/chain.pem" \
			--query CertificateArn --output text)" "$arn"
	expect_eq "$scheme: reimport replaced the certificate" \
		"$(acm describe-certificate --certificate-arn "$arn" --query Certificate.Serial --output text)" \
		"$(pki_serial "$P/rsa2.pem")"
	expect_eq "$scheme: reimport counted, not duplicated" \
		"$(endpoint_certs | jq -r --arg a "$arn" '[.certificates[] | select(.arn == $a) | .import_count] | map(tostring) | join(",")')" 2
	expect_eq "$scheme: reimport kept the tags" \
		"$(acm list-tags-for-certificate --certificate-arn "$arn" --query 'length(Tags)' --output text)" 3

	expect_error "$scheme: tags on reimport refused" ValidationException \
		"Tagging is not permitted on re-import." \
		import-certificate --certificate-arn "$arn" \
		--certificate "fileb://$P/rsa.pem" --private-key "fileb://$P/rsa.key" \
		--certificate-chain "fileb://$P/chain.pem" --tags Key=a,Value=b
	expect_error "$scheme: reimport with another key algorithm refused" \
		ValidationException "does not match the key algorithm" \
		import-certificate --certificate-arn "$arn" \
		--certificate "fileb://$P/ec.pem" --private-key "fileb://$P/ec.key" \
		--certificate-chain "fileb://$P/chain-ec.pem"
	expect_error "$scheme: key not matching the certificate" ValidationException \
		"The private key does not match the public key in the certificate." \
		import-certificate --certificate "fileb://$P/rsa.pem" \
		--private-key "fileb://$P/rsa2.key" --certificate-chain "fileb://$P/chain.pem"

	local count_before
	count_before=$(endpoint_cert_count)
	acm delete-certificate --certificate-arn "$arn"
	expect_error "$scheme: deleted certificate is gone" ResourceNotFoundException \
		"$arn" describe-certificate --certificate-arn "$arn"
	expect_eq "$scheme: delete removed exactly one" "$(endpoint_cert_count)" $((count_before - 1))
	expect_error "$scheme: unknown ARN" ResourceNotFoundException \
		"Could not find certificate" describe-certificate --certificate-arn \
		arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000
	expect_error "$scheme: ARN of another region" ResourceNotFoundException \
		"Could not find certificate" describe-certificate --certificate-arn \
		"${ec_arn/us-east-1/eu-west-1}"
}

# ---- over HTTP
trap cleanup EXIT
endpoint_start
life_cycle http

echo "# refusals"
AWS_SECRET_ACCESS_KEY=wrong-secret expect_error "wrong secret key" \
	InvalidSignatureException "The request signature we calculated does not match" \
	list-certificates
AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000001 expect_error "unknown access key" \
	UnrecognizedClientException "The security token included in the request is invalid." \
	list-certificates
AWS_ACCESS_KEY_ID=$ACMB_TEST_STS_ACCESS_KEY_ID \
	AWS_SECRET_ACCESS_KEY=$ACMB_TEST_STS_SECRET_ACCESS_KEY \
	expect_error "temporary key without its session token" \
	UnrecognizedClientException "The security token included in the request is invalid." \
	list-certificates
AWS_ACCESS_KEY_ID=$ACMB_TEST_STS_ACCESS_KEY_ID \
	AWS_SECRET_ACCESS_KEY=$ACMB_TEST_STS_SECRET_ACCESS_KEY \
	AWS_SESSION_TOKEN=${ACMB_TEST_STS_SESSION_TOKEN}x \
	expect_error "temporary key with a wrong session token" \
	UnrecognizedClientException "The security token included in the request is invalid." \
	list-certificates
if AWS_ACCESS_KEY_ID=$ACMB_TEST_STS_ACCESS_KEY_ID \
	AWS_SECRET_ACCESS_KEY=$ACMB_TEST_STS_SECRET_ACCESS_KEY \
	AWS_SESSION_TOKEN=$ACMB_TEST_STS_SESSION_TOKEN acm list-certificates >/dev/null 2>"$WORK/err"; then
	ok "temporary key with its session token"
else
	fail "temporary key with its session token" "$(cat "$WORK/err")"
fi
expect_eq "request log: token was signed" \
	"$(endpoint_requests | jq -r '.requests[-1] | .auth + " " + (.signed["x-amz-security-token"] | tostring) + " " + (.signed.host | tostring) + " " + (.signed["x-amz-target"] | tostring)')" \
	"ok true true true"
expect_error "certificate field with two certificates" ValidationException \
	"The certificate field contains more than one certificate." \
	import-certificate --certificate "fileb://$P/chain.pem" \
	--private-key "fileb://$P/int.key"
expect_error "EC certificate signed by an RSA CA (algorithm match)" ValidationException \
	"does not match the algorithm of the signing CA" \
	import-certificate --certificate "fileb://$P/ec-under-rsa.pem" \
	--private-key "fileb://$P/ec-under-rsa.key" --certificate-chain "fileb://$P/chain.pem"
expect_error "chain missing for a CA-signed certificate" ValidationException \
	"CertificateChain is missing" \
	import-certificate --certificate "fileb://$P/rsa.pem" --private-key "fileb://$P/rsa.key"
cat "$P/root.pem" "$P/int.pem" >"$WORK/reversed.pem"
expect_error "chain in the wrong order" ValidationException \
	"The certificate at index 0 of the chain did not issue the certificate" \
	import-certificate --certificate "fileb://$P/rsa.pem" --private-key "fileb://$P/rsa.key" \
	--certificate-chain "fileb://$WORK/reversed.pem"
openssl pkey -in "$P/rsa.key" -aes256 -passout pass:secret -out "$WORK/enc.key"
expect_error "encrypted private key" ValidationException "must not be encrypted" \
	import-certificate --certificate "fileb://$P/rsa.pem" --private-key "fileb://$WORK/enc.key" \
	--certificate-chain "fileb://$P/chain.pem"
openssl x509 -in "$P/rsa.pem" -outform DER -out "$WORK/rsa.der"
expect_error "DER certificate refused" ValidationException "not PEM-encoded" \
	import-certificate --certificate "fileb://$WORK/rsa.der" --private-key "fileb://$P/rsa.key" \
	--certificate-chain "fileb://$P/chain.pem"
expect_error "tag key too long names the member" ValidationException \
	"at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128" \
	import-certificate --certificate "fileb://$P/self.pem" --private-key "fileb://$P/self.key" \
	--tags "Key=$(printf 'k%.0s' {1..129}),Value=v"
expect_error "reserved aws: tag key" InvalidTagException "reserved" \
	add-tags-to-certificate --certificate-arn \
	"$(acm list-certificates --query 'CertificateSummaryList[0].CertificateArn' --output text)" \
	--tags Key=aws:thing,Value=v
expect_error "malformed ARN" InvalidArnException "is not a valid ARN" \
	get-certificate --certificate-arn arn:aws:acm:us-east-1:123456789012:certificate/not-a-uuid
endpoint_stop

# ---- over HTTPS
endpoint_start --tls
case "$ACMB_ENDPOINT_URL" in
https://127.0.0.1:*) ok "https: ready file gives an https URL" ;;
*) fail "https: ready file gives an https URL" "$ACMB_ENDPOINT_URL" ;;
esac
if "$AWS" --endpoint-url "$ACMB_ENDPOINT_URL" acm list-certificates >/dev/null 2>"$WORK/err"; then
	fail "https: untrusted test CA is refused without --ca-bundle"
elif grep -q "SSL" "$WORK/err"; then
	ok "https: untrusted test CA is refused without --ca-bundle"
else
	fail "https: untrusted test CA is refused without --ca-bundle" "$(head -c 300 "$WORK/err")"
fi
expect_eq "https: state survived the restart" \
	"$(acm describe-certificate --certificate-arn "$LAST_SELF_ARN" --query Certificate.DomainName --output text)" \
	self.example.test
life_cycle https
endpoint_stop

finish
