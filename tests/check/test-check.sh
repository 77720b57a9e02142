#!/bin/bash
# acmbridge check, end to end: every ACM import rule in its passing and
# failing form, with material generated now by the openssl command. Each
# case asserts the exact rule reported (by name, from the JSON) and the exit
# code.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PY=${PYTHON3:-/usr/bin/python3}
# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"
# shellcheck source=../lib/material.sh
. "$ACMB_TESTS_DIR/lib/material.sh"

mat_setup
trap mat_cleanup EXIT
D=$MAT_DIR
out=""
rc=0

# run ARGS...: runs check with JSON output; sets $out and $rc.
run() {
	out=$("$ACMBRIDGE" check --output json "$@" 2>"$D/stderr")
	rc=$?
}

# rule_state RULE: prints true, false or absent for RULE in $out.
rule_state() {
	printf '%s' "$out" | "$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    print("no-json"); sys.exit(0)
r = [c for c in d.get("checks", []) if c["rule"] == sys.argv[1]]
print(("true" if r[0]["ok"] else "false") if r else "absent")' "$1"
}

rule_detail() {
	printf '%s' "$out" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(c["detail"] for c in d["checks"] if c["rule"] == sys.argv[1]))' "$1"
}

# jget EXPR: evaluates a Python expression over the report d.
jget() {
	printf '%s' "$out" | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null
}

# expect NAME RC RULE OK [DETAIL-SUBSTRING]: asserts the last run.
expect() {
	local name=$1 want_rc=$2 rule=$3 want=$4 sub=${5:-} got detail
	got=$(rule_state "$rule")
	if [ "$rc" -ne "$want_rc" ]; then
		fail "$name" "exit $rc, wanted $want_rc ($(head -c 300 "$D/stderr"))"
		return
	fi
	if [ "$got" != "$want" ]; then
		fail "$name" "rule=$rule ok=$got, wanted ok=$want"
		return
	fi
	if [ -n "$sub" ]; then
		detail=$(rule_detail "$rule")
		if [[ $detail != *"$sub"* ]]; then
			fail "$name" "rule=$rule detail '$detail' lacks '$sub'"
			return
		fi
	fi
	ok "$name"
}

set_material() {
	mat_cert root --ca --subj "/CN=Example Root CA" &&
	    mat_cert int --ca --issuer root --subj "/CN=Example Intermediate CA" &&
	    mat_cert leaf --issuer int --subj "/CN=www.example.com" \
		--san "DNS:www.example.com" --eku serverAuth &&
	    mat_chain "$D/chain.pem" int root &&
	    mat_cert rsaroot --ca --key rsa:2048 --subj "/CN=Example RSA Root" &&
	    mat_cert rsaint --ca --key rsa:2048 --issuer rsaroot \
		--subj "/CN=Example RSA Intermediate" &&
	    mat_cert rsaleaf --key rsa:2048 --issuer rsaint --subj "/CN=rsa.example.com" &&
	    mat_chain "$D/rsachain.pem" rsaint rsaroot
}
set_material || { echo "cannot make test material" >&2; exit 1; }

# 1-2: a good EC set and a good RSA set pass everything.
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/chain.pem"
expect "good EC set" 0 key-matches-certificate true
expect_eq "good EC set: ok" "$(jget 'd["ok"]')" True
expect_eq "good EC set: key_algorithm" "$(jget 'd["key_algorithm"]')" EC_prime256v1
expect_eq "good EC set: no failing rule" "$(jget 'sum(1 for c in d["checks"] if not c["ok"])')" 0
for r in certificate-pem certificate-single certificate-x509-v3 certificate-issuer \
    certificate-validity certificate-size key-present key-pem key-unencrypted key-size \
    key-algorithm pem-hygiene chain-pem chain-required chain-issuer chain-no-leaf \
    chain-order chain-complete algorithm-match chain-size ocsp-url-length; do
	expect "good EC set: $r passes" 0 "$r" true
