#!/bin/bash
# acmbridge issue against the local endpoint's Private CA and ACM over HTTPS:
# every CA algorithm with auto, the algorithm-match rule before any request,
# a CA that is not ACTIVE, polling through in-progress answers, the
# idempotency token across a lost IssueCertificate answer, a wait that times
# out, reimport of a renewed certificate keeping the ARN, signing algorithm,
# validity and SANs in the issued certificate, ApiPassthrough, dry-run and
# usage errors.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PY=${PYTHON3:-/usr/bin/python3}
PYTHON3=$PY
export ACMB_TEST_NO_BACKOFF=1
# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"
# shellcheck source=../lib/endpoint.sh
. "$ACMB_TESTS_DIR/lib/endpoint.sh"
# shellcheck source=pca.sh
. "$ACMB_TESTS_DIR/pca/pca.sh"

D=$(mktemp -d "${TMPDIR:-/tmp}/acmb-pca.XXXXXX")
trap 'rm -rf "$D"; _endpoint_on_exit' EXIT
out=""
rc=0
ASSERT_STDERR=$D/stderr

endpoint_start --tls || exit 1
pca_wait_ready || exit 1

# iss ARGS...: runs issue against the endpoint (both services); sets $out,
# $rc and $D/stderr.
iss() {
	out=$("$ACMBRIDGE" issue --endpoint-url "$ACMB_ENDPOINT_URL" \
		--pca-endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
		"$@" 2>"$D/stderr")
	rc=$?
}


field() { printf '%s' "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

request_count() { endpoint_requests | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'; }
# ops_since N: "Operation[:error]" of every request after the first N.
ops_since() {
	endpoint_requests | "$PY" -c '
import json, sys
r = json.load(sys.stdin)["requests"][int(sys.argv[1]):]
print(" ".join((x.get("operation") or "?") + (":" + x["error"] if x.get("error") else "")
               for x in r))' "$1"
}
# pca_ops_since N: the same, Private CA's requests only.
pca_ops_since() {
	endpoint_requests | "$PY" -c '
import json, sys
r = json.load(sys.stdin)["requests"][int(sys.argv[1]):]
print(" ".join((x.get("operation") or "?") + (":" + x["error"] if x.get("error") else "")
               for x in r if x.get("service") == "acm-pca"))' "$1"
}
count_op() { printf '%s\n' "$2" | tr ' ' '\n' | grep -c "^$1\$"; }

cert_field() {
	endpoint_certs | "$PY" -c '
import json, sys
c = [c for c in json.load(sys.stdin)["certificates"] if c["arn"] == sys.argv[1]][0]
print(eval(sys.argv[2]))' "$1" "$2"
}

# acm_cert_text ARN: the certificate ACM holds, as openssl prints it.
acm_cert_text() {
	AWS_CA_BUNDLE=$ACMB_ENDPOINT_CA /usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" \
		acm get-certificate --certificate-arn "$1" --query Certificate --output text |
		openssl x509 -noout -text
}

# 1. Every CA algorithm with auto: the key is the CA's, the chain has two
#    certificates, the right services signed each call.
for spec in rsa2048:RSA_2048 rsa4096:RSA_4096 ecp256:EC_prime256v1 ecp384:EC_secp384r1; do
	name=${spec%%:*}
	alg=${spec#*:}
	n=$(request_count)
	iss --certificate-authority-arn "$(pca_ca_arn "$name")" --dns-name "$name.example.com" \
		--validity 30d --key-algorithm auto
	expect_rc "auto $name" 0
	[ "$rc" -eq 0 ] || continue
	arn=$(field CertificateArn)
	expect_eq "auto $name: KeyAlgorithm" "$(field KeyAlgorithm)" "$alg"
	expect_eq "auto $name: ACM key" "$(cert_field "$arn" 'c["key_algorithm"]')" "$alg"
	expect_eq "auto $name: chain" "$(cert_field "$arn" 'c["has_chain"]')" "True"
	expect_eq "auto $name: domain" "$(cert_field "$arn" 'c["domain"]')" "$name.example.com"
	services=$(endpoint_requests | "$PY" -c '
import json, sys
r = json.load(sys.stdin)["requests"][int(sys.argv[1]):]
print(sorted({(x["operation"], x["service"]) for x in r}))' "$n")
	case "$services" in
	*"('IssueCertificate', 'acm-pca')"*"('ImportCertificate', 'acm')"* | \
	*"('ImportCertificate', 'acm')"*"('IssueCertificate', 'acm-pca')"*) ok "auto $name: SigV4 services acm and acm-pca" ;;
	*) fail "auto $name: SigV4 services $services" ;;
	esac
done

# 2. The algorithm-match rule: refused before any key or request but the
#    CA's description.
for spec in rsa2048:EC_prime256v1 ecp384:RSA_3072; do
	n=$(request_count)
	iss --certificate-authority-arn "$(pca_ca_arn "${spec%%:*}")" --dns-name m.example.com \
		--validity 30d --key-algorithm "${spec#*:}"
	expect_rc "mismatch $spec" 3 "key-algorithm-match"
	expect_eq "mismatch $spec: requests" "$(ops_since "$n")" "DescribeCertificateAuthority"
done
# Same family, other size: allowed.
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name p521.example.com \
	--validity 30d --key-algorithm EC_secp521r1
expect_rc "EC P-521 leaf under a P-256 CA" 0
[ "$rc" -ne 0 ] || expect_eq "P-521 key" "$(cert_field "$(field CertificateArn)" 'c["key_algorithm"]')" "EC_secp521r1"

# 3. A CA that is not ACTIVE.
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn disabled)" --dns-name d.example.com --validity 30d
expect_rc "disabled CA" 5 "is DISABLED; it must be ACTIVE"
expect_eq "disabled CA: requests" "$(ops_since "$n")" "DescribeCertificateAuthority"

# 4. Polling through three in-progress answers.
pca_pending_polls 3
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name poll.example.com --validity 30d
expect_rc "3 in-progress polls" 0
pca_pending_polls 0
ops=$(pca_ops_since "$n")
expect_eq "in-progress answers" "$(count_op GetCertificate:RequestInProgressException "$ops")" 3
expect_eq "GetCertificate success" "$(count_op GetCertificate "$ops")" 1
[ "$rc" -ne 0 ] || expect_eq "GetCertificatePolls" "$(field GetCertificatePolls)" 4

# 5. IssueCertificate's answer lost: the retry carries the same token and
#    gets the same certificate; Private CA issued one.
issued=$(pca_issued_count)
endpoint_fault '{"operation": "IssueCertificate", "fault": "drop-after", "times": 1}'
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn rsa2048)" --dns-name lost.example.com --validity 30d
expect_rc "lost IssueCertificate answer" 0
expect_eq "IssueCertificate sent twice" "$(count_op IssueCertificate "$(ops_since "$n")")" 2
expect_eq "one certificate issued" "$(pca_issued_count)" "$((issued + 1))"
endpoint_clear_faults
# An explicit token twice: Private CA answers the second request (a new key,
# a new CSR) with the first one's certificate, as it documents for 5
# minutes. The cause is named, not a key-matches-certificate failure.
iss --certificate-authority-arn "$(pca_ca_arn rsa2048)" --dns-name tok.example.com \
	--validity 30d --idempotency-token fixed-token-1 --output text
