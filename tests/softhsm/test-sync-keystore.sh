#!/bin/bash
# sync with private-ca entries whose key lives on a SoftHSM2 token
# (key-store: pkcs11:...): create makes the pair on the token; a renewal with
# rotate-key: true makes a new pair and relabels the one ACM used to
# LABEL-previous (an older -previous goes), same ARN, ACM holding the new
# certificate; with rotate-key: false the token's pair signs a new
# certificate for the same ARN; an import that fails mid-rotation is
# finished by the rerun with the key it made (no second rotation, the key
# ACM still uses kept); two destinations share one key through a rotation;
# reruns are unchanged; memory with rotate-key: false is a manifest error
# (exit 2, file:line:column).
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
# shellcheck source=../pca/pca.sh
. "$ACMB_TESTS_DIR/pca/pca.sh"

D=$(mktemp -d "${TMPDIR:-/tmp}/acmb-sync-keystore.XXXXXX")
trap 'rm -rf "$D"; _endpoint_on_exit' EXIT
out=""
rc=0
ASSERT_STDERR=$D/stderr
ASSERT_RC_STDOUT=1
export XDG_STATE_HOME=$D/state
LOG=$D/state/acmbridge/audit.log

export SOFTHSM2_CONF=$D/softhsm2.conf
mkdir "$D/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	"$D" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label vault --pin 1234 --so-pin 5678 >/dev/null || exit 1
printf '1234\n' >"$D/pin"
chmod 600 "$D/pin"

endpoint_start --tls || exit 1
pca_wait_ready || exit 1
CA_ARN=$(pca_ca_arn ecp256)

cat >"$D/fleet.yaml" <<YAML
version: 1
defaults:
  destinations: [{region: us-east-1}]
  renew-before: 30d
certificates:
  - name: inner
    private-ca:
      certificate-authority-arn: $CA_ARN
      dns-names: [inner.example.test]
      validity: 90d
      key-store: "pkcs11:token=vault;object=inner"
      module: $MODULE
      pin-file: $D/pin
  - name: kept
    private-ca:
      certificate-authority-arn: $CA_ARN
      dns-names: [kept.example.test]
      validity: 90d
      key-store: "pkcs11:token=vault;object=kept"
      rotate-key: false
      module: $MODULE
      pin-file: $D/pin
YAML

# S ARGS...: sync the fleet; sets $out and $rc.
S() {
	out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
		--pca-endpoint-url "$ACMB_ENDPOINT_URL" --manifest "${FLEET:-$D/fleet.yaml}" \
		--output json "$@" 2>"$D/stderr")
	rc=$?
}
DUE=$(date -u -d '+75 days' +%Y-%m-%dT%H:%M:%SZ)
item() { jq -r --arg n "$1" ".Items[] | select(.Name == \$n) | $2" <<<"$out"; }