done
run --certificate "$D/rsaleaf.pem" --private-key "$D/rsaleaf.key" \
    --certificate-chain "$D/rsachain.pem"
expect "good RSA set" 0 key-algorithm true RSA_2048

# 3: JSON shape.
expect_eq "json shape" "$(jget 'sorted(d.keys())')" \
    "['chain_order_changed', 'checks', 'key_algorithm', 'not_after', 'ok', 'services']"
expect_eq "json check shape" "$(jget 'sorted(d["checks"][0].keys())')" \
    "['detail', 'fix', 'ok', 'rule']"
expect_eq "json services" "$(jget 'sorted(d["services"].keys())')" \
    "['alb', 'apigateway-edge', 'cloudfront', 'nlb']"
expect_eq "json not_after is RFC 3339" \
    "$(jget 'bool(__import__("re").match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", d["not_after"]))')" True

# 4: self-signed: no chain needed.
mat_cert selfsigned --key rsa:2048 --subj "/CN=self.example.com"
run --certificate "$D/selfsigned.pem" --private-key "$D/selfsigned.key"
expect "self-signed needs no chain" 0 chain-required true "self-signed"
expect "self-signed algorithm-match" 0 algorithm-match true

run --certificate "$D/selfsigned.pem" --private-key "$D/selfsigned.key" --certificate-chain "$D/chain.pem"
expect "self-signed with an unrelated chain" 3 chain-order false "not on the path"

# 5-9: key algorithms ACM refuses, each named.
mat_cert ed --key ed25519 --issuer int --subj "/CN=ed.example.com"
run --certificate "$D/ed.pem" --private-key "$D/ed.key" --certificate-chain "$D/chain.pem"
expect "Ed25519 refused" 3 key-algorithm false "ED25519"
mat_cert k1 --key ec:secp256k1 --issuer int --subj "/CN=k1.example.com"
run --certificate "$D/k1.pem" --private-key "$D/k1.key" --certificate-chain "$D/chain.pem"
expect "secp256k1 refused" 3 key-algorithm false "secp256k1"
mat_cached_key "$D/rsa8192.key" rsa:8192
mat_cert big --keyfile "$D/rsa8192.key" --issuer rsaint --subj "/CN=big.example.com"
run --certificate "$D/big.pem" --private-key "$D/big.key" --certificate-chain "$D/rsachain.pem"
expect "RSA 8192 refused" 3 key-algorithm false "RSA 8192"
expect "RSA 8192 key over 5,120 bytes" 3 key-size false "ACM takes at most 5120"
mat_cert pss --key rsa-pss:2048 --issuer rsaint --subj "/CN=pss.example.com"
run --certificate "$D/pss.pem" --private-key "$D/pss.key" --certificate-chain "$D/rsachain.pem"
expect "RSA-PSS-only refused" 3 key-algorithm false "RSA-PSS"
mat_cert dsa --key dsa:2048 --issuer rsaint --subj "/CN=dsa.example.com"
run --certificate "$D/dsa.pem" --private-key "$D/dsa.key" --certificate-chain "$D/rsachain.pem"
expect "DSA refused" 3 key-algorithm false "DSA"

# 10-12: the key must be this certificate's, and undamaged.
mat_corrupt_rsa_key "$D/rsaleaf.key" "$D/rsaleaf-corrupt.key"
run --certificate "$D/rsaleaf.pem" --private-key "$D/rsaleaf-corrupt.key" \
    --certificate-chain "$D/rsachain.pem"
expect "corrupted RSA key caught by pairwise test" 3 key-matches-certificate false \
    "corrupted private key"
mat_corrupt_ec_key "$D/leaf.key" "$D/leaf-corrupt.key"
run --certificate "$D/leaf.pem" --private-key "$D/leaf-corrupt.key" \
    --certificate-chain "$D/chain.pem"
expect "corrupted EC key caught by pairwise test" 3 key-matches-certificate false \
    "corrupted private key"