expect_rc "explicit token" 0
first_tok=$out
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn rsa2048)" --dns-name tok.example.com \
	--validity 30d --idempotency-token fixed-token-1 --output text
expect_rc "token reused with a new key" 3 "the certificate of an earlier request with --idempotency-token fixed-token-1"
expect_rc "token reused: what to do" 3 "Use a new token"
if grep -qF "key-matches-certificate" "$D/stderr"; then bad "token reused: blamed on the key"; else ok; fi
expect_eq "token reused: nothing imported" "$(count_op ImportCertificate "$(ops_since "$n")")" 0
[ -n "$first_tok" ] && ok || bad "explicit token: no ARN"

# 6. A wait that times out: the ARN and why it cannot be resumed; nothing
#    imported.
pca_pending_polls 5
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name slow.example.com \
	--validity 30d --wait-timeout 2
expect_rc "wait timeout" 5 "Private CA certificate ARN: arn:aws:acm-pca:"
expect_rc "wait timeout: no resume" 5 "cannot be resumed"
ops=$(ops_since "$n")
expect_eq "wait timeout: polls" "$(count_op GetCertificate:RequestInProgressException "$ops")" 2
expect_eq "wait timeout: no import" "$(count_op ImportCertificate "$ops")" 0
# sigint_wait WHAT DNS WHEN: an issue whose certificate stays pending gets
# SIGINT once WHEN (a shell command) returns: exit 130, the interrupted wait
# named, the ARN printed, nothing imported.
sigint_wait() {
	local what=$1 dns=$2 when=$3 pid n
	n=$(request_count)
	"$ACMBRIDGE" issue --endpoint-url "$ACMB_ENDPOINT_URL" --pca-endpoint-url "$ACMB_ENDPOINT_URL" \
		--ca-bundle "$ACMB_ENDPOINT_CA" --certificate-authority-arn "$(pca_ca_arn ecp256)" \
		--dns-name "$dns" --validity 30d >/dev/null 2>"$D/stderr" &
	pid=$!
	eval "$when"
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	expect_rc "$what" 130 "interrupted by SIGINT while waiting"
	expect_rc "$what: ARN printed" 130 "Private CA certificate ARN: arn:aws:acm-pca:"
	expect_eq "$what: no import" "$(count_op ImportCertificate "$(ops_since "$n")")" 0
}
# Between two polls: once the endpoint has answered RequestInProgress.
pca_pending_polls 1000
base=$(pca_in_progress_count)
sigint_wait "SIGINT during the wait" sigint.example.com 'pca_wait_in_progress "$base"'
pca_release
# While a GetCertificate poll is in flight: the endpoint holds its answer
# 30 s, and the first poll follows IssueCertificate's answer at once.
issued_then_1s() {
	local i n=$1
	for ((i = 0; i < 600; i++)); do
		[ "$(count_op IssueCertificate "$(ops_since "$n")")" -ge 1 ] && break
		sleep 0.1
	done
	sleep 1
}
pca_pending_polls 1000
endpoint_fault '{"operation": "GetCertificate", "fault": "slow", "delay": 30, "times": 1}'
sigint_wait "SIGINT during a poll" sigint2.example.com 'issued_then_1s "$n"'
endpoint_clear_faults
# The held poll is logged when the endpoint answers it, 30 s on: wait for
# that, or it lands among the requests a later case counts.
for ((i = 0; i < 450; i++)); do
	[ "$(endpoint_requests | "$PY" -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if r.get("fault") == "slow"))')" -ge 1 ] && break
	sleep 0.1
