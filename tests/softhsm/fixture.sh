# Sourced by tests/softhsm/test-*.sh: builds SoftHSM2 tokens in a fresh
# temporary directory (own SOFTHSM2_CONF and tokendir), with keys made at
# test time. Usage:  FIXTURE_TYPES="rsa2048 p256" . fixture.sh
#
# Token acmb-main holds, for each type T and mode M (sens = sensitive and
# extractable, plain = not sensitive, extractable; nonext = not
# extractable), a private key, its public key and a certificate, all with
# label T-M and the same CKA_ID ($(fixture_id T M)); plus the issuing CA and
# root (category 2, no CKA_ID). Token acmb-other is empty. The expensive
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
export FIXTURE_PIN=1234 FIXTURE_SO_PIN=5678
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

# Leaf certificate for key $1, subject CN=$2, issued by the intermediate.
issue_leaf() {
	openssl req -new -key "$1" -subj "/CN=$2" -out "$W/pki/$2.csr" 2>/dev/null
	openssl x509 -req -in "$W/pki/$2.csr" -CA "$W/pki/int.pem" -CAkey "$W/pki/int.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 30 -out "$W/pki/$2.pem" 2>/dev/null
}

P=$W/pki
genkey p256 "$P/root.key"
openssl req -x509 -new -key "$P/root.key" -subj "/CN=acmb test root" -days 60 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
	-out "$P/root.pem" 2>/dev/null
genkey p256 "$P/int.key"
openssl req -new -key "$P/int.key" -subj "/CN=acmb test intermediate" -out "$P/int.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >"$P/ca.ext"
openssl x509 -req -in "$P/int.csr" -CA "$P/root.pem" -CAkey "$P/root.key" -set_serial 2 \
	-days 60 -extfile "$P/ca.ext" -out "$P/int.pem" 2>/dev/null
fixture acmb-main import-cert "$P/root.pem" "" "acmb test root" 2
fixture acmb-main import-cert "$P/int.pem" "" "acmb test intermediate" 2

for t in $FIXTURE_TYPES; do
	for m in $FIXTURE_MODES; do
		k=$P/$t-$m.key
		if [ "$t" = rsa4096 ] && [ -f "$P/rsa4096.key" ]; then
			cp "$P/rsa4096.key" "$k"
		else
			genkey "$t" "$k"
			[ "$t" = rsa4096 ] && cp "$k" "$P/rsa4096.key"
		fi
		issue_leaf "$k" "$t-$m"
		fixture acmb-main import-key "$k" "$(fixture_id "$t" "$m")" "$t-$m" "$m"
		fixture acmb-main import-cert "$P/$t-$m.pem" "$(fixture_id "$t" "$m")" "$t-$m" 1
	done
done

# --- assertions --------------------------------------------------------------
FAILS=0
CASES=0
ok() { CASES=$((CASES + 1)); echo "ok - $*"; }
not_ok() { CASES=$((CASES + 1)); FAILS=$((FAILS + 1)); echo "not ok - $*"; }

# expect_rc NAME WANT_RC CMD...: runs CMD, keeps stdout in $OUT, stderr in $ERR.
expect_rc() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$W/out" 2>"$W/err" || rc=$?
	OUT=$(cat "$W/out")
	ERR=$(cat "$W/err")
	if [ "$rc" -eq "$want" ]; then
		ok "$name (exit $rc)"
	else
		not_ok "$name: exit $rc, wanted $want; stdout: $OUT; stderr: $ERR"
	fi
}

# expect_in NAME NEEDLE HAYSTACK
expect_in() {
	if printf '%s' "$3" | grep -qF -- "$2"; then
		ok "$1"
	else
		not_ok "$1: '$2' not in: $3"
	fi
}

expect_not_in() {
	if printf '%s' "$3" | grep -qF -- "$2"; then
		not_ok "$1: '$2' unexpectedly in: $3"
	else
		ok "$1"
	fi
}

finish() {
	echo "# $CASES cases, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}
