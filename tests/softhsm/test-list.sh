#!/usr/bin/env bash
# acmbridge list: tokens, certificates and keys with labels, ids,
# algorithms, NotAfter, pairing and exportability, as text and JSON.
FIXTURE_TYPES="rsa2048 p384"
. "$(dirname "$0")/fixture.sh"

: "${ACMBRIDGE:?}" "${PYTHON3:=/usr/bin/python3}"
L() { "$ACMBRIDGE" list --module "$MODULE" "$@"; }

expect_run "list without login" 0 L
expect_in "both tokens listed" "token 'acmb-other'" "$OUT"
expect_in "certificate shown without login" "certificate  id=0101 label='rsa2048-sens'  RSA-2048  not-after " "$OUT"
expect_in "CA marked" "label='acmb test root ec'  EC-prime256v1" "$OUT"
expect_in "says private objects need login" "not logged in" "$OUT"
expect_not_in "no private keys without login" "private key" "$OUT"

expect_run "list with --pin-file" 0 L --pin-file "$W/pin"
expect_in "sensitive key: wrapped" "private key  id=0101 label='rsa2048-sens'  RSA-2048  extractable=true sensitive=true never-extractable=false wrap-with-trusted=false  export: wrapped  certificate: yes" "$OUT"
expect_in "non-sensitive key: components" "label='p384-plain'  EC-secp384r1  extractable=true sensitive=false never-extractable=false wrap-with-trusted=false  export: components" "$OUT"
expect_in "non-extractable key: refused" "label='p384-nonext'  EC-secp384r1  extractable=false sensitive=true never-extractable=false wrap-with-trusted=false  export: refused" "$OUT"
expect_in "certificate paired with its key" "label='p384-sens'  EC-secp384r1  not-after" "$OUT"

fixture acmb-main gen-ec-nonext 0909 generated-nonext
expect_run "--query over the listing" 0 L --pin-file "$W/pin" --output text \
	--query 'tokens[].objects[?label==`generated-nonext`].export[]' "pkcs11:token=acmb-main"
expect_eq "--query: the export verdict of one key, as text" "$OUT" "refused"
expect_run "--output yaml without --query" 0 L --pin-file "$W/pin" --output yaml \
	"pkcs11:token=acmb-main"
expect_in "--output yaml: the listing as YAML" "label: acmb-main" "$OUT"
expect_run "--output table" 0 L --pin-file "$W/pin" --output table --color off \
	"pkcs11:token=acmb-main"
expect_in "--output table: titled ListTokens" "ListTokens" "$OUT"
expect_run "a bad --query: refused before any token is opened" 2 L --query 'tokens[' \
	"pkcs11:token=nope"
expect_in "a bad --query names its column" "column 7" "$ERR"
expect_run "JSON output" 0 L --pin-file "$W/pin" --output json "pkcs11:token=acmb-main"
check=$("$PYTHON3" - "$W/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
toks = doc["tokens"]
assert len(toks) == 1 and toks[0]["label"] == "acmb-main" and toks[0]["logged_in"], toks
objs = {(o["class"], o["label"]): o for o in toks[0]["objects"]}
k = objs[("private-key", "rsa2048-sens")]
assert k["algorithm"] == "RSA-2048" and k["extractable"] and k["sensitive"] and k["export"] == "wrapped", k
assert k["paired_certificate"] is True, k
k = objs[("private-key", "generated-nonext")]
assert k["never_extractable"] is True and k["export"] == "refused" and not k["paired_certificate"], k
k = objs[("private-key", "p384-plain")]
assert k["algorithm"] == "EC-secp384r1" and k["sensitive"] is False and k["export"] == "components", k
c = objs[("certificate", "p384-sens")]
assert c["algorithm"] == "EC-secp384r1" and c["paired_key"] and c["not_after"].endswith("Z") and not c["ca"], c
assert objs[("certificate", "acmb test root ec")]["ca"] is True
print("json ok")
PY
)
expect_in "JSON fields: labels, algorithms, exportability, pairing" "json ok" "$check"

expect_run "URI narrows the listing" 0 L --pin-file "$W/pin" "pkcs11:token=acmb-main;object=p384-plain"
expect_in "narrowed listing has the object" "label='p384-plain'" "$OUT"
expect_not_in "narrowed listing has nothing else" "rsa2048" "$OUT"
expect_run "unknown token" 4 L "pkcs11:token=nope"
expect_in "unknown token message" "token not present" "$ERR"
expect_run "bad --output" 2 L --output xml
expect_in "bad --output names the formats" "json, text, table, yaml or yaml-stream" "$ERR"
expect_run "empty PIN file" 2 L --pin-file /dev/null
expect_in "empty PIN message" "is empty" "$ERR"
echo 0000 >"$W/badpin"
expect_run "wrong PIN" 4 L --pin-file "$W/badpin"
expect_in "wrong PIN message" "wrong PIN" "$ERR"
expect_run "pin-value in the URI is scrubbed and warned about" 0 L "pkcs11:token=acmb-main?pin-value=$FIXTURE_PIN"
expect_in "pin-value warning" "visible to other processes" "$ERR"
expect_in "pin-value logs in" "private key" "$OUT"

# Modules: p11-kit's registered modules (SoftHSM reads our SOFTHSM2_CONF),
# module-name= to pick one, and a module that does not load.
expect_run "registered modules, no --module" 0 "$ACMBRIDGE" list "pkcs11:token=acmb-main"
expect_in "registered SoftHSM module found" "token 'acmb-main'" "$OUT"
expect_run "module-name= picks the registered module" 0 "$ACMBRIDGE" list \
	"pkcs11:token=acmb-main?module-name=softhsm2"
expect_in "module-name= lists the token" "token 'acmb-main'" "$OUT"
expect_run "module-name= naming no module" 4 "$ACMBRIDGE" list "pkcs11:token=acmb-main?module-name=nope"
expect_run "module that does not load" 4 "$ACMBRIDGE" list --module /nonexistent/libnone.so
expect_in "module failure names the path" "cannot load PKCS#11 module /nonexistent/libnone.so" "$ERR"

# The PIN prompt on a terminal (a pty from script(1)): asked for, not
# echoed. The PIN is typed once the prompt is up, as a person would.
rc=0
out=$( (sleep 2; printf '%s\n' "$FIXTURE_PIN") |
	script -qec "$ACMBRIDGE list --module $MODULE --login pkcs11:token=acmb-main" /dev/null 2>&1) || rc=$?
expect_in "prompt: exit 0" "rc=0" "rc=$rc"
expect_in "prompt names the token" "PIN for token 'acmb-main': " "$out"
expect_in "prompted PIN logs in" "private key  id=0101 label='rsa2048-sens'" "$out"
expect_not_in "prompted PIN not echoed" "$FIXTURE_PIN" "$out"

finish