# objects LABEL: the kinds of the token objects labelled LABEL, sorted, e.g.
# "Certificate PrivateKey:sensitive,extractable PublicKey".
objects() {
	pkcs11-tool --module "$MODULE" --token-label vault --login --pin 1234 -O 2>/dev/null |
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
# key_id LABEL: the CKA_ID (hex) of the private key labelled LABEL.
key_id() {
	pkcs11-tool --module "$MODULE" --token-label vault --login --pin 1234 -O 2>/dev/null |
		"$PY" -c '
import sys
want, cur, ids = sys.argv[1], None, []
for line in sys.stdin:
    if not line.startswith(" "):
        cur = {"kind": line.split(" Object")[0].strip(), "label": None}
    elif line.strip().startswith("label:"):
        cur["label"] = line.split(":", 1)[1].strip()
    elif line.strip().startswith("ID:") and cur["kind"] == "Private Key" and cur["label"] == want:
        ids.append(line.split(":", 1)[1].strip())
print(" ".join(ids))' "$1"
}
# pubkey_of_label LABEL: SHA-256 of the DER of the public key labelled LABEL.
pubkey_of_label() {
	rm -f "$D/pub.der"
	pkcs11-tool --module "$MODULE" --token-label vault --read-object --type pubkey \
		--label "$1" -o "$D/pub.der" >/dev/null 2>&1 &&
		openssl pkey -pubin -inform DER -in "$D/pub.der" -outform DER 2>/dev/null |
		sha256sum | cut -d' ' -f1
}
# acm_cert ARN: the certificate ACM holds, read with the aws CLI.
acm_cert() {
	AWS_CA_BUNDLE=$ACMB_ENDPOINT_CA /usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" \
		--region us-east-1 acm get-certificate --certificate-arn "$1" --query Certificate \
		--output text
}
pubkey_of_acm() {
	acm_cert "$1" | openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER |
		sha256sum | cut -d' ' -f1
}
serial_of_acm() { acm_cert "$1" | openssl x509 -noout -serial; }
audit_begins() { grep -c '"event":"begin"' "$LOG" 2>/dev/null || echo 0; }

echo "# 1. the plan says where each key comes from; nothing touches the token"
S --dry-run
expect_rc "dry run: changes pending" 10
expect_eq "  two creates" "$(jq -r '[.Items[].Action] | join(",")' <<<"$out")" create,create
expect_in "  rotate-key true: a new key on the token" "new key on token vault (inner), not in ACM yet" \
	"$(item inner .Reason)"
expect_in "  rotate-key false: the token's key" "the token's key kept (token vault; made when missing)" \
	"$(item kept .Reason)"
expect_eq "  no key made by a dry run" "$(objects inner)$(objects kept)" ""

echo "# 2. create: the pairs are made on the token, the certificates imported"
S
expect_rc "sync creates" 0
expect_eq "  two done" "$(jq -r '[.Items[] | select(.Result == "done")] | length' <<<"$out")" 2
ARN_I=$(item inner .CertificateArn)
ARN_K=$(item kept .CertificateArn)
expect_eq "  inner's objects on the token" "$(objects inner)" \
	"Certificate PrivateKey:sensitive,extractable PublicKey"
expect_eq "  kept's objects on the token" "$(objects kept)" \
	"Certificate PrivateKey:sensitive,extractable PublicKey"
K1=$(pubkey_of_label inner)
ID1=$(key_id inner)
KK=$(pubkey_of_label kept)
expect_eq "  ACM's inner certificate is for the token's key (aws CLI)" "$(pubkey_of_acm "$ARN_I")" "$K1"
expect_eq "  ACM's kept certificate is for the token's key (aws CLI)" "$(pubkey_of_acm "$ARN_K")" "$KK"
expect_eq "  each key left the token through the audited export" "$(audit_begins)" 2

echo "# 3. rerun: unchanged"
n0=$(endpoint_requests | jq '[.requests[] | select(.operation == "ImportCertificate")] | length')
S
expect_rc "rerun" 0
expect_eq "  all unchanged" "$(jq -r '[.Items[].Action] | unique | join(",")' <<<"$out")" unchanged
expect_eq "  no import" \
	"$(endpoint_requests | jq '[.requests[] | select(.operation == "ImportCertificate")] | length')" "$n0"
expect_eq "  the token's key unchanged" "$(pubkey_of_label inner)" "$K1"

echo "# 4. renewals due (day 75): the plan says what happens to each key"
S --dry-run --at "$DUE"
expect_rc "dry run at day 75" 10
expect_eq "  two renewals" "$(jq -r '[.Items[].Action] | join(",")' <<<"$out")" renew,renew
expect_in "  inner: a new key, the old one retired" \
	"new key on token vault (inner; the key ACM uses becomes inner-previous), expires in" \
	"$(item inner .Reason)"
expect_in "  kept: the token's key" "with the token's key kept (token vault), expires in" \
	"$(item kept .Reason)"

SER_K1=$(serial_of_acm "$ARN_K")
S --at "$DUE"
expect_rc "renew at day 75" 0
expect_eq "  inner: same ARN" "$(item inner .CertificateArn)" "$ARN_I"
K2=$(pubkey_of_label inner)
ID2=$(key_id inner)
[ -n "$K2" ] && [ "$K2" != "$K1" ] && ok "  inner: a new public key under the label" ||
	fail "  inner: a new public key under the label" "$K1 -> $K2"
[ -n "$ID2" ] && [ "$ID2" != "$ID1" ] && ok "  inner: a new key id" || fail "  inner: a new key id" "$ID1 -> $ID2"
expect_eq "  inner: ACM holds the certificate of the new key" "$(pubkey_of_acm "$ARN_I")" "$K2"
expect_eq "  inner: the old pair relabelled inner-previous" "$(objects inner-previous)" \
	"Certificate PrivateKey:sensitive,extractable PublicKey"
expect_eq "  inner: inner-previous is the old key" "$(pubkey_of_label inner-previous)" "$K1"
expect_eq "  inner: inner-previous keeps its id" "$(key_id inner-previous)" "$ID1"
expect_eq "  inner: one live pair under the label" "$(objects inner)" \
	"Certificate PrivateKey:sensitive,extractable PublicKey"
expect_eq "  kept: same ARN" "$(item kept .CertificateArn)" "$ARN_K"
expect_eq "  kept: same public key in ACM" "$(pubkey_of_acm "$ARN_K")" "$KK"
[ "$(serial_of_acm "$ARN_K")" != "$SER_K1" ] && ok "  kept: a new certificate in ACM" ||
	fail "  kept: a new certificate in ACM" "serial still $SER_K1"
expect_eq "  kept: the token's key unchanged, one certificate for it" \
	"$(pubkey_of_label kept) $(objects kept)" \
	"$KK Certificate PrivateKey:sensitive,extractable PublicKey"
expect_eq "  kept: nothing retired" "$(objects kept-previous)" ""

echo "# 5. rerun after the renewal: unchanged"
S
expect_rc "rerun after the renewal" 0
expect_eq "  all unchanged" "$(jq -r '[.Items[].Action] | unique | join(",")' <<<"$out")" unchanged

echo "# 6. a rotation whose import fails is finished by the rerun, not rotated again"
endpoint_fault '{"operation": "ImportCertificate", "fault": "access-denied", "times": 2}'
S --at "$DUE" --only inner
expect_rc "import refused mid-rotation" 5
K3=$(pubkey_of_label inner)
ID3=$(key_id inner)
[ -n "$K3" ] && [ "$K3" != "$K2" ] && ok "  a new key was made" || fail "  a new key was made" "$K3"
expect_eq "  ACM still holds the previous key's certificate" "$(pubkey_of_acm "$ARN_I")" "$K2"
expect_eq "  and that key is kept as inner-previous" "$(pubkey_of_label inner-previous)" "$K2"
endpoint_clear_faults
S --at "$DUE" --only inner
expect_rc "rerun after the failed import" 0
expect_eq "  the key the failed run made is used" "$(pubkey_of_label inner)" "$K3"
expect_eq "  ACM holds its certificate, same ARN" \
	"$(pubkey_of_acm "$ARN_I") $(item inner .CertificateArn)" "$K3 $ARN_I"
expect_eq "  inner-previous still the key ACM used before" "$(pubkey_of_label inner-previous)" "$K2"
expect_eq "  one pair each, the oldest gone" "$(objects inner) / $(objects inner-previous)" \
	"Certificate PrivateKey:sensitive,extractable PublicKey / Certificate PrivateKey:sensitive,extractable PublicKey"
expect_eq "  three private keys on the token (inner, inner-previous, kept)" \
	"$(pkcs11-tool --module "$MODULE" --token-label vault --login --pin 1234 -O --type privkey 2>/dev/null |
		grep -c '^Private Key Object')" 3