run --certificate "$D/leaf.pem" --private-key "$D/int.key" --certificate-chain "$D/chain.pem"
expect "key of another certificate" 3 key-matches-certificate false "public parts differ"

# 13-17: validity, --at, version, issuer, single certificate.
mat_cert expired --issuer int --not-before "-30 days" --not-after "-1 day"
run --certificate "$D/expired.pem" --private-key "$D/expired.key" --certificate-chain "$D/chain.pem"
expect "expired" 3 certificate-validity false "expired"
mat_cert future --issuer int --not-before "+10 days" --not-after "+40 days"
run --certificate "$D/future.pem" --private-key "$D/future.key" --certificate-chain "$D/chain.pem"
expect "not yet valid" 3 certificate-validity false "not yet valid"
run --certificate "$D/future.pem" --private-key "$D/future.key" \
    --certificate-chain "$D/chain.pem" --at "$(date -u -d '+20 days' +%Y-%m-%d)"
expect "--at DATE inside the validity" 0 certificate-validity true
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" \
    --certificate-chain "$D/chain.pem" --at "$(date -u -d '+3 years' +%Y-%m-%dT%H:%M:%SZ)"
expect "--at TIME after NotAfter" 3 certificate-validity false "expired"
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --at 2027-02-30
expect_eq "--at impossible date is a usage error" "$rc" 2
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --at tomorrow
expect_eq "--at garbage is a usage error" "$rc" 2
mat_cert v1 --v1 --issuer int --subj "/CN=v1.example.com"
run --certificate "$D/v1.pem" --private-key "$D/v1.key" --certificate-chain "$D/chain.pem"
expect "v1 certificate" 3 certificate-x509-v3 false "version 1"
mat_cert noissuer --subj "/"
run --certificate "$D/noissuer.pem" --private-key "$D/noissuer.key"
expect "empty issuer" 3 certificate-issuer false "empty"
cat "$D/leaf.pem" "$D/int.pem" >"$D/two.pem"
run --certificate "$D/two.pem" --private-key "$D/leaf.key" --certificate-chain "$D/chain.pem"
expect "two certificates in the certificate field" 3 certificate-single false "2 certificates"

# 18-25: chains.
cat "$D/root.pem" "$D/int.pem" "$D/root.pem" "$D/int.pem" >"$D/unordered.pem"
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/unordered.pem"
expect "unordered chain with duplicates fixed" 0 chain-order true "reordered"
expect_eq "unordered chain: chain_order_changed" "$(jget 'd["chain_order_changed"]')" True
expect "unordered chain: duplicates named" 0 chain-order true "dropped 2 exact duplicate"
cat "$D/leaf.pem" "$D/int.pem" "$D/root.pem" >"$D/withleaf.pem"
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/withleaf.pem"
expect "leaf in the chain dropped" 0 chain-no-leaf true "dropped 1"
expect_eq "leaf in the chain: chain_order_changed" "$(jget 'd["chain_order_changed"]')" True
mat_cert leaf2 --keyfile "$D/leaf.key" --issuer int --subj "/CN=www.example.com"
cat "$D/int.pem" "$D/leaf2.pem" "$D/root.pem" >"$D/withvariant.pem"
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/withvariant.pem"
expect "another certificate for the leaf in the chain" 3 chain-no-leaf false "leaf's subject and key"
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/root.pem"
expect "missing intermediate named by subject" 3 chain-issuer false \
    "missing intermediate: no certificate in the chain has subject 'CN=Example Intermediate CA'"
mat_cert int2 --ca --issuer root --subj "/CN=Example Intermediate 2"
mat_cert int1 --ca --issuer int2 --subj "/CN=Example Intermediate 1"
mat_cert deep --issuer int1 --subj "/CN=deep.example.com"
mat_chain "$D/gap.pem" int1 root
run --certificate "$D/deep.pem" --private-key "$D/deep.key" --certificate-chain "$D/gap.pem"
expect "gap in the chain named by subject" 3 chain-complete false \
    "no certificate in the chain has subject 'CN=Example Intermediate 2'"
