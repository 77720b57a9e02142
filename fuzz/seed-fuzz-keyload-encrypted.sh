#!/usr/bin/env bash
# Seeds for fuzz-keyload-encrypted: one byte choosing the container (0
# PKCS#8 DER, 1 PKCS#8 PEM, 2 legacy RSA PEM, 3 legacy EC PEM), the cipher
# (bits 2-3) and the mode (bit 4: the rest is ciphertext), then 16 bytes of
# salt and 16 of IV from /dev/urandom, then a plaintext: the key DER each
# container holds (RSA, EC on three curves), a key cut short, random
# bytes; and random ciphertexts. Named by SHA-1, as libFuzzer names its own.
# Usage: fuzz/seed-fuzz-keyload-encrypted.sh OUTDIR
set -euo pipefail
out=${1:?OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -n "$(ls -A "$out")" ]; then
	echo "fuzz-keyload-encrypted: $out already seeded"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# seed HEADER-BYTE (hex) BODY-FILE
seed() {
	{
		printf "\\x$1"
		head -c 32 /dev/urandom
		cat "$2"
	} >seed
	mv seed "$out/$(sha1sum seed | cut -d' ' -f1)"
}

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.pem 2>/dev/null
# (openssl pkey -outform DER writes the traditional form, not PKCS#8.)
openssl pkcs8 -topk8 -nocrypt -in rsa.pem -outform DER -out rsa8.der
openssl rsa -in rsa.pem -traditional -outform DER -out rsa1.der 2>/dev/null
head -c 300 rsa1.der >rsa1-cut.der
for cipher in 0 1 2 3; do
	seed "$(printf '%02x' $((cipher << 2 | 0)))" rsa8.der
	seed "$(printf '%02x' $((cipher << 2 | 1)))" rsa8.der
	seed "$(printf '%02x' $((cipher << 2 | 2)))" rsa1.der
done
seed 02 rsa1-cut.der
for curve in P-256 P-384 P-521; do
	openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$curve" -out ec.pem
	openssl pkcs8 -topk8 -nocrypt -in ec.pem -outform DER -out ec8.der
	openssl ec -in ec.pem -outform DER -out sec1.der 2>/dev/null
	seed 00 ec8.der
	seed 05 ec8.der
	seed 03 sec1.der
	seed 0b sec1.der
done
head -c 64 /dev/urandom >garbage64
head -c 256 /dev/urandom >garbage256
for b in 00 01 02 03 10 11 12 13 1e 1f; do
	seed "$b" garbage64
	seed "$b" garbage256
done
echo "fuzz-keyload-encrypted: $(ls "$out" | wc -l) seeds in $out"
