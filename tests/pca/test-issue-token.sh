#!/bin/bash
# acmbridge issue with a pkcs11: key store on a SoftHSM2 token: the key pair
# made on the token (sensitive, extractable), the CSR signed there, the
# certificate and chain stored next to the key, the export audited; a wait
# that times out and is finished with --resume; the refusals (label in use,
# algorithm match before any key, wrong PIN); a renewal keeping the ARN.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PY=${PYTHON3:-/usr/bin/python3}
PYTHON3=$PY
export ACMB_TEST_NO_BACKOFF=1
MODULE=/usr/lib/softhsm/libsofthsm2.so
# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"
# shellcheck source=../lib/endpoint.sh
. "$ACMB_TESTS_DIR/lib/endpoint.sh"
# shellcheck source=pca.sh
. "$ACMB_TESTS_DIR/pca/pca.sh"

D=$(mktemp -d "${TMPDIR:-/tmp}/acmb-pca-token.XXXXXX")
trap 'rm -rf "$D"; _endpoint_on_exit' EXIT
out=""
rc=0
ASSERT_STDERR=$D/stderr

export SOFTHSM2_CONF=$D/softhsm2.conf
mkdir "$D/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	"$D" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label issue --pin 1234 --so-pin 5678 >/dev/null || exit 1
printf '1234\n' >"$D/pin"
printf '9999\n' >"$D/wrong-pin"
chmod 600 "$D/pin" "$D/wrong-pin"

endpoint_start --tls || exit 1
pca_wait_ready || exit 1

iss() {
	out=$("$ACMBRIDGE" issue --endpoint-url "$ACMB_ENDPOINT_URL" \
		--pca-endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
		--module "$MODULE" --audit-log "$D/audit.log" "$@" 2>"$D/stderr")
	rc=$?
}