mat_chain "$D/deepchain.pem" int1 int2
run --certificate "$D/deep.pem" --private-key "$D/deep.key" --certificate-chain "$D/deepchain.pem"
expect "chain without the root is complete" 0 chain-complete true "not included"
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key"
expect "chain required when not self-signed" 3 chain-required false "no chain was given"
head -c 300 /dev/urandom >"$D/garbage.bin"
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/garbage.bin"
expect "garbage chain" 3 chain-pem false
mat_cert stranger --ca --subj "/CN=Unrelated Root"
cat "$D/int.pem" "$D/root.pem" "$D/stranger.pem" >"$D/extra.pem"
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/extra.pem"
expect "certificate not on the path" 3 chain-order false "Unrelated Root"
mat_cert otherint --ca --issuer root --subj "/CN=Example Intermediate CA"
mat_chain "$D/rekeyed.pem" otherint root
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/rekeyed.pem"
expect "issuer name matches but key does not verify" 3 chain-issuer false "does not verify"

# chain loop: two CAs certify each other (same key, so both signatures verify).
mat_key "$D/loop.key" ec:prime256v1
mat_cert loopb0 --ca --keyfile "$D/loop.key" --subj "/CN=Loop B"
mat_cert loopa --ca --keyfile "$D/loop.key" --issuer loopb0 --subj "/CN=Loop A"
mat_cert loopb --ca --keyfile "$D/loop.key" --issuer loopa --subj "/CN=Loop B"
mat_cert loopleaf --issuer loopa --subj "/CN=loop.example.com"
mat_chain "$D/loop.pem" loopb loopa
run --certificate "$D/loopleaf.pem" --private-key "$D/loopleaf.key" --certificate-chain "$D/loop.pem"
expect "chain loop reported, no hang" 3 chain-order false "loop"

# 500-certificate chain, given in reverse: ordered, bounded, no crash.
mat_key "$D/long.key" ec:prime256v1
mat_cert long500 --ca --keyfile "$D/long.key" --subj "/CN=Long CA 500"
for ((i = 499; i >= 1; i--)); do
	mat_cert "long$i" --ca --keyfile "$D/long.key" --issuer "long$((i + 1))" \
	    --subj "/CN=Long CA $i" || break
done
mat_cert longleaf --issuer long1 --subj "/CN=long.example.com"
: >"$D/long.pem"
for ((i = 500; i >= 1; i--)); do
	cat "$D/long$i.pem" >>"$D/long.pem"
done
out=$(timeout 300 "$ACMBRIDGE" check --output json --certificate "$D/longleaf.pem" \
    --private-key "$D/longleaf.key" --certificate-chain "$D/long.pem" 2>"$D/stderr")
rc=$?
expect "500-certificate chain reordered" 0 chain-complete true "500 certificate(s)"
expect_eq "500-certificate chain: chain_order_changed" "$(jget 'd["chain_order_changed"]')" True

# OCSP URL length.
url1000="http://ocsp.example.com/$(printf 'a%.0s' $(seq 1 976))"
mat_cert ocsp1000 --issuer int --ocsp "$url1000"
run --certificate "$D/ocsp1000.pem" --private-key "$D/ocsp1000.key" --certificate-chain "$D/chain.pem"
expect "OCSP URL of 1,000 characters" 0 ocsp-url-length true "1000 characters"
mat_cert ocsp1001 --issuer int --ocsp "${url1000}b"
run --certificate "$D/ocsp1001.pem" --private-key "$D/ocsp1001.key" --certificate-chain "$D/chain.pem"
expect "OCSP URL of 1,001 characters" 3 ocsp-url-length false "1001 characters"

