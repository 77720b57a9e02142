#!/usr/bin/env bash
# Input the operator's machine hands us (issue 9): a path that is not UTF-8
# in JSON output (check, check --batch), a file saved with a UTF-8
# byte-order mark (check, import), and a private key file others may read or
# another user owns (OpenSSH's warning; --strict-permissions refuses it).
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

mat_setup
trap mat_cleanup EXIT
D=$MAT_DIR
A=$ACMBRIDGE
mat_cert root --ca --subj "/CN=acmb input test root" || exit 1
mat_cert leaf --issuer root --san DNS:www.example.test || exit 1
chmod 600 "$D/leaf.key" "$D/root.key"

# jcheck FILE PYEXPR: evaluates PYEXPR over the JSON document d in FILE.
jcheck() {
	"$PYTHON3" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$1" "$2" 2>&1
}

# 1. Paths that are not UTF-8: JSON output escapes the bytes (\xE9), it
# does not fail with "out of memory writing the report".
latin1=$(printf 'caf\xe9')
cp "$D/leaf.pem" "$D/$latin1.pem"
cp "$D/leaf.key" "$D/$latin1.key"
expect_rc "check: non-UTF-8 path, JSON" 0 "$A" check --output json \
	--certificate "$D/$latin1.pem" --private-key "$D/$latin1.key" --certificate-chain "$D/root.pem"
printf '%s' "$OUT" >"$D/out.json"
expect_eq "check: the JSON parses and names the path escaped" \
	"$(jcheck "$D/out.json" '[c["detail"] for c in d["checks"] if c["rule"] == "certificate-pem"][0].endswith("caf\\xE9.pem")')" True
expect_rc "check: a missing non-UTF-8 path still says which" 2 "$A" check --output json \
	--certificate "$D/nope-$latin1.pem"
printf '%s %s %s\n' "$D/$latin1.pem" "$D/$latin1.key" "$D/root.pem" >"$D/batch.txt"
printf '%s %s\n' "$D/missing-$latin1.pem" "$D/$latin1.key" >>"$D/batch.txt"
expect_rc "check --batch: non-UTF-8 paths" 3 "$A" check --batch "$D/batch.txt"
printf '%s\n' "$OUT" >"$D/batch.out"
expect_eq "check --batch: every line is JSON with the escaped path" "$("$PYTHON3" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print([(l["ok"], l["certificate"].endswith("caf\\xE9.pem")) for l in lines])' "$D/batch.out" 2>&1)" \
	"[(True, True), (False, True)]"
expect_in "check --batch: summary" "checked 2 sets: 1 passed, 0 failed, 1 unusable" "$ERR"

# 2. A leading UTF-8 byte-order mark (Windows Notepad): dropped, and said
# under pem-hygiene; the AWS CLI imports such files, so do we.
for f in leaf.pem root.pem leaf.key; do
	{ printf '\xef\xbb\xbf'; cat "$D/$f"; } >"$D/bom-$f"
done
chmod 600 "$D/bom-leaf.key"
expect_rc "check: certificate, chain and key with a BOM" 0 "$A" check --output json \
	--certificate "$D/bom-leaf.pem" --private-key "$D/bom-leaf.key" \
	--certificate-chain "$D/bom-root.pem"
printf '%s' "$OUT" >"$D/bom.json"
expect_eq "check: pem-hygiene reports the byte-order mark in every field" \
	"$(jcheck "$D/bom.json" '[c["detail"].count("dropped UTF-8 byte-order mark") for c in d["checks"] if c["rule"] == "pem-hygiene"]')" "[3]"
expect_eq "check: pem-hygiene passes" \
	"$(jcheck "$D/bom.json" '[c["ok"] for c in d["checks"] if c["rule"] == "pem-hygiene"]')" "[True]"

