#!/usr/bin/env bash
# `list` and `import` judge a token the same way (issue 10): a certificate
# and its key that differ in CKA_ID but share the public key are paired by
# both, a certificate whose key is elsewhere by neither. Token
# configuration errors exit 2 (issue 9: --pin-file /dev/zero), and the
# --resume command `issue` prints keeps the PIN option (never the PIN).
FIXTURE_TYPES="p256"
. "$(dirname "$0")/fixture.sh"
source "$ACMB_TESTS_DIR/lib/endpoint.sh"
source "$ACMB_TESTS_DIR/pca/pca.sh"
: "${ACMBRIDGE:?}" "${PYTHON3:=/usr/bin/python3}"
export ACMB_TEST_NO_BACKOFF=1
A=$ACMBRIDGE
LOG=$W/audit.log
L() { "$A" list --module "$MODULE" "$@"; }

# A key (CKA_ID 0a0a) and its certificate (CKA_ID 0b0b): only the public
# key pairs them. A certificate (0c0c) whose key is on no token.
genkey p256 "$P/pair.key"
issue_leaf "$P/pair.key" pair ec
fixture acmb-main import-key "$P/pair.key" 0a0a pair-key sens
fixture acmb-main import-cert "$P/pair.pem" 0b0b pair-cert 1
genkey p256 "$P/lone.key"
issue_leaf "$P/lone.key" lone ec
fixture acmb-main import-cert "$P/lone.pem" 0c0c lone-cert 1

expect_rc "list with a PIN" 0 L --pin-file "$W/pin" "pkcs11:token=acmb-main"
expect_in "list: certificate paired by public key" \
	"certificate  id=0b0b label='pair-cert'  EC-prime256v1  not-after" "$OUT"
pair_line=$(grep "label='pair-cert'" <<<"$OUT")
expect_in "list: the certificate's key: yes" "key: yes" "$pair_line"
expect_in "list: the key's certificate: yes" \
	"private key  id=0a0a label='pair-key'  EC-prime256v1  extractable=true sensitive=true never-extractable=false wrap-with-trusted=false  export: wrapped  certificate: yes" \
	"$OUT"
expect_in "list: a certificate without its key: no" "$(grep "label='lone-cert'" <<<"$OUT" | grep -o 'key: no')" "key: no"
expect_rc "list JSON" 0 L --pin-file "$W/pin" --output json "pkcs11:token=acmb-main"
check=$("$PYTHON3" - "$W/out" <<'PY'
import json, sys
objs = {(o["class"], o["label"]): o for o in json.load(open(sys.argv[1]))["tokens"][0]["objects"]}
assert objs[("certificate", "pair-cert")]["paired_key"] is True, objs[("certificate", "pair-cert")]
assert objs[("private-key", "pair-key")]["paired_certificate"] is True
assert objs[("certificate", "lone-cert")]["paired_key"] is False
assert objs[("certificate", "p256-sens")]["paired_key"] is True
print("pairing ok")
PY
)
expect_in "list JSON: pairing as import pairs" "pairing ok" "$check"
expect_rc "list narrowed to the key" 0 L --pin-file "$W/pin" "pkcs11:token=acmb-main;object=pair-key"
expect_in "list narrowed: the key still pairs with a certificate outside the listing" \
	"label='pair-key'  EC-prime256v1" "$OUT"
expect_in "list narrowed: certificate: yes" "certificate: yes" "$OUT"
expect_not_in "list narrowed: nothing else" "pair-cert" "$OUT"

endpoint_start --tls
pca_wait_ready
EP=(--endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA")
TOK=(--module "$MODULE" --pin-file "$W/pin" --audit-log "$LOG")
expect_rc "import pairs the same certificate and key" 0 "$A" import "${EP[@]}" "${TOK[@]}" \
	--certificate "pkcs11:token=acmb-main;object=pair-cert;type=cert" --output text
expect_in "import: ARN printed" "arn:aws:acm:us-east-1:" "$OUT"
expect_in "import: the audit names the paired key" '"object_id":"0a0a"' "$(tail -2 "$LOG")"
n=$(endpoint_cert_count)
expect_rc "import refuses the certificate list shows without a key" 4 "$A" import "${EP[@]}" \
	"${TOK[@]}" --certificate "pkcs11:token=acmb-main;object=lone-cert;type=cert"
expect_in "import: no key pairs" "no private key on token 'acmb-main' pairs" "$ERR"
expect_in "import: nothing imported" "$n" "$(endpoint_cert_count)"

# Configuration errors exit 2, not 3.
expect_rc "list --pin-file /dev/zero" 2 L --pin-file /dev/zero
expect_in "list --pin-file /dev/zero: said" "longer than 256 bytes" "$ERR"
long=$(head -c 300 /dev/zero | tr '\0' 7)
expect_rc "list --pin-env longer than a PIN" 2 env LONG_PIN="$long" "$A" list --module "$MODULE" \
	--pin-env LONG_PIN

# The printed --resume command keeps the PIN option and runs as printed.
ISS=("$A" issue "${EP[@]}" --pca-endpoint-url "$ACMB_ENDPOINT_URL" --module "$MODULE"
	--audit-log "$LOG" --certificate-authority-arn "$(pca_ca_arn ecp256)" --validity 30d)
pca_pending_polls 4
expect_rc "issue --pin-file: the wait times out" 5 "${ISS[@]}" --dns-name r1.example.test \
	--key-store "pkcs11:token=acmb-main;object=resume-file" --pin-file "$W/pin" --wait-timeout 2
resume=$(grep '^  acmbridge issue --resume ' <<<"$ERR")
expect_in "resume command keeps --pin-file" "--pin-file $W/pin" "$resume"
expect_in "resume command keeps --audit-log" "--audit-log $LOG" "$resume"
expect_not_in "resume command holds no PIN" "$FIXTURE_PIN" "$ERR"
pca_pending_polls 0
# As a shell would read it: the command quotes what needs quoting.
eval "words=(${resume/SECONDS/30})"
words[0]=$A
expect_rc "the printed --resume command finishes the issue" 0 "${words[@]}" "${EP[@]}" \
	--pca-endpoint-url "$ACMB_ENDPOINT_URL" --output text
expect_in "resumed: ARN printed" "arn:aws:acm:us-east-1:" "$OUT"
pca_pending_polls 4
expect_rc "issue --pin-env: the wait times out" 5 env ISSUE_PIN="$FIXTURE_PIN" "${ISS[@]}" \
	--dns-name r2.example.test --key-store "pkcs11:token=acmb-main;object=resume-env" \
	--pin-env ISSUE_PIN --wait-timeout 2
resume=$(grep '^  acmbridge issue --resume ' <<<"$ERR")
expect_in "resume command keeps --pin-env" "--pin-env ISSUE_PIN" "$resume"
expect_not_in "resume command holds no PIN value" "$FIXTURE_PIN" "$ERR"
pca_pending_polls 0

finish