# Algorithm family of leaf and signing CA.
mat_cert mixed --issuer rsaint --subj "/CN=mixed.example.com"
run --certificate "$D/mixed.pem" --private-key "$D/mixed.key" --certificate-chain "$D/rsachain.pem"
expect "EC leaf from an RSA CA" 3 algorithm-match false "signing CA 'CN=Example RSA Intermediate' has an RSA key"
run --certificate "$D/mixed.pem" --private-key "$D/mixed.key"
expect "EC leaf from an RSA CA, no chain: from the signature" 3 algorithm-match false "RSA CA key"

# Service lines: information, not failures.
mat_cert r4096 --key rsa:4096 --issuer rsaint --subj "/CN=r4096.example.com"
run --certificate "$D/r4096.pem" --private-key "$D/r4096.key" --certificate-chain "$D/rsachain.pem"
expect "RSA 4096 passes the rules" 0 key-algorithm true RSA_4096
expect_eq "RSA 4096: NLB refuses" "$(jget 'd["services"]["nlb"]["ok"]')" False
expect_eq "RSA 4096: CloudFront accepts (AWS docs; see docs/rules.md)" \
    "$(jget 'd["services"]["cloudfront"]["ok"]')" True
mat_cert p384 --key ec:secp384r1 --issuer int --subj "/CN=p384.example.com"
run --certificate "$D/p384.pem" --private-key "$D/p384.key" --certificate-chain "$D/chain.pem"
expect "P-384 passes the rules" 0 key-algorithm true EC_secp384r1
expect_eq "P-384: CloudFront refuses" "$(jget 'd["services"]["cloudfront"]["ok"]')" False
expect_eq "P-384: API Gateway edge refuses" "$(jget 'd["services"]["apigateway-edge"]["ok"]')" False
expect_eq "P-384: ALB accepts" "$(jget 'd["services"]["alb"]["ok"]')" True

# PEM hygiene: normalised and reported.
sed 's/$/\r/' "$D/leaf.pem" >"$D/crlf.pem"
run --certificate "$D/crlf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/chain.pem"
expect "CRLF normalised" 0 pem-hygiene true "CRLF line ends in certificate"
sed 's/$/   /' "$D/leaf.pem" >"$D/trailing.pem"
run --certificate "$D/trailing.pem" --private-key "$D/leaf.key" --certificate-chain "$D/chain.pem"
expect "trailing spaces normalised" 0 pem-hygiene true "trailing spaces in certificate"
{ echo "subject=CN = www.example.com"; cat "$D/leaf.pem"; echo "-- end of file --"; } >"$D/around.pem"
run --certificate "$D/around.pem" --private-key "$D/leaf.key" --certificate-chain "$D/chain.pem"
expect "text around blocks dropped" 0 pem-hygiene true "text around the PEM blocks in certificate"
{ openssl ecparam -name prime256v1; openssl ec -in "$D/leaf.key" 2>/dev/null; } >"$D/ecparams.key"
run --certificate "$D/leaf.pem" --private-key "$D/ecparams.key" --certificate-chain "$D/chain.pem"
expect "EC PARAMETERS dropped" 0 pem-hygiene true "dropped EC PARAMETERS block in private key"

cat "$D/leaf.key" "$D/leaf.pem" >"$D/keyincert.pem"
run --certificate "$D/keyincert.pem" --private-key "$D/leaf.key" --certificate-chain "$D/chain.pem"
expect "private key block in the certificate file" 3 pem-hygiene false \
    "PEM blocks of another type in certificate"
run --certificate - --private-key "$D/leaf.key" --certificate-chain "$D/chain.pem" <"$D/leaf.pem"
expect "certificate from standard input" 0 certificate-pem true "standard input"

openssl x509 -in "$D/leaf.pem" -outform DER -out "$D/leaf.der"
run --certificate "fileb://$D/leaf.der" --private-key "$D/leaf.key" --certificate-chain "$D/chain.pem"
expect "DER certificate converted" 0 certificate-pem true "converted from DER"
expect "DER conversion reported as hygiene" 0 pem-hygiene true "converted DER to PEM in certificate"