S
expect_rc "rerun" 0
expect_eq "  all unchanged" "$(jq -r '[.Items[].Action] | unique | join(",")' <<<"$out")" unchanged

echo "# 6b. a token that fails half-way through the retirement: the rerun finishes it"
FAULTY=$ACMB_BUILD_DIR/tests/softhsm/libfaulty-p11.so
sed "s|module: $MODULE|module: $FAULTY|" "$D/fleet.yaml" >"$D/faulty.yaml"
# The certificate and the public key are relabelled, then the token fails.
FLEET=$D/faulty.yaml ACMB_FAULT_P11=C_SetAttributeValue:CKR_DEVICE_ERROR:2 S --at "$DUE" --only inner
expect_rc "token failure while retiring" 4 "cannot relabel key pair 'inner' to 'inner-previous'"
expect_eq "  the private key is still under the label" "$(objects inner)" \
	"PrivateKey:sensitive,extractable"
expect_eq "  its certificate and public key moved; the older pair is gone" \
	"$(objects inner-previous) $(pubkey_of_label inner-previous)" "Certificate PublicKey $K3"
expect_eq "  ACM untouched" "$(pubkey_of_acm "$ARN_I")" "$K3"
S --at "$DUE" --only inner
expect_rc "rerun with the token back" 0
K4=$(pubkey_of_label inner)
[ -n "$K4" ] && [ "$K4" != "$K3" ] && ok "  a new key" || fail "  a new key" "$K3 -> $K4"
expect_eq "  ACM holds it, same ARN" "$(pubkey_of_acm "$ARN_I") $(item inner .CertificateArn)" \
	"$K4 $ARN_I"
