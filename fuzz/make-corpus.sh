#!/usr/bin/env bash
# Generates seed inputs for fuzz-input with the openssl command: certificates,
# chains and keys in every form the files source reads (PEM, DER, PKCS#1,
# PKCS#8, SEC1 with EC PARAMETERS, encrypted, CRLF, text around). Seeds are
# named by their SHA-1, as libFuzzer names its own, so git ignores them.
# Usage: fuzz/make-corpus.sh [OUTDIR]   (default fuzz/corpus/fuzz-input)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/corpus/fuzz-input}
mkdir -p "$out"
# Keys are random: seeding again would only pile up near-duplicates.
if [ -n "$(ls -A "$out")" ]; then
	echo "fuzz-input: $out already seeded"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

q() { "$@" >/dev/null 2>&1; }

q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.pem -subj /CN=Seed-CA -days 30
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.key
q openssl req -new -key rsa.key -out leaf.csr -subj /CN=seed.example.com \
	-addext subjectAltName=DNS:seed.example.com,DNS:www.seed.example.com
q openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem \
	-days 30 -copy_extensions copy
q openssl ecparam -name prime256v1 -genkey -out ec-params.key
q openssl pkey -in ec-params.key -out ec-pkcs8.key
q openssl rsa -in rsa.key -traditional -out rsa-pkcs1.key
q openssl pkcs8 -topk8 -in rsa.key -v2 aes-128-cbc -iter 1 -passout pass:seed -out enc8.key
q openssl rsa -in rsa.key -traditional -aes128 -passout pass:seed -out legacy.key
q openssl x509 -in leaf.pem -outform DER -out leaf.der
q openssl pkey -in rsa.key -outform DER -out rsa.key.der
q openssl ec -in ec-params.key -outform DER -out ec.key.der
cat leaf.pem ca.pem > chain.pem
cat leaf.pem rsa.key > combined.pem
sed 's/$/\r/' leaf.pem > crlf.pem
sed 's/$/  /' chain.pem > trailing.pem
{ echo "Bag Attributes"; echo "subject=/CN=seed"; cat leaf.pem; echo "-- end"; } > around.pem
head -c 300 leaf.pem > truncated.pem

n=0
for f in *.pem *.key *.der; do
	cp "$f" "$out/$(sha1sum "$f" | cut -c1-40)"
	n=$((n + 1))
done
echo "fuzz-input: $n seeds in $out"