# Bad files: refused by the rule for the field, never a crash.
truncate -s 100M "$D/huge.pem"
run --certificate "$D/huge.pem" --private-key "$D/leaf.key"
expect "100 MB certificate refused by size" 3 certificate-size false
: >"$D/empty.pem"
run --certificate "$D/empty.pem" --private-key "$D/leaf.key"
expect "empty certificate file" 3 certificate-pem false
printf 'this is not a certificate\n' >"$D/text.pem"
run --certificate "$D/text.pem" --private-key "$D/leaf.key"
expect "garbage certificate file" 3 certificate-pem false
head -c 400 "$D/leaf.pem" >"$D/truncated.pem"
run --certificate "$D/truncated.pem" --private-key "$D/leaf.key"
expect "truncated PEM" 3 certificate-pem false
head -c 4096 /dev/urandom >"$D/binary.bin"
run --certificate "$D/binary.bin" --private-key "$D/leaf.key"
expect "binary file" 3 certificate-pem false
run --certificate "$D/leaf.pem" --private-key "$D/garbage.bin" --certificate-chain "$D/chain.pem"
expect "garbage key file" 3 key-pem false
mat_cert sans --issuer int --sans 2500 --subj "/CN=sans.example.com"
run --certificate "$D/sans.pem" --private-key "$D/sans.key" --certificate-chain "$D/chain.pem"
expect "2,500 SANs: certificate over 32 KiB" 3 certificate-size false "ACM takes at most 32768"
mat_cert sans100 --issuer int --sans 100 --subj "/CN=sans100.example.com"
run --certificate "$D/sans100.pem" --private-key "$D/sans100.key" --certificate-chain "$D/chain.pem"
expect "100 SANs fit" 0 certificate-size true

# Chain over ACM's 2 MiB: four CA certificates with 22,000 names each.
for n in 1 2 3 4; do
	mat_cert "fat$n" --ca --issuer root --sans 22000 --subj "/CN=Fat CA $n" || break
done
mat_chain "$D/fat.pem" fat1 fat2 fat3 fat4
run --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/fat.pem"
expect "chain over 2 MiB" 3 chain-size false "ACM takes at most 2097152"

# Keys: missing, encrypted, passphrases.
run --certificate "$D/leaf.pem" --certificate-chain "$D/chain.pem"
expect "no private key" 3 key-present false
printf 'correct horse\n' >"$D/pass.txt"
printf 'wrong horse\n' >"$D/wrong.txt"
openssl pkcs8 -topk8 -in "$D/leaf.key" -v2 aes-256-cbc -passout file:"$D/pass.txt" \
    -out "$D/enc.key" 2>/dev/null
run --certificate "$D/leaf.pem" --private-key "$D/enc.key" --certificate-chain "$D/chain.pem"
expect "encrypted key without passphrase" 3 key-unencrypted false
run --certificate "$D/leaf.pem" --private-key "$D/enc.key" --certificate-chain "$D/chain.pem" \
    --passphrase-file "$D/pass.txt"
expect "encrypted key decrypted for import" 0 key-unencrypted true "decrypted"
run --certificate "$D/leaf.pem" --private-key "$D/enc.key" --certificate-chain "$D/chain.pem" \
    --passphrase-file "$D/wrong.txt"
expect_eq "wrong passphrase is exit 2" "$rc" 2
openssl pkcs12 -export -in "$D/leaf.pem" -inkey "$D/leaf.key" -certfile "$D/chain.pem" \
    -passout file:"$D/pass.txt" -out "$D/bundle.p12" 2>/dev/null
run --pkcs12 "$D/bundle.p12" --passphrase-file "$D/pass.txt"
expect "PKCS#12 bundle" 0 key-matches-certificate true

