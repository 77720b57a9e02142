#!/usr/bin/env bash
# The command line's one option table (src/cli/cli-options.c), end to end
# against the local ACM and Private CA endpoint: a single-value option given
# twice is refused by every command (exit 2, nothing sent) while repeatable
# ones stay repeatable; tag keys (the reserved aws: prefix in any case, a
# key given twice), --validity bounds (an end in the past, beyond X.509,
# beyond the CA's NotAfter), --cli-input-json's unknown keys and types, and
# an over-long pkcs11: URI are refused locally with exit 2 (issue 9).
set -uo pipefail

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
# shellcheck source=../pca/pca.sh
. "$ACMB_TESTS_DIR/pca/pca.sh"

mat_setup
trap mat_cleanup EXIT
D=$MAT_DIR
A=$ACMBRIDGE
endpoint_start --tls || exit 1
pca_wait_ready || exit 1
mat_cert leaf --san DNS:www.example.test || exit 1
chmod 600 "$D/leaf.key"
EP=(--endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA")
ISS=("$A" issue "${EP[@]}" --pca-endpoint-url "$ACMB_ENDPOINT_URL")
IMP=("$A" import "${EP[@]}" --certificate "$D/leaf.pem" --private-key "$D/leaf.key")
CA=$(pca_ca_arn ecp256)
CA2=$(pca_ca_arn ecp384)

nreq() { endpoint_requests | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'; }
# ops_since N: the operations sent after the first N requests, space-separated.
ops_since() {
	endpoint_requests | "$PYTHON3" -c '
import json, sys
print(" ".join(r.get("operation", "?") for r in json.load(sys.stdin)["requests"][int(sys.argv[1]):]))' "$1"
}

# refused NAME NEEDLE CMD...: exit 2, NEEDLE on stderr, no request sent.
refused() {
	local name=$1 needle=$2 n
	shift 2
	n=$(nreq)
	expect_rc "$name" 2 "$@"
	expect_in "$name: says why" "$needle" "$ERR"
	expect_eq "$name: nothing sent" "$(ops_since "$n")" ""
}

# 1. A single-value option given twice: refused by every command, as
# --certificate twice always was, instead of silently keeping the last one.
refused "issue: --certificate-authority-arn twice" "--certificate-authority-arn given twice" \
	"${ISS[@]}" --certificate-authority-arn "$CA" --certificate-authority-arn "$CA2" \
	--validity 30d --dns-name www.example.test
refused "issue: --validity twice" "--validity given twice" \
	"${ISS[@]}" --certificate-authority-arn "$CA" --validity 30d --validity 60d \
	--dns-name www.example.test
refused "issue: --key-algorithm twice" "--key-algorithm given twice" \
	"${ISS[@]}" --certificate-authority-arn "$CA" --validity 30d --dns-name www.example.test \
	--key-algorithm auto --key-algorithm=EC_secp384r1
refused "import: --certificate-arn twice" "--certificate-arn given twice" \
	"${IMP[@]}" --certificate-arn arn:aws:acm:us-east-1:123456789012:certificate/a \
	--certificate-arn arn:aws:acm:us-east-1:123456789012:certificate/b
refused "import: --region twice" "--region given twice" \
	"${IMP[@]}" --region us-east-1 --region eu-west-1
refused "import: --output twice" "--output given twice" "${IMP[@]}" --output json --output=text
refused "import: --max-attempts twice" "--max-attempts given twice" \
	"${IMP[@]}" --max-attempts 2 --max-attempts 3
expect_rc "check: --at twice" 2 "$A" check --certificate "$D/leaf.pem" --at 2027-01-01 \
	--at 2028-01-01
expect_in "check: --at twice says so" "--at given twice" "$ERR"
expect_rc "check: --output twice" 2 "$A" check --certificate "$D/leaf.pem" --output json \
	--output text
expect_in "check: --output twice says so" "--output given twice" "$ERR"
expect_rc "list: --output twice" 2 "$A" list --module /nonexistent/libnone.so --output json \
	--output text
expect_in "list: --output twice says so" "--output given twice" "$ERR"
expect_rc "list: --module twice" 2 "$A" list --module /nonexistent/a.so --module /nonexistent/b.so
expect_in "list: --module twice says so" "--module given twice" "$ERR"

# Repeatable options stay repeatable, and --opt=VALUE is --opt VALUE.
expect_rc "issue: --dns-name repeats" 0 "${ISS[@]}" --certificate-authority-arn "$CA" \
	--validity 30d --dns-name a.example.test --dns-name=b.example.test --output text
san=$(AWS_CA_BUNDLE=$ACMB_ENDPOINT_CA /usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" \
	acm get-certificate --certificate-arn "$OUT" --query Certificate --output text |
	openssl x509 -noout -ext subjectAltName 2>&1)
expect_in "issue: both names in the certificate" "DNS:a.example.test, DNS:b.example.test" "$san"
expect_rc "import: --tags repeats" 0 "${IMP[@]}" --tags Key=a,Value=1 --tags Key=b,Value=2 \
	--dry-run --output=text
expect_in "import: both tags in the plan (and the provenance tag)" "3 tags sent" "$OUT"

# One way to report a usage error: "COMMAND: unknown option", exit 2.
for c in check import issue list; do
	expect_rc "$c: unknown option" 2 "$A" "$c" --no-such-option
	expect_in "$c: unknown option named" "$c: unknown option '--no-such-option'" "$ERR"
done
expect_rc "check takes no AWS option" 2 "$A" check --certificate "$D/leaf.pem" --region x
expect_rc "a flag takes no value" 2 "${IMP[@]}" --dry-run=yes
expect_in "a flag takes no value: said" "--dry-run takes no value" "$ERR"
expect_rc "check takes no plain argument" 2 "$A" check "$D/leaf.pem"
expect_rc "list takes one URI" 2 "$A" list pkcs11:token=a pkcs11:token=b
expect_in "list takes one URI: said" "list takes at most one pkcs11: URI" "$ERR"

# 2. Tags: the reserved prefix in any case, and a key given twice.
refused "import: Key=AWS:foo" 'reserved by AWS' "${IMP[@]}" --tags Key=AWS:foo,Value=1
refused "import: JSON Key Aws:Foo" 'reserved by AWS' "${IMP[@]}" \
	--tags '[{"Key":"Aws:Foo","Value":"1"}]'
refused "issue: Key=aWs:x" 'reserved by AWS' "${ISS[@]}" --certificate-authority-arn "$CA" \
	--validity 30d --dns-name www.example.test --tags Key=aWs:x,Value=1
refused "import: a tag key twice in one --tags" "tag 'a' is given twice" \
	"${IMP[@]}" --tags Key=a,Value=1 Key=a,Value=2
refused "import: a tag key twice in two --tags" "tag 'a' is given twice" \
	"${IMP[@]}" --tags Key=a,Value=1 --tags '[{"Key":"a","Value":"1"}]'
n=$(nreq)
expect_rc "import: keys differing in case are two keys" 0 "${IMP[@]}" \
	--tags Key=env,Value=1 Key=Env,Value=2 --output text
expect_in "import: case-different keys imported" "arn:aws:acm:" "$OUT"

# 3. --validity bounds, before Private CA is asked to issue.
refused "issue: --validity in the past" "ends in the past" \
	"${ISS[@]}" --certificate-authority-arn "$CA" --validity 2001-01-01 --dns-name www.example.test
refused "issue: --validity @EPOCH in the past" "ends in the past" \
	"${ISS[@]}" --certificate-authority-arn "$CA" --validity @1000000000 --dns-name www.example.test
refused "issue: --validity 99999999y" "9999-12-31T23:59:59Z" \
	"${ISS[@]}" --certificate-authority-arn "$CA" --validity 99999999y --dns-name www.example.test
refused "issue: --validity 999999999d" "9999-12-31T23:59:59Z" \
	"${ISS[@]}" --certificate-authority-arn "$CA" --validity 999999999d --dns-name www.example.test
refused "issue: --validity not a date" "not a date" \
	"${ISS[@]}" --certificate-authority-arn "$CA" --validity 20271340000000 --dns-name www.example.test
n=$(nreq)
expect_rc "issue: --validity beyond the CA's NotAfter" 2 "${ISS[@]}" \
	--certificate-authority-arn "$CA" --validity 30y --dns-name www.example.test
expect_in "issue: beyond the CA: said" "after the CA's own NotAfter" "$ERR"
expect_eq "issue: beyond the CA: only the CA was asked" "$(ops_since "$n")" \
	"DescribeCertificateAuthority"
expect_rc "issue: a --validity within bounds still issues" 0 "${ISS[@]}" \
	--certificate-authority-arn "$CA" --validity 2y --dns-name www.example.test --output text

# 4. --cli-input-json: an unknown key or a wrong type, as the AWS CLI refuses them.
cert_json=$("$PYTHON3" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$D/leaf.pem")
key_json=$("$PYTHON3" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$D/leaf.key")
printf '{"Certificate": %s, "PrivateKey": %s, "CertificateArm": "x"}\n' "$cert_json" "$key_json" \
	>"$D/typo.json"
refused "--cli-input-json: unknown key" 'unknown parameter "CertificateArm"' \
	"$A" import "${EP[@]}" --cli-input-json "file://$D/typo.json"
printf '{"Certificate": %s, "PrivateKey": %s, "CertificateArn": 5}\n' "$cert_json" "$key_json" \
	>"$D/int.json"
refused "--cli-input-json: integer CertificateArn" "CertificateArn must be a string, not an integer" \
	"$A" import "${EP[@]}" --cli-input-json "file://$D/int.json"
refused "--cli-input-json: Tags not a list" "Tags must be a list" \
	"$A" import "${EP[@]}" --cli-input-json '{"Tags": {"Key": "a"}}'
printf '{"Certificate": %s, "PrivateKey": %s, "CertificateChain": null}\n' "$cert_json" \
	"$key_json" >"$D/good.json"
expect_rc "--cli-input-json: known keys (null allowed) import" 0 \
	"$A" import "${EP[@]}" --cli-input-json "file://$D/good.json" --output text
expect_in "--cli-input-json: ARN printed" "arn:aws:acm:" "$OUT"

# 5. A pkcs11: URI over 4096 bytes is a configuration error (exit 2), not
# a broken ACM rule (exit 3).
long="pkcs11:token=$(head -c 5000 /dev/zero | tr '\0' a)"
expect_rc "check: pkcs11: URI over 4096 bytes" 2 "$A" check --certificate "$long"
expect_in "check: long URI said" "longer than 4096 bytes" "$ERR"
expect_rc "list: pkcs11: URI over 4096 bytes" 2 "$A" list --module /nonexistent/libnone.so "$long"

finish
