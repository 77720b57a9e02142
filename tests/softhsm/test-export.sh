#!/usr/bin/env bash
# Export from SoftHSM through acmb_pkcs11_load(): every exportable key type
# and path, every refusal, PIN and token failures, the policy file, and the
# audit log. The driver prints key=, matches-cert=, chain= and
# secret-keys-after= (session secret keys left once the export returned).
. "$(dirname "$0")/fixture.sh"

D=$P11_HELPERS/p11-export-driver
LOG=$W/audit.log
drv() { "$D" --module "$MODULE" --pin-file "$W/pin" --audit-log "$LOG" "$@"; }
cert_uri() { echo "pkcs11:token=acmb-main;object=$1;type=cert"; }
begins() { grep -c '"event":"begin"' "$LOG" || true; }

# Every exportable type, both export paths, paired from the certificate alone.
for t in $FIXTURE_TYPES; do
	for m in sens plain; do
		expect_run "$t-$m exported" 0 drv --certificate "$(cert_uri "$t-$m")"
		expect_in "$t-$m key matches the certificate (EVP_PKEY_eq)" "matches-cert=yes" "$OUT"
		expect_in "$t-$m chain is the two CA certificates" "chain=2" "$OUT"
		expect_in "$t-$m no wrapping key left on the token" "secret-keys-after=0" "$OUT"
		path=wrapped
		[ "$m" = plain ] && path=components
		expect_in "$t-$m audited as $path" "\"object_label\":\"$t-$m\",\"key_algorithm\"" \
			"$(grep "\"path\":\"$path\"" "$LOG")"
	done
	expect_run "$t-nonext refused" 4 drv --certificate "$(cert_uri "$t-nonext")"
	expect_in "$t-nonext refusal names CKA_EXTRACTABLE" "has CKA_EXTRACTABLE false" "$ERR"
	expect_not_in "$t-nonext nothing exported" "key=" "$OUT"
	expect_in "$t-nonext refusal audited" "\"object_label\":\"$t-nonext\"" \
		"$(grep '"path":"refused"' "$LOG")"
done

# The key named by its own URI; EC point from the public key object.
expect_run "key URI alone (p256-sens)" 0 drv --private-key "pkcs11:token=acmb-main;id=%04%01;type=private"
expect_in "key URI alone exports the P-256 key" "key=EC-prime256v1 matches-cert=n/a" "$OUT"
expect_run "key URI alone, components path (p256-plain)" 0 drv --private-key "pkcs11:token=acmb-main;object=p256-plain;type=private"

# Certificate from a file, key from the token: checked against that file's
# certificate, and its fingerprint audited.
expect_run "file certificate, token key" 0 drv --certificate-file "$P/p384-sens.pem" \
	--private-key "pkcs11:token=acmb-main;object=p384-sens;type=private"