endpoint_start --tls || exit 1
EP=(--endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA")
expect_rc "import: files with a BOM" 0 "$A" import "${EP[@]}" --certificate "$D/bom-leaf.pem" \
	--private-key "$D/bom-leaf.key" --certificate-chain "$D/bom-root.pem" --output text
expect_in "import: BOM files imported" "arn:aws:acm:" "$OUT"

# 3. Private key files others may access, or another user owns: OpenSSH's
# warning, and --strict-permissions refuses them (exit 2) before reading.
cp "$D/leaf.key" "$D/open.key"
chmod 644 "$D/open.key"
expect_rc "check: a key readable by others passes, with a warning" 0 "$A" check --output json \
	--certificate "$D/leaf.pem" --private-key "$D/open.key" --certificate-chain "$D/root.pem"
expect_in "check: the warning is OpenSSH's" "warning: UNPROTECTED PRIVATE KEY FILE: permissions 0644 for '$D/open.key' are too open" "$ERR"
printf '%s' "$OUT" >"$D/open.json"
expect_eq "check: the JSON report carries the warning" \
	"$(jcheck "$D/open.json" 'd["warnings"][0].startswith("UNPROTECTED PRIVATE KEY FILE")')" True
expect_rc "check: --strict-permissions refuses it" 2 "$A" check --strict-permissions \
	--certificate "$D/leaf.pem" --private-key "$D/open.key"
expect_in "check: refusal says why" "refused (--strict-permissions)" "$ERR"
expect_rc "check: a protected key has no warning" 0 "$A" check --output json \
	--certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/root.pem"
expect_not_in "check: no warning for 0600" "UNPROTECTED" "$ERR"
expect_not_in "check: no warnings member for 0600" '"warnings"' "$OUT"
expect_rc "check: --strict-permissions passes a protected key" 0 "$A" check --output json \
	--strict-permissions --certificate "$D/leaf.pem" --private-key "$D/leaf.key" \
	--certificate-chain "$D/root.pem"
chmod 640 "$D/open.key"
expect_rc "check: group-readable is too open as well" 0 "$A" check --output json \
	--certificate "$D/leaf.pem" --private-key "$D/open.key" --certificate-chain "$D/root.pem"
expect_in "check: 0640 warned" "permissions 0640" "$ERR"
if [ "$(id -u)" -eq 0 ]; then
	cp "$D/leaf.key" "$D/theirs.key"
	chmod 600 "$D/theirs.key"
	chown 65534 "$D/theirs.key"
	expect_rc "check: a key owned by another user, with a warning" 0 "$A" check --output json \
		--certificate "$D/leaf.pem" --private-key "$D/theirs.key" --certificate-chain "$D/root.pem"
	expect_in "check: other owner warned" "is owned by uid 65534, not by this user" "$ERR"
	expect_rc "check: --strict-permissions refuses another user's key" 2 "$A" check \
		--strict-permissions --certificate "$D/leaf.pem" --private-key "$D/theirs.key"
else
	ok "# skip: another owner's key needs root to chown"
fi
openssl pkcs12 -export -in "$D/leaf.pem" -inkey "$D/leaf.key" -certfile "$D/root.pem" \
	-passout pass:bundle -out "$D/open.p12" 2>/dev/null
chmod 644 "$D/open.p12"
printf 'bundle\n' >"$D/pass"
expect_rc "check: a PKCS#12 bundle readable by others, with a warning" 0 "$A" check \
	--output json --pkcs12 "$D/open.p12" --passphrase-file "$D/pass"
expect_in "check: bundle warned" "UNPROTECTED PRIVATE KEY FILE: permissions 0644 for '$D/open.p12'" "$ERR"
expect_rc "check: --strict-permissions refuses the bundle" 2 "$A" check --strict-permissions \
	--pkcs12 "$D/open.p12" --passphrase-file "$D/pass"
expect_rc "check: a key on standard input is not judged" 0 "$A" check --output json \
	--strict-permissions --certificate "$D/leaf.pem" --private-key - \
	--certificate-chain "$D/root.pem" <"$D/open.key"
chmod 644 "$D/open.key"
printf '%s %s %s\n' "$D/leaf.pem" "$D/open.key" "$D/root.pem" >"$D/batch-open.txt"
expect_rc "check --batch: the warning is in the set's line" 0 "$A" check --batch "$D/batch-open.txt"
expect_in "check --batch: warnings member" '"warnings":["UNPROTECTED PRIVATE KEY FILE' "$OUT"

n=$(endpoint_cert_count)
expect_rc "import: a key readable by others imports, with a warning" 0 "$A" import "${EP[@]}" \
	--certificate "$D/leaf.pem" --private-key "$D/open.key" --certificate-chain "$D/root.pem" \
	--output text --allow-duplicate
expect_in "import: warned" "warning: UNPROTECTED PRIVATE KEY FILE" "$ERR"
n=$(endpoint_cert_count)
expect_rc "import: --strict-permissions refuses it" 2 "$A" import "${EP[@]}" --strict-permissions \
	--certificate "$D/leaf.pem" --private-key "$D/open.key" --certificate-chain "$D/root.pem" \
	--allow-duplicate
expect_eq "import: nothing imported after the refusal" "$(endpoint_cert_count)" "$n"

finish