expect_eq "  the retirement finished: the whole old pair under inner-previous" \
	"$(objects inner-previous) $(pubkey_of_label inner-previous) $(key_id inner-previous)" \
	"Certificate PrivateKey:sensitive,extractable PublicKey $K3 $ID3"
expect_eq "  one pair under the label" "$(objects inner)" \
	"Certificate PrivateKey:sensitive,extractable PublicKey"

echo "# 7. two destinations share the token's key; a rotation moves both to the new one"
cat >"$D/multi.yaml" <<YAML
version: 1
certificates:
  - name: both
    private-ca:
      certificate-authority-arn: $CA_ARN
      dns-names: [both.example.test]
      validity: 90d
      key-store: "pkcs11:token=vault;object=both"
      module: $MODULE
      pin-file: $D/pin
    destinations: [{region: us-east-1}, {region: eu-west-1}]
    renew-before: 30d
YAML
M() {
	out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
		--pca-endpoint-url "$ACMB_ENDPOINT_URL" --manifest "$D/multi.yaml" --output json \
		"$@" 2>"$D/stderr")
	rc=$?
}
region_arn() { jq -r --arg r "$1" '.Items[] | select(.Region == $r) | .CertificateArn' <<<"$out"; }
pubkey_in() {
	AWS_CA_BUNDLE=$ACMB_ENDPOINT_CA /usr/bin/aws --endpoint-url "$ACMB_ENDPOINT_URL" \
		--region "$1" acm get-certificate --certificate-arn "$2" --query Certificate --output text |
		openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}
M
expect_rc "create in two regions" 0
ARN_US=$(region_arn us-east-1)
ARN_EU=$(region_arn eu-west-1)
B1=$(pubkey_of_label both)
expect_eq "  one key on the token, in both regions" \
	"$(pubkey_in us-east-1 "$ARN_US") $(pubkey_in eu-west-1 "$ARN_EU") $(objects both)" \
	"$B1 $B1 Certificate PrivateKey:sensitive,extractable PublicKey"
M --at "$DUE"
expect_rc "renew in two regions" 0
B2=$(pubkey_of_label both)
[ -n "$B2" ] && [ "$B2" != "$B1" ] && ok "  a new key" || fail "  a new key" "$B1 -> $B2"
expect_eq "  both regions hold the new key's certificates, same ARNs" \
	"$(pubkey_in us-east-1 "$ARN_US") $(pubkey_in eu-west-1 "$ARN_EU") $(region_arn us-east-1) $(region_arn eu-west-1)" \
	"$B2 $B2 $ARN_US $ARN_EU"
expect_eq "  the old key retired once" "$(pubkey_of_label both-previous) $(objects both-previous)" \
	"$B1 Certificate PrivateKey:sensitive,extractable PublicKey"
M
expect_rc "rerun" 0
expect_eq "  unchanged in both regions" "$(jq -r '[.Items[].Action] | unique | join(",")' <<<"$out")" unchanged

echo "# 8. rotate-key: false with key-store: memory is a manifest mistake"
cat >"$D/memory.yaml" <<YAML
version: 1
certificates:
  - name: lost
    private-ca:
      certificate-authority-arn: $CA_ARN
      dns-names: [lost.example.test]
      rotate-key: false
    destinations: [{region: us-east-1}]
YAML
n0=$(endpoint_requests | jq '.requests | length')
out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
	--pca-endpoint-url "$ACMB_ENDPOINT_URL" --manifest "$D/memory.yaml" --output json 2>"$D/stderr")
rc=$?
expect_rc "memory with rotate-key: false" 2 \
	"$D/memory.yaml:7:19: certificate lost: rotate-key: false needs key-store: pkcs11:..."
expect_eq "  nothing sent" "$(endpoint_requests | jq '.requests | length')" "$n0"

finish
