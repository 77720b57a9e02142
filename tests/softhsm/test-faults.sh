#!/usr/bin/env bash
# Token failures through the fault-injecting module (faulty-p11.c forwards
# to SoftHSM and fails the call named in ACMB_FAULT_P11): each gives exit 4
# with the CK_RV name and the module path, exports nothing, and leaves no
# wrapping key on the token.
FIXTURE_TYPES="rsa2048 p256"
. "$(dirname "$0")/fixture.sh"

D=$P11_HELPERS/p11-export-driver
LOG=$W/audit.log
fdrv() { ACMB_FAULT_P11=$1 "$D" --module "$FAULTY" --pin-file "$W/pin" --audit-log "$LOG" \
	--certificate "pkcs11:token=acmb-main;object=$2;type=cert"; }

expect_run "no fault: the faulty module forwards" 0 fdrv "" p256-sens
expect_in "no fault: export works" "matches-cert=yes" "$OUT"

# name  fault  object  message
while IFS='|' read -r name fault obj msg; do
	expect_run "$name" 4 fdrv "$fault" "$obj"
	expect_in "$name: message" "$msg" "$ERR"
	expect_in "$name: module path in the message" "$FAULTY" "$ERR"
	expect_not_in "$name: nothing exported" "key=" "$OUT"
	expect_not_in "$name: no wrapping key left" "secret-keys-after=1" "$OUT"
done <<'CASES'
C_WrapKey fails|C_WrapKey:CKR_DEVICE_ERROR|p256-sens|CKR_DEVICE_ERROR
device removed mid-export (at C_WrapKey)|C_WrapKey:CKR_DEVICE_REMOVED|rsa2048-sens|token not present (CKR_DEVICE_REMOVED
wrapping key cannot be created|C_CreateObject:CKR_DEVICE_ERROR|p256-sens|cannot place the one-off wrapping key
locked PIN|C_Login:CKR_PIN_LOCKED|p256-sens|the PIN is locked (CKR_PIN_LOCKED
wrong PIN|C_Login:CKR_PIN_INCORRECT|p256-sens|wrong PIN (CKR_PIN_INCORRECT
token gone at session open|C_OpenSession:CKR_TOKEN_NOT_PRESENT|p256-sens|token not present (CKR_TOKEN_NOT_PRESENT
search fails|C_FindObjectsInit:CKR_DEVICE_ERROR|p256-sens|cannot search the token
CASES

# A token that refuses a wrapping key from outside (C_CreateObject of an AES
# value): the wrapping key is generated in the token instead, and the export
# works with none left behind. A token that also cannot generate one: exit 4
# naming both, nothing exported, nothing left.
for rv in CKR_ACTION_PROHIBITED CKR_TEMPLATE_INCONSISTENT; do
	expect_run "wrapping key refused ($rv): generated in the token" 0 \
		fdrv "C_CreateObject:$rv" rsa2048-sens
	expect_in "wrapping key refused ($rv): export works" "matches-cert=yes" "$OUT"
	expect_in "wrapping key refused ($rv): none left" "secret-keys-after=0" "$OUT"
done
expect_run "wrapping key generated in the token (P-256)" 0 fdrv "C_CreateObject:CKR_ACTION_PROHIBITED" p256-sens
expect_in "wrapping key generated in the token (P-256): export works" "key=EC-prime256v1 matches-cert=yes" "$OUT"
expect_run "wrapping key neither placed nor generated" 4 \
	fdrv "C_CreateObject:CKR_ACTION_PROHIBITED,C_GenerateKey:CKR_FUNCTION_FAILED" p256-sens
expect_in "neither placed nor generated: message" "cannot generate one (CKM_AES_KEY_GEN)" "$ERR"
expect_not_in "neither placed nor generated: nothing exported" "key=" "$OUT"
expect_in "neither placed nor generated: none left" "secret-keys-after=0" "$OUT"
# A device error is a failure, not a refusal: no fallback.
expect_run "wrapping key creation fails with a device error: no fallback" 4 \
	fdrv "C_CreateObject:CKR_DEVICE_ERROR" p256-sens
expect_in "device error: message" "cannot place the one-off wrapping key" "$ERR"

expect_in "mid-export failure audited with its error" '"result":"failed"' "$(grep CKR_DEVICE_REMOVED "$LOG")"

# Fail the Nth C_GetAttributeValue for every N until the export succeeds:
# whichever read fails (object search, pairing, key components), the run
# ends with exit 4 and no key, never with a half-built key.
for obj in rsa2048-plain p256-sens; do
	n=0
	bad=0
	while [ $n -lt 400 ]; do
		rc=0
		ACMB_FAULT_P11=C_GetAttributeValue:CKR_DEVICE_ERROR:$n "$D" --module "$FAULTY" \
			--pin-file "$W/pin" --audit-log "$LOG" \
			--certificate "pkcs11:token=acmb-main;object=$obj;type=cert" >"$W/out" 2>"$W/err" || rc=$?
		[ $rc -eq 0 ] && break
		if [ $rc -ne 4 ] || grep -q "key=" "$W/out" || grep -q "secret-keys-after=1" "$W/out"; then
			bad=$((bad + 1))
			echo "# $obj: C_GetAttributeValue fault at call $n: exit $rc: $(cat "$W/err")"
		fi
		n=$((n + 1))
	done
	if [ $bad -eq 0 ] && [ $n -gt 0 ] && [ $n -lt 400 ]; then
		ok "$obj: each of the $n C_GetAttributeValue calls failing gives exit 4 and no key"
	else
		fail "$obj: $bad of $n C_GetAttributeValue faults misbehaved"
	fi
	expect_in "$obj: the run after the last fault exports" "matches-cert=yes" "$(cat "$W/out")"
done

finish
