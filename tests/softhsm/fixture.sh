# Sourced by tests/softhsm/test-*.sh: builds SoftHSM2 tokens in a fresh
# temporary directory (own SOFTHSM2_CONF and tokendir), with keys made at
# test time. Usage:  FIXTURE_TYPES="rsa2048 p256" . fixture.sh
#
# Token acmb-main holds, for each type T and mode M (sens = sensitive and
# extractable, plain = not sensitive, extractable; nonext = not
# extractable), a private key, its public key and a certificate, all with
# label T-M and the same CKA_ID ($(fixture_id T M)); plus, for each key
# family (rsa, ec), an intermediate and a root (category 2, no CKA_ID).
# Token acmb-other is empty. The expensive
# RSA-4096 key is generated once per run and shared by its three modes.
set -euo pipefail

: "${ACMB_BUILD_DIR:?}" "${ACMB_TESTS_DIR:?}"
FIXTURE_TYPES=${FIXTURE_TYPES:-"rsa2048 rsa3072 rsa4096 p256 p384 p521"}
FIXTURE_MODES="sens plain nonext"
P11_HELPERS=$ACMB_BUILD_DIR/tests/softhsm
MODULE=/usr/lib/softhsm/libsofthsm2.so
FAULTY=$P11_HELPERS/libfaulty-p11.so
W=$(mktemp -d /tmp/acmb-softhsm.XXXXXX)
trap 'rm -rf "$W"' EXIT
export SOFTHSM2_CONF=$W/softhsm2.conf
export FIXTURE_PIN=tst-pin-5309 FIXTURE_SO_PIN=tst-so-8086
mkdir "$W/tokens" "$W/pki"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	"$W" >"$SOFTHSM2_CONF"
printf '%s\n' "$FIXTURE_PIN" >"$W/pin"
chmod 600 "$W/pin"
for t in acmb-main acmb-other; do
	softhsm2-util --init-token --free --label "$t" --pin "$FIXTURE_PIN" \
		--so-pin "$FIXTURE_SO_PIN" >/dev/null
done

fixture_id() {
	local i=0 t m
	for t in rsa2048 rsa3072 rsa4096 p256 p384 p521; do
		i=$((i + 1))
		[ "$t" = "$1" ] && break
	done
	case $2 in sens) m=1 ;; plain) m=2 ;; nonext) m=3 ;; trusted) m=4 ;; *) m=9 ;; esac
	printf '%02x%02x' "$i" "$m"
}

genkey() {
	case $1 in
	rsa*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${1#rsa}" -out "$2" 2>/dev/null ;;
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
	p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$2" ;;
	esac
}

fixture() { "$P11_HELPERS/p11-fixture" "$MODULE" "$@"; }

# Leaf certificate (X.509 v3, TLS server) for key $1, subject CN=$2, issued
# by the intermediate of the same key family ($3: rsa or ec; ACM wants the
# signing CA's key to be of the leaf's algorithm).
issue_leaf() {
	local fam=${3:-ec}
	openssl req -new -key "$1" -subj "/CN=$2" -out "$W/pki/$2.csr" 2>/dev/null
	openssl x509 -req -in "$W/pki/$2.csr" -CA "$W/pki/int-$fam.pem" -CAkey "$W/pki/int-$fam.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$W/pki/leaf.ext" \
		-out "$W/pki/$2.pem" 2>/dev/null
}

family() { case $1 in rsa*) echo rsa ;; *) echo ec ;; esac; }

P=$W/pki
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$P/ca.ext"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.example.test\n' >"$P/leaf.ext"
for fam in rsa ec; do
	if [ "$fam" = rsa ]; then ca_type=rsa2048; else ca_type=p256; fi
	genkey $ca_type "$P/root-$fam.key"
	openssl req -x509 -new -key "$P/root-$fam.key" -subj "/CN=acmb test root $fam" -days 60 \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		-out "$P/root-$fam.pem" 2>/dev/null
	genkey $ca_type "$P/int-$fam.key"
	openssl req -new -key "$P/int-$fam.key" -subj "/CN=acmb test intermediate $fam" \
		-out "$P/int-$fam.csr" 2>/dev/null
	openssl x509 -req -in "$P/int-$fam.csr" -CA "$P/root-$fam.pem" -CAkey "$P/root-$fam.key" \
		-set_serial 2 -days 60 -extfile "$P/ca.ext" -out "$P/int-$fam.pem" 2>/dev/null
	fixture acmb-main import-cert "$P/root-$fam.pem" "" "acmb test root $fam" 2
	fixture acmb-main import-cert "$P/int-$fam.pem" "" "acmb test intermediate $fam" 2
done

for t in $FIXTURE_TYPES; do
	for m in $FIXTURE_MODES; do
		k=$P/$t-$m.key
		if [ "$t" = rsa4096 ] && [ -f "$P/rsa4096.key" ]; then
			cp "$P/rsa4096.key" "$k"
		else
			genkey "$t" "$k"
			[ "$t" = rsa4096 ] && cp "$k" "$P/rsa4096.key"
		fi
		issue_leaf "$k" "$t-$m" "$(family "$t")"
		fixture acmb-main import-key "$k" "$(fixture_id "$t" "$m")" "$t-$m" "$m"
		fixture acmb-main import-cert "$P/$t-$m.pem" "$(fixture_id "$t" "$m")" "$t-$m" 1
	done
done

# --- assertions: the shared helper (ok, fail, expect_run, expect_in,
# expect_not_in, finish) ---------------------------------------------------
# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"
# expect_run keeps the last command's output in $W/out and $W/err too.
ASSERT_RUN_DIR=$W