field() { printf '%s' "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
request_count() { endpoint_requests | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'; }
count_op_since() {
	endpoint_requests | "$PY" -c '
import json, sys
r = json.load(sys.stdin)["requests"][int(sys.argv[1]):]
print(sum(1 for x in r if x.get("operation") == sys.argv[2] and not x.get("error")))' "$1" "$2"
}
cert_field() {
	endpoint_certs | "$PY" -c '
import json, sys
c = [c for c in json.load(sys.stdin)["certificates"] if c["arn"] == sys.argv[1]][0]
print(eval(sys.argv[2]))' "$1" "$2"
}

# objects LABEL: "Kind[:sensitive,extractable]" for each object labelled LABEL,
# sorted: e.g. "Certificate PrivateKey:sensitive,extractable PublicKey".
objects() {
	pkcs11-tool --module "$MODULE" --token-label issue --login --pin 1234 -O 2>/dev/null |
		"$PY" -c '
import sys
want, objs, cur = sys.argv[1], [], None
for line in sys.stdin:
    if not line.startswith(" "):
        cur = {"kind": line.split(" Object")[0].strip(), "label": None, "access": ""}
        objs.append(cur)
    elif line.strip().startswith("label:"):
        cur["label"] = line.split(":", 1)[1].strip()
    elif line.strip().startswith("Access:"):
        cur["access"] = line.split(":", 1)[1].strip()
def name(o):
    flags = [a for a in ("sensitive", "extractable") if a in o["access"].split(", ")]
    return o["kind"].replace(" ", "") + (":" + ",".join(flags) if flags else "")
print(" ".join(sorted(name(o) for o in objs if o["label"] == want)))' "$1"
}

# pubkey_of_label LABEL: SHA-256 of the token public key's DER.
pubkey_of_label() {
	pkcs11-tool --module "$MODULE" --token-label issue --read-object --type pubkey \
		--label "$1" -o "$D/pub.der" >/dev/null 2>&1 &&
		openssl pkey -pubin -inform DER -in "$D/pub.der" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1
}
# pubkey_of_acm ARN: SHA-256 of the public key of the certificate ACM holds.
pubkey_of_acm() {
	AWS_CA_BUNDLE=$ACMB_ENDPOINT_CA /usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" \
		acm get-certificate --certificate-arn "$1" --query Certificate --output text |
		openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}

# 1. A key pair on the token for an EC and an RSA CA.
for spec in ecp256:EC_prime256v1 rsa2048:RSA_2048; do
	name=${spec%%:*}
	label=web-$name
	iss --certificate-authority-arn "$(pca_ca_arn "$name")" --dns-name "$label.example.com" \
		--validity 30d --key-store "pkcs11:token=issue;object=$label" --pin-file "$D/pin"
	expect_rc "token $name" 0
	[ "$rc" -eq 0 ] || continue
	arn=$(field CertificateArn)
	expect_eq "token $name: stored" "$(field StoredOnToken)" "True"
	expect_eq "token $name: ACM key" "$(cert_field "$arn" 'c["key_algorithm"]')" "${spec#*:}"
	expect_eq "token $name: objects" "$(objects "$label")" \
		"Certificate PrivateKey:sensitive,extractable PublicKey"
	expect_eq "token $name: chain on the token" "$(objects "$label-chain")" \
		"Certificate Certificate"
	# The CSR was signed by the token's key: the certificate carries its public key.
	expect_eq "token $name: public key" "$(pubkey_of_acm "$arn")" "$(pubkey_of_label "$label")"
	grep -q "\"object_label\":\"$label\".*\"path\":\"wrapped\"" "$D/audit.log" && ok "token $name: audit begin record" ||
		fail "token $name: no audit begin record: $(tail -2 "$D/audit.log")"
	grep -q "\"result\":\"imported\",\"arn\":\"$arn\"" "$D/audit.log" && ok "token $name: audit outcome" ||
		fail "token $name: no audit outcome for $arn"
done

# 2. A label in use is refused before anything is issued.
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name again.example.com \
	--validity 30d --key-store "pkcs11:token=issue;object=web-ecp256" --pin-file "$D/pin"
expect_rc "label in use" 4 "already holds a private key"
expect_eq "label in use: nothing issued" "$(count_op_since "$n" IssueCertificate)" 0

# 3. The algorithm-match rule before any key is made on the token.
iss --certificate-authority-arn "$(pca_ca_arn rsa2048)" --dns-name m.example.com --validity 30d \
	--key-algorithm EC_prime256v1 --key-store "pkcs11:token=issue;object=mismatch" --pin-file "$D/pin"
expect_rc "token mismatch" 3 "key-algorithm-match"
expect_eq "token mismatch: no key made" "$(objects mismatch)" ""

# 4. Wrong PIN: token failure, nothing issued.
n=$(request_count)
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name pin.example.com --validity 30d \
	--key-store "pkcs11:token=issue;object=pin" --pin-file "$D/wrong-pin"
expect_rc "wrong PIN" 4
expect_eq "wrong PIN: nothing issued" "$(count_op_since "$n" IssueCertificate)" 0

# 4b. The PIN from the environment: read once (the variable is wiped and
# unset), held for both logins (key pair, then the export).
ISSUE_PIN=$(head -n1 "$D/pin") iss --certificate-authority-arn "$(pca_ca_arn ecp256)" \
	--dns-name pinenv.example.com --validity 30d --key-store "pkcs11:token=issue;object=pinenv" \
	--pin-env ISSUE_PIN
expect_rc "PIN from the environment" 0
expect_eq "PIN from the environment: stored" "$(field StoredOnToken 2>/dev/null)" "True"
grep -q "\"object_label\":\"pinenv\".*\"path\":\"wrapped\"" "$D/audit.log" && ok "PIN from the environment: audited export" ||
	fail "PIN from the environment: no audited export"
ISSUE_PIN=9999 iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name pinenv2.example.com \
	--validity 30d --key-store "pkcs11:token=issue;object=pinenv2" --pin-env ISSUE_PIN
expect_rc "wrong PIN from the environment" 4
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name pinenv3.example.com \
	--validity 30d --key-store "pkcs11:token=issue;object=pinenv3" --pin-env ISSUE_PIN_UNSET
expect_rc "PIN variable not set" 2 "ISSUE_PIN_UNSET"
ISSUE_PIN=1234 iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name pinenv4.example.com \
	--validity 30d --key-store "pkcs11:token=issue;object=pinenv4" --pin-env ISSUE_PIN --pin-file "$D/pin"
expect_rc "--pin-env with --pin-file" 2 "not both"
# One login per token for the run: the key pair and the audited export share
# it, so a PIN file that can be read only once (a pipe) is enough.
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name pinpipe.example.com \
	--validity 30d --key-store "pkcs11:token=issue;object=pinpipe" --pin-file <(printf '1234\n')
expect_rc "PIN file read once (a pipe): one login for the key pair and the export" 0
expect_eq "PIN file read once: stored" "$(field StoredOnToken 2>/dev/null)" "True"

# 5. A wait that times out, then --resume from the token.
pca_pending_polls 4
iss --certificate-authority-arn "$(pca_ca_arn rsa2048)" --dns-name slow.example.com --validity 30d \
	--key-store "pkcs11:token=issue;object=slow" --pin-file "$D/pin" --wait-timeout 2
expect_rc "token wait timeout" 5 "acmbridge issue --resume arn:aws:acm-pca:"
pca_arn=$(sed -n 's/^acmbridge: Private CA certificate ARN: //p' "$D/stderr")
expect_eq "timeout: key kept, no certificate yet" "$(objects slow)" \
	"PrivateKey:sensitive,extractable PublicKey"
pca_pending_polls 0
n=$(request_count)
iss --resume "$pca_arn" --certificate-authority-arn "$(pca_ca_arn rsa2048)" --validity 30d \
	--key-store "pkcs11:token=issue;object=slow" --pin-file "$D/pin"
expect_rc "resume" 0
expect_eq "resume: no new IssueCertificate" "$(count_op_since "$n" IssueCertificate)" 0
if [ "$rc" -eq 0 ]; then
	expect_eq "resume: same Private CA certificate" "$(field PrivateCaCertificateArn)" "$pca_arn"
	expect_eq "resume: certificate stored" "$(objects slow)" \
		"Certificate PrivateKey:sensitive,extractable PublicKey"
	expect_eq "resume: public key" "$(pubkey_of_acm "$(field CertificateArn)")" "$(pubkey_of_label slow)"
fi
iss --resume "$pca_arn" --certificate-authority-arn "$(pca_ca_arn rsa2048)" --validity 30d \
	--key-store "pkcs11:token=issue;object=nosuchkey" --pin-file "$D/pin"
expect_rc "resume without the key" 4 "holds 0 private keys"

# SIGTERM during the wait: exit 143, the resume command printed; --resume
# then finishes with the key on the token.
pca_pending_polls 1000
base=$(pca_in_progress_count)
"$ACMBRIDGE" issue --endpoint-url "$ACMB_ENDPOINT_URL" --pca-endpoint-url "$ACMB_ENDPOINT_URL" \
	--ca-bundle "$ACMB_ENDPOINT_CA" --module "$MODULE" --audit-log "$D/audit.log" \
	--certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name term.example.com \
	--validity 30d --key-store "pkcs11:token=issue;object=term" --pin-file "$D/pin" \
	>/dev/null 2>"$D/stderr" &
pid=$!
pca_wait_in_progress "$base"
kill -TERM "$pid"
wait "$pid"
rc=$?
expect_rc "SIGTERM during the wait" 143 "acmbridge issue --resume arn:aws:acm-pca:"
pca_arn=$(sed -n 's/^acmbridge: Private CA certificate ARN: //p' "$D/stderr")
pca_release
iss --resume "$pca_arn" --certificate-authority-arn "$(pca_ca_arn ecp256)" --validity 30d \
	--key-store "pkcs11:token=issue;object=term" --pin-file "$D/pin"
expect_rc "resume after SIGTERM" 0
expect_eq "resume after SIGTERM: certificate stored" "$(objects term)" \
	"Certificate PrivateKey:sensitive,extractable PublicKey"

# 6. Renewal: a new key on the token reimported into the first ARN.
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name renew.example.com --validity 30d \
	--key-store "pkcs11:token=issue;object=renew-1" --pin-file "$D/pin"
expect_rc "renewal: first" 0
first=$(field CertificateArn 2>/dev/null)
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name renew.example.com --validity 60d \
	--key-store "pkcs11:token=issue;object=renew-2" --pin-file "$D/pin" --certificate-arn "$first"
expect_rc "renewal: reimport" 0
expect_eq "renewal keeps the ARN" "$(field CertificateArn 2>/dev/null)" "$first"
expect_eq "renewal: ACM holds the new key" "$(pubkey_of_acm "$first")" "$(pubkey_of_label renew-2)"

# 7. Token options without a token key store are a usage error.
iss --certificate-authority-arn "$(pca_ca_arn ecp256)" --dns-name u.example.com --validity 30d \
	--pin-file "$D/pin"
expect_rc "token options with memory" 2 "--key-store pkcs11:URI"

finish