done
pca_release
iss --resume "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x/certificate/1" \
	--certificate-authority-arn "$(pca_ca_arn ecp256)" --validity 30d --dns-name r.example.com
expect_rc "resume a memory key" 2 "cannot be resumed"

# 7. Renewal: a second issue reimported into the first ARN keeps it.
iss --certificate-authority-arn "$(pca_ca_arn rsa2048)" --dns-name renew.example.com \
	--validity 30d --tags Key=team,Value=web
expect_rc "first issue" 0
first=$(field CertificateArn 2>/dev/null)
serial1=$(cert_field "$first" 'c["serial"]' 2>/dev/null)
iss --certificate-authority-arn "$(pca_ca_arn rsa2048)" --dns-name renew.example.com \
	--validity 60d --certificate-arn "$first"
expect_rc "renewal reimport" 0
expect_eq "renewal keeps the ARN" "$(field CertificateArn 2>/dev/null)" "$first"
expect_eq "renewal import count" "$(cert_field "$first" 'c["import_count"]')" 2
serial2=$(cert_field "$first" 'c["serial"]')
if [ -n "$serial1" ] && [ "$serial1" != "$serial2" ]; then ok "renewal: a new serial"; else fail "renewal: serial unchanged"; fi
expect_eq "renewal keeps tags" "$(cert_field "$first" '[t["Value"] for t in c["tags"] if t["Key"] == "team"]')" "['web']"
# A renewal of the other family into that ARN: ACM's reimport rule refuses it.
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name renew.example.com \
	--validity 60d --certificate-arn "$first"
expect_rc "renewal with another key algorithm" 3

# 8. What the certificate carries: signing algorithm, validity, SANs.
iss --certificate-authority-arn "$(pca_ca_arn rsa4096)" --subject "CN=sig.example.com,O=Example\, Ltd" \
	--dns-name sig.example.com --dns-name alt.example.com --ip-address 192.0.2.10 \
	--signing-algorithm SHA512WITHRSA --validity 2y
expect_rc "SHA512WITHRSA, 2y" 0
if [ "$rc" -eq 0 ]; then
	text=$(acm_cert_text "$(field CertificateArn)")
	grep -q "Signature Algorithm: sha512WithRSAEncryption" <<<"$text" && ok "signature algorithm sha512WithRSAEncryption" || fail "signature algorithm: $(grep 'Signature Algorithm' <<<"$text" | head -1)"
	grep -q "DNS:sig.example.com, DNS:alt.example.com, IP Address:192.0.2.10" <<<"$text" && ok "SANs as asked" || fail "SANs: $(grep -A1 'Alternative' <<<"$text")"
	grep -q "Subject: CN = sig.example.com, O = \"Example, Ltd\"" <<<"$text" && ok "subject as asked" || fail "subject: $(grep 'Subject:' <<<"$text")"
	year=$(grep "Not After" <<<"$text" | awk '{print $7}')
	expect_eq "2y validity" "$year" "$(( $(date -u +%Y) + 2 ))"