expect_in "token key matches the file certificate" "key=EC-secp384r1 matches-cert=yes chain=0" "$OUT"
fp=$(openssl x509 -in "$P/p384-sens.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
expect_in "file certificate's fingerprint audited" "\"cert_sha256\":\"$fp\"" "$(tail -2 "$LOG")"

# Never-extractable (generated on the token).
fixture acmb-main gen-ec-nonext 0909 generated-nonext
expect_run "never-extractable key refused" 4 drv --private-key "pkcs11:token=acmb-main;object=generated-nonext;type=private"
expect_in "refusal names CKA_NEVER_EXTRACTABLE" "CKA_NEVER_EXTRACTABLE true" "$ERR"

# CKA_WRAP_WITH_TRUSTED: refused without a trusted key, exported with one.
k=$P/p256-trusted.key
genkey p256 "$k"
issue_leaf "$k" p256-trusted
fixture acmb-main import-key "$k" 0404 p256-trusted trusted
fixture acmb-main import-cert "$P/p256-trusted.pem" 0404 p256-trusted 1
expect_run "wrap-with-trusted key refused without --wrapping-key" 4 drv --certificate "$(cert_uri p256-trusted)"
expect_in "refusal explains --wrapping-key" "CKA_WRAP_WITH_TRUSTED true" "$ERR"
expect_in "refusal says how to name the key" "--wrapping-key" "$ERR"
if fixture acmb-main trusted-wrap-key 7777 trusted-wrap 2>"$W/trusted.err"; then
	expect_run "wrap-with-trusted key exported with --wrapping-key" 0 drv \
		--certificate "$(cert_uri p256-trusted)" \
		--wrapping-key "pkcs11:token=acmb-main;object=trusted-wrap;type=secret-key"
	expect_in "trusted export matches the certificate" "matches-cert=yes" "$OUT"
	expect_in "trusted export leaves only the trusted key (a token object)" "secret-keys-after=0" "$OUT"
else
	fail "fixture could not create a CKA_TRUSTED wrapping key: $(cat "$W/trusted.err")"
fi

# PINs.
echo 0000 >"$W/badpin"
expect_run "wrong PIN" 4 "$D" --module "$MODULE" --pin-file "$W/badpin" --audit-log "$LOG" \
	--certificate "$(cert_uri p256-sens)"
expect_in "wrong PIN message" "wrong PIN (CKR_PIN_INCORRECT" "$ERR"
export ACMB_TEST_PIN=$FIXTURE_PIN
expect_run "PIN from --pin-env" 0 "$D" --module "$MODULE" --pin-env ACMB_TEST_PIN --audit-log "$LOG" \
	--certificate "$(cert_uri p256-sens)"
expect_run "PIN from pin-source in the URI" 0 "$D" --module "$MODULE" --audit-log "$LOG" \
	--certificate "pkcs11:token=acmb-main;object=p256-sens;type=cert?pin-source=file:$W/pin"
expect_run "PIN from pin-value in the URI (warned)" 0 "$D" --module "$MODULE" --audit-log "$LOG" \
	--certificate "pkcs11:token=acmb-main;object=p256-sens;type=cert?pin-value=$FIXTURE_PIN"
expect_in "pin-value warning" "pin-value" "$ERR"
expect_run "no PIN and no terminal" 2 setsid "$D" --module "$MODULE" --audit-log "$LOG" \
	--certificate "$(cert_uri p256-sens)"
expect_in "no-PIN message names the options" "--pin-file" "$ERR"

# Tokens and URIs.
expect_run "missing token" 4 drv --certificate "pkcs11:token=no-such-token;object=p256-sens;type=cert"
expect_in "missing token message" "token not present" "$ERR"
expect_in "missing token lists the tokens there are" "'acmb-main'" "$ERR"
expect_run "ambiguous key URI" 2 drv --certificate "$(cert_uri p256-sens)" \
	--private-key "pkcs11:token=acmb-main;type=private"
expect_in "ambiguous URI counts what it matched" "matches $((3 * $(echo $FIXTURE_TYPES | wc -w) + 2)) objects" "$ERR"
expect_in "ambiguous URI lists what it matched" "token 'acmb-main' id=0" "$ERR"
expect_in "ambiguous URI says how to narrow it" "add id= or object=" "$ERR"
expect_run "certificate URI without type= finds the certificate only" 0 drv --certificate "pkcs11:token=acmb-main;object=p256-sens"
expect_run "certificate URI matching several certificates" 2 drv --certificate "pkcs11:token=acmb-main;type=cert"
expect_in "several certificates: refused as ambiguous" "is ambiguous: it matches" "$ERR"
expect_run "URI matching no certificate" 4 drv --certificate "$(cert_uri nothing-here)"
expect_in "no-match message" "matches no certificate" "$ERR"
expect_run "unrecognised URI attribute refused" 2 drv --certificate "pkcs11:token=acmb-main;objekt=x;type=cert"
expect_in "unrecognised attribute message" "not understood" "$ERR"
expect_run "chain from a URI" 0 drv --certificate "$(cert_uri rsa2048-sens)" \
	--certificate-chain "pkcs11:token=acmb-main;object=acmb%20test%20root%20rsa;type=cert"
expect_in "chain URI gives one certificate" "chain=1" "$OUT"

# The export policy.
serial=$(grep -o '"token_serial":"[0-9a-f]*"' "$LOG" | head -1 | cut -d'"' -f4)
printf '{"token_serials":["%s"],"object_labels":["p256-sens"],"destinations":[{"region":"eu-west-1","account":"111122223333"}]}\n' \
	"$serial" >"$W/policy.json"
expect_run "policy allows" 0 drv --export-policy "$W/policy.json" --region eu-west-1 \
	--account 111122223333 --certificate "$(cert_uri p256-sens)"
expect_in "policy path in the audit record" "\"policy\":\"$W/policy.json\"" "$(tail -2 "$LOG")"
expect_run "policy refuses another object" 4 drv --export-policy "$W/policy.json" \
	--region eu-west-1 --account 111122223333 --certificate "$(cert_uri rsa2048-sens)"
expect_in "policy refusal names object_labels" "object_labels" "$ERR"
expect_run "policy refuses another destination" 4 drv --export-policy "$W/policy.json" \
	--region us-east-1 --account 111122223333 --certificate "$(cert_uri p256-sens)"
expect_in "policy refusal names destinations" "destinations" "$ERR"
printf '{"token_serials":["ffff"]}\n' >"$W/policy2.json"
expect_run "policy refuses another token" 4 drv --export-policy "$W/policy2.json" --certificate "$(cert_uri p256-sens)"
expect_in "policy refusal names token_serials" "token_serials" "$ERR"
printf '{"token_serial":["ffff"]}\n' >"$W/policy3.json"
expect_run "policy with an unknown field refused" 2 drv --export-policy "$W/policy3.json" --certificate "$(cert_uri p256-sens)"
expect_in "unknown policy field named" '"token_serial"' "$ERR"
expect_in "no policy: the default is recorded" '"policy":"default: any extractable key"' "$(head -1 "$LOG")"

# The audit log: every attempt has its begin and outcome line, no secrets.
n=$(begins)
expect_in "every begin has an outcome" "$n" "$(grep -c '"event":"outcome"' "$LOG")"
expect_not_in "no PIN in the audit log" "\"$FIXTURE_PIN\"" "$(cat "$LOG")"
expect_run "ARN recorded in the outcome" 0 drv --arn arn:aws:acm:eu-west-1:111122223333:certificate/x \
	--certificate "$(cert_uri p256-sens)"
expect_in "outcome line has the ARN" '"result":"imported","arn":"arn:aws:acm:eu-west-1:111122223333:certificate/x"' "$(tail -1 "$LOG")"
expect_run "unwritable audit log: nothing exported" 4 drv --audit-log /dev/full --certificate "$(cert_uri p256-sens)"
expect_in "audit failure message" "audit record could not be written" "$ERR"
expect_not_in "audit failure: no key" "key=" "$OUT"
expect_in "audit failure: the export never started" "secret-keys-after=-1" "$OUT"
XDG_STATE_HOME=$W/state expect_run "default audit log location" 0 "$D" --module "$MODULE" \
	--pin-file "$W/pin" --certificate "$(cert_uri p256-sens)"
expect_in "default audit log under XDG_STATE_HOME" '"event":"begin"' "$(cat "$W/state/acmbridge/audit.log" 2>&1)"
expect_in "audit log is 0600" "600" "$(stat -c %a "$W/state/acmbridge/audit.log" 2>&1)"
expect_in "audit dir is 0700" "700" "$(stat -c %a "$W/state/acmbridge" 2>&1)"

# A wrapped EC key named next to another key's certificate: its public half
# is computed from its own scalar, never taken from the certificate, so the
# mismatch shows as different public parts (not as a damaged key).
genkey p256 "$P/p256-other.key"
fixture acmb-main import-key "$P/p256-other.key" 0409 p256-other sens
for c in p256-sens p384-sens; do
	expect_run "p256-other key with the $c certificate refused" 3 drv --certificate "$(cert_uri "$c")" \
		--private-key "pkcs11:token=acmb-main;object=p256-other;type=private"
	expect_in "p256-other key with $c: public parts differ" "key=EC-prime256v1 matches-cert=no" "$OUT"
	expect_in "p256-other key with $c: named as a mismatch" "does not match the certificate" "$ERR"
done

finish
