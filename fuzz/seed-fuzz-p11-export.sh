#!/usr/bin/env bash
# Seeds for fuzz-p11-export: unwrapped PrivateKeyInfo as tokens give them,
# each after one byte naming the key type (0 RSA, 1 EC): RSA, EC on three
# curves with and without the public key (SoftHSM leaves it out), explicit
# curve parameters, SoftHSM's zero padding. Named by SHA-1, as libFuzzer
# names its own. Usage: fuzz/seed-fuzz-p11-export.sh OUTDIR
set -euo pipefail
out=${1:?OUTDIR}
mkdir -p "$out"
if [ -n "$(ls -A "$out")" ]; then
	echo "fuzz-p11-export: $out already seeded"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# seed TYPE-BYTE DER-FILE [ZERO-PAD-BYTES]
seed() {
	{
		printf "\\x$1"
		cat "$2"
		head -c "${3:-0}" /dev/zero
	} >seed
	mv seed "$out/$(sha1sum seed | cut -d' ' -f1)"
}

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -outform DER -out rsa.der 2>/dev/null
seed 00 rsa.der
seed 00 rsa.der 7
for curve in P-256 P-384 P-521; do
	openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$curve" -out ec.pem
	openssl pkey -in ec.pem -outform DER -out ec.der
	seed 01 ec.der
	openssl ec -in ec.pem -no_public -out nopub.pem 2>/dev/null
	openssl pkcs8 -topk8 -nocrypt -in nopub.pem -outform DER -out nopub.der
	seed 01 nopub.der
	seed 01 nopub.der 3
	openssl ec -in ec.pem -param_enc explicit -out explicit.pem 2>/dev/null
	openssl pkcs8 -topk8 -nocrypt -in explicit.pem -outform DER -out explicit.der
	seed 01 explicit.der
done