# Usage.
run --certificate "$D/leaf.pem" --no-such-option
expect_eq "unknown option is exit 2" "$rc" 2
run --certificate "$D/does-not-exist.pem"
expect_eq "unreadable file is exit 2" "$rc" 2
run --certificate "$D/leaf.pem" --output yaml
expect_eq "bad --output is exit 2" "$rc" 2
help=$("$ACMBRIDGE" check --help)
rc=$?
expect_eq "--help exit 0" "$rc" 0
expect_eq "--help documents exit codes and --batch" \
    "$([[ $help == *"Exit codes:"* && $help == *"--batch FILE"* && $help == *"--at TIME"* ]] && echo yes)" yes

# --output text: one line per rule, the fix under a failing one.
text=$("$ACMBRIDGE" check --output text --certificate "$D/expired.pem" \
    --private-key "$D/expired.key" --certificate-chain "$D/chain.pem")
rc=$?
expect_eq "--output text exit" "$rc" 3
expect_eq "--output text FAIL line" \
    "$(grep -cE '^FAIL  certificate-validity +expired' <<<"$text")" 1
expect_eq "--output text fix line" "$(grep -cE '^ +fix: renew the certificate' <<<"$text")" 1
expect_eq "--output text PASS line" "$(grep -cE '^PASS  key-matches-certificate ' <<<"$text")" 1

# No key bytes in any output: a line from the middle of the key never appears.
keyline=$(sed -n 3p "$D/leaf.key")
all=$("$ACMBRIDGE" check --output text --certificate "$D/leaf.pem" --private-key "$D/leaf.key" \
    --certificate-chain "$D/chain.pem" 2>&1; "$ACMBRIDGE" check --output json \
    --certificate "$D/leaf.key" --private-key "$D/leaf.key" 2>&1)
expect_eq "no key bytes printed" "$([[ $all == *"$keyline"* ]] && echo leaked || echo clean)" clean

# --batch: one JSON line per set, summary on stderr, exit 3 when one fails.
# Consecutive sets share a decoded chain; each leaf is still judged on its own.
{
	echo "# cert key chain"
	echo "$D/leaf.pem $D/leaf.key $D/chain.pem"
	echo "$D/leaf.pem $D/leaf.key $D/unordered.pem"
	echo "$D/rsaleaf.pem $D/rsaleaf.key $D/rsachain.pem"
	echo ""
	echo "$D/expired.pem $D/expired.key $D/chain.pem"
	echo "$D/mixed.pem $D/mixed.key $D/chain.pem  # EC leaf of the RSA CA"
	echo "$D/leaf.pem $D/leaf.key $D/chain.pem"
	echo "$D/leaf.pem $D/nope.key"
} >"$D/batch.txt"
bout=$("$ACMBRIDGE" check --batch "$D/batch.txt" 2>"$D/batch.err")
rc=$?
expect_eq "--batch exit 3 when a set fails" "$rc" 3
expect_eq "--batch one JSON line per set" "$(printf '%s\n' "$bout" | "$PY" -c '
import json, sys
print([json.loads(l)["ok"] for l in sys.stdin])')" "[True, True, True, False, False, True, False]"
expect_eq "--batch: shared chain still judged per leaf" "$(printf '%s\n' "$bout" | sed -n 5p |
    "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print([c["ok"] for c in d["checks"] if c["rule"] == "chain-issuer"], d["line"])')" "[False] 7"
expect_eq "--batch: reordered chain reported per set" "$(printf '%s\n' "$bout" | sed -n 2p |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["chain_order_changed"])')" True
expect_eq "--batch: unusable set named" "$(printf '%s\n' "$bout" | sed -n 7p |
    "$PY" -c 'import json, sys; d = json.load(sys.stdin); print("error" in d, d["line"])')" "True 9"
expect_eq "--batch summary" \
    "$(grep -c 'checked 7 sets: 4 passed, 2 failed, 1 unusable' "$D/batch.err")" 1
head -4 "$D/batch.txt" >"$D/batch-ok.txt"
"$ACMBRIDGE" check --batch "$D/batch-ok.txt" >/dev/null 2>&1
rc=$?
expect_eq "--batch exit 0 when all pass" "$rc" 0

finish
