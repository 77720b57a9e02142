# Shared helpers for tests/custody/test-*.sh (sourced). ctest sets ACMBRIDGE,
# ACMB_TESTS_DIR, ACMB_BUILD_DIR and PYTHON3; run by hand, set them yourself.
set -uo pipefail

PY=${PYTHON3:-/usr/bin/python3}
CUSTODY_DIR=${ACMB_TESTS_DIR:?ACMB_TESTS_DIR not set}/custody
SCAN=("$PY" "$CUSTODY_DIR/custody-scan.py")
WORK=$(mktemp -d /tmp/custody-test.XXXXXX)
# Figures of every run go here too when the caller wants to collect them.
FIGURES=${ACMB_CUSTODY_FIGURES:-$WORK/figures.jsonl}
trap 'rm -rf "$WORK"' EXIT
# ok, fail, finish: the shared helper.
# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"

# The endpoint's copies of the test credentials (ACMB_TEST_*) stay out of the
# program's environment: they would be found there and are not its doing.
UNSET_TEST_SECRETS=(-u ACMB_TEST_SECRET_ACCESS_KEY -u ACMB_TEST_STS_SECRET_ACCESS_KEY
	-u ACMB_TEST_STS_SESSION_TOKEN)

# scan LABEL [custody-scan options] -- PROG ARGS: runs the harness, keeps its
# output in $WORK/LABEL.out, prints it, returns its exit status.
scan() {
	local label=$1
	shift
	"${SCAN[@]}" --label "$label" --figures "$FIGURES" \
		--unset-env ACMB_TEST_SECRET_ACCESS_KEY --unset-env ACMB_TEST_STS_SECRET_ACCESS_KEY \
		--unset-env ACMB_TEST_STS_SESSION_TOKEN \
		--workdir "$WORK/run-$label" "$@" >"$WORK/$label.out" 2>&1
	local rc=$?
	sed 's/^/    /' "$WORK/$label.out"
	return $rc
}

# judge_signal_run LABEL RC WANT WHAT: after `scan LABEL ... --signal ...`
# returned RC, one ok line when the signal was sent and the run reached
# exit_group with zero hits and exit code WANT; else one fail line saying
# which of those it missed. (The result moment is never reached: on a
# signal nothing is printed on stdout.)
judge_signal_run() {
	local label=$1 rc=$2 want=$3 what=$4 exit_hits got
	exit_hits=$(hits_at "$label" exit)
	if ! grep -q "sent SIG" "$WORK/$label.out"; then
		fail "$what: the signal point was never reached"
	elif [ "$rc" -eq 3 ] || [ "$exit_hits" -lt 0 ]; then
		fail "$what: no exit_group after the signal (killed by it, or harness failure)"
	elif [ "$exit_hits" -gt 0 ]; then
		fail "$what: $exit_hits secret copies left at exit_group (HIT lines above)"
	elif [ "$rc" -eq 0 ] || grep -q "\] exit code $want\$" "$WORK/$label.out"; then
		ok "$what: exit $want, zero hits at exit_group"
	else
		got=$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["exit_code"], r["exit_signal"])' \
			"$WORK/run-$label/report.json")
		fail "$what: exit code/signal '$got' instead of $want"
	fi
}

# judge_debug_log WHAT LOG RC WANT SECRETS...: one ok line when a --debug
# run exited WANT (RC), printed debug lines into LOG and no secret form or
# unredacted credential header (custody-check.py text); else one fail line.
judge_debug_log() {
	local what=$1 log=$2 rc=$3 want=$4 out crc
	shift 4
	out=$("$PY" "$CUSTODY_DIR/custody-check.py" text "$log" "$@")
	crc=$?
	sed 's/^/    /' <<<"$out"
	if [ "$rc" -ne "$want" ]; then
		fail "$what: exit code $rc, expected $want"
	elif ! grep -q "^debug: " "$log"; then
		fail "$what: --debug printed no debug line"
	elif [ "$crc" -eq 0 ]; then
		ok "$what: --debug output ($(grep -c '^debug: ' "$log") debug lines) holds no secret"
	else
		fail "$what: secret or credential in --debug output (above)"
	fi
}

# Number of hits the harness reported at MOMENT (result|exit) in LABEL's run,
# restricted to mappings matching the extended regex MAPPING (default: any).
hits_at() {
	local label=$1 moment=$2 mapping=${3:-.}
	"$PY" - "$WORK/run-$label/report.json" "$moment" "$mapping" <<'PYEOF'
import json, re, sys
rep = json.load(open(sys.argv[1]))
m = rep["moments"].get(sys.argv[2])
print(-1 if m is None else
      sum(1 for h in m["hits"] if re.search(sys.argv[3], h["mapping"])
          and not h.get("excused")))
PYEOF
}


# --- material, generated at test time ------------------------------------
# make_cert KEY CERT: a self-signed certificate for KEY, valid now.
make_cert() {
	openssl req -new -x509 -key "$1" -out "$2" -days 30 -subj "/CN=custody.example.com" \
		-addext "subjectAltName=DNS:custody.example.com" 2>/dev/null
}

# make_material DIR: every key form the files source accepts, each with its
# certificate: rsa-pkcs1.pem, rsa-pkcs8.pem, ec-sec1.pem, rsa-enc.pem
# (encrypted PKCS#8, passphrase in pass.txt), bundle.p12 (same passphrase).
make_material() {
	local d=$1
	mkdir -p "$d"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$d/rsa-pkcs8.pem" 2>/dev/null
	openssl pkey -in "$d/rsa-pkcs8.pem" -traditional -out "$d/rsa-pkcs1.pem"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$d/ec-pkcs8.pem" 2>/dev/null
	openssl pkey -in "$d/ec-pkcs8.pem" -traditional -out "$d/ec-sec1.pem"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$d/enc-plain.pem" 2>/dev/null
	# A passphrase nobody else uses, long enough to be found anywhere.
	"$PY" -c 'import secrets; print("custody-" + secrets.token_urlsafe(24))' >"$d/pass.txt"
	openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$d/enc-plain.pem" -out "$d/rsa-enc.pem" \
		-passout file:"$d/pass.txt"
	local k
	for k in rsa-pkcs1 rsa-pkcs8 ec-sec1 enc-plain; do
		make_cert "$d/$k.pem" "$d/$k.crt"
	done
	cp "$d/enc-plain.crt" "$d/rsa-enc.crt"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$d/p12-key.pem" 2>/dev/null
	make_cert "$d/p12-key.pem" "$d/p12.crt"
	openssl pkcs12 -export -inkey "$d/p12-key.pem" -in "$d/p12.crt" -out "$d/bundle.p12" \
		-passout file:"$d/pass.txt" 2>/dev/null
	openssl pkey -in "$d/rsa-pkcs8.pem" -outform DER -out "$d/rsa-pkcs8.der"
	"$PY" -c 'import secrets; print("custody-wrong-" + secrets.token_urlsafe(24))' >"$d/wrong.txt"
	PASS=$(cat "$d/pass.txt")
}

# have_command NAME: acmbridge implements NAME (its --help lists it and the
# command does not answer "not implemented").
have_command() {
	"$ACMBRIDGE" --help 2>/dev/null | grep -qE "^  $1 "
}