fi
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn rsa2048)" --dns-name s.example.com --validity 30d \
	--signing-algorithm SHA256WITHECDSA
expect_rc "signing algorithm of the other family" 2 "does not fit"
expect_eq "signing mismatch: requests" "$(ops_since "$n")" "DescribeCertificateAuthority"

# 9. ApiPassthrough with an APIPassthrough template: its Subject wins.
cat >"$D/passthrough.json" <<'JSON'
{"Subject": {"CommonName": "passthrough.example.com", "Organization": "Passthrough Org"},
 "Extensions": {"SubjectAlternativeNames": [{"DnsName": "passthrough.example.com"}]}}
JSON
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name csr.example.com --validity 30d \
	--template-arn arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1 \
	--api-passthrough "file://$D/passthrough.json"
expect_rc "ApiPassthrough" 0
[ "$rc" -ne 0 ] || expect_eq "passthrough domain" "$(cert_field "$(field CertificateArn)" 'c["domain"]')" "passthrough.example.com"
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name csr.example.com --validity 30d \
	--api-passthrough '{"Subject": {"CommonName": "x"}}'
expect_rc "ApiPassthrough without a template" 2 "--template-arn"

# 10. Dry run: the plan, nothing issued.
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn ecp384)" --dns-name dry.example.com --validity 30d --dry-run
expect_rc "dry run" 0
expect_eq "dry run: requests" "$(ops_since "$n")" "DescribeCertificateAuthority"
[ "$rc" -ne 0 ] || expect_eq "dry run: key" "$(field KeyAlgorithm)" "EC_secp384r1"
# --query and --output (issue 16): the AWS CLI's formats over the result.
iss --certificate-authority-arn "$(pca_ca_arn ecp384)" --dns-name dry.example.com --validity 30d \
	--dry-run --query KeyAlgorithm --output text
expect_eq "dry run --query KeyAlgorithm --output text" "$rc $out" "0 EC_secp384r1"
iss --certificate-authority-arn "$(pca_ca_arn ecp384)" --dns-name dry.example.com --validity 30d \
	--dry-run --output yaml --query '{k: KeyAlgorithm}'
expect_eq "dry run --output yaml --query" "$rc $out" "0 k: EC_secp384r1"
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name q.example.com --validity 30d \
	--query CertificateArn --output text
expect_rc "issue --query CertificateArn --output text" 0
expect_in "issue --query: the ACM ARN alone" "arn:aws:acm:" "$out"
expect_not_in "issue --query: no JSON" "{" "$out"
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name q.example.com --validity 30d \
	--query 'CertificateArn['
expect_rc "a bad --query" 2 "JMESPath syntax error"
expect_eq "a bad --query: nothing sent" "$(ops_since "$n")" ""

# 11. Usage errors, nothing sent.
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name u.example.com
expect_rc "no --validity" 2 "--validity is required"
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name u.example.com --validity 90x
expect_rc "bad --validity" 2 "--validity '90x'"
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --validity 30d
expect_rc "no subject or name" 2 "--subject"
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name "bad name" --validity 30d
expect_rc "bad DNS name" 2 "--dns-name 'bad name'"
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name u.example.com --validity 30d \
	--idempotency-token 0123456789012345678901234567890123456
expect_rc "token too long" 2 "--idempotency-token"
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name u.example.com --validity 30d \
	--key-algorithm ED25519
expect_rc "unknown key algorithm" 2 "--key-algorithm 'ED25519'"
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name u.example.com --validity 30d \
	--key-store disk
expect_rc "unknown key store" 2 "--key-store takes memory or a pkcs11: URI"
expect_eq "usage errors: only CA descriptions sent" \
	"$(ops_since "$n" | tr ' ' '\n' | grep -v '^DescribeCertificateAuthority$' | grep -c .)" 0
iss --certificate-authority-arn "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/00000000-0000-0000-0000-000000000000" \
	--dns-name u.example.com --validity 30d
expect_rc "unknown CA" 5 "ResourceNotFoundException"

finish
