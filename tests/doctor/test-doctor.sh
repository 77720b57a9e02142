#!/bin/bash
# acmbridge doctor against the local ACM endpoint: every check passing, then
# each failure provoked the way an operator would meet it (the endpoint's
# clock an hour off, a wrong secret, an unknown key, IAM refusing
# ListCertificates, an untrusted TLS certificate, an unloadable PKCS#11
# module, an empty token slot, RLIMIT_MEMLOCK too low for the secure heap,
# libcurl missing, no region), each with its line, its fix and exit 1; the
# JSON form; usage errors (exit 2); and --version.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
: "${ACMB_BUILD_DIR:?build dir}"
PYTHON3=${PYTHON3:-/usr/bin/python3}
export ACMB_TEST_NO_BACKOFF=1
# shellcheck source=../lib/material.sh
. "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/endpoint.sh
. "$ACMB_TESTS_DIR/lib/endpoint.sh"

mat_setup
D=$MAT_DIR
trap 'mat_cleanup; _endpoint_on_exit' EXIT
passed=0
failed=0
out=""
rc=0

ok() {
	passed=$((passed + 1))
	echo "ok: $*"
}
bad() {
	failed=$((failed + 1))
	echo "FAIL: $*" >&2
}

# doc ARGS...: runs doctor; sets $out (stdout), $rc; stderr in $D/stderr.
doc() {
	out=$("$ACMBRIDGE" doctor "$@" 2>"$D/stderr")
	rc=$?
}

# doc_ep ARGS...: doctor against the running endpoint, trusting its CA.
doc_ep() {
	doc --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" "$@"
}

# line CHECK: the first line of $out for CHECK.
line() { printf '%s\n' "$out" | awk -v c="$1" '$2 == c { print; exit }'; }

# expect NAME CHECK STATUS [SUBSTRING...]: CHECK's line has STATUS and
# every SUBSTRING.
expect() {
	local name=$1 check=$2 status=$3 l s
	shift 3
	l=$(line "$check")
	if [ -z "$l" ]; then
		bad "$name: no '$check' line in: $out"
		return
	fi
	if [ "${l%%  *}" != "$status" ]; then
		bad "$name: '$check' is not $status: $l"
		return
	fi
	for s in "$@"; do
		if [[ "$l" != *"$s"* ]]; then
			bad "$name: '$check' line lacks '$s': $l"
			return
		fi
	done
	ok "$name: $check $status"
}

# skew_near NAME SECONDS: the clock line's figure is SECONDS, give or take
# the second the Date header and our clock may straddle.
skew_near() {
	local n
	n=$(line clock | sed -n 's/.*this clock is \([0-9]*\) s .*/\1/p')
	if [ -n "$n" ] && [ "$n" -ge $(($2 - 1)) ] && [ "$n" -le $(($2 + 1)) ]; then
		ok "$1: skew $n s"
	else
		bad "$1: skew '${n:-none}', wanted $2 s: $(line clock)"
	fi
}

expect_rc() {
	if [ "$rc" -eq "$2" ]; then ok "$1: exit $2"; else bad "$1: exit $rc, wanted $2: $out $(head -c 300 "$D/stderr")"; fi
}

# Runs doctor with CAP_IPC_LOCK dropped (root ignores RLIMIT_MEMLOCK
# with it) and the memlock limit at $1 bytes.
doc_memlock() {
	local limit=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		out=$(prlimit --memlock="$limit:$limit" setpriv --inh-caps=-ipc_lock \
			--bounding-set=-ipc_lock "$ACMBRIDGE" doctor "$@" 2>"$D/stderr")
	else
		out=$(prlimit --memlock="$limit:$limit" "$ACMBRIDGE" doctor "$@" 2>"$D/stderr")
	fi
	rc=$?
}

endpoint_start --tls

echo "# everything in order"
doc_ep
expect "healthy" core-dumps PASS "RLIMIT_CORE is 0" "not dumpable"
expect "healthy" libcurl PASS "libcurl 7."
expect "healthy" aws-config PASS "region us-east-1" "access key AKIAACMBRIDGETEST01" "$ACMB_ENDPOINT_URL"
expect "healthy" endpoint PASS "answered (HTTP 200) over TLS" "verified by $ACMB_ENDPOINT_CA"
expect "healthy" clock PASS "SigV4 allows 300 s"
expect "healthy" credentials PASS "AWS accepted the signature of access key AKIAACMBRIDGETEST01" \
	"the account is not known"
expect "healthy" acm-read PASS "ListCertificates is allowed in us-east-1" "0 certificates"
# Whether the heap can be locked here depends on the test machine (root
# has CAP_IPC_LOCK; others need RLIMIT_MEMLOCK >= 16 MiB): it must say which.
memlock=$(line memlock)
case $memlock in
PASS*"secure heap is locked"*) ok "healthy: memlock PASS" ;;
FAIL*"is not locked"*) echo "note: this machine cannot lock 16 MiB: $memlock" ;;
*) bad "healthy: memlock line: $memlock" ;;
esac
if [[ "$out" == *$'\nFAIL'* || "$out" == FAIL* ]]; then
	expect_rc "healthy with a failure ($(printf '%s\n' "$out" | grep -c '^FAIL'))" 1
else
	expect_rc "healthy" 0
fi
if [ "$(printf '%s\n' "$out" | grep -cvE '^(PASS|WARN|FAIL)  [a-z0-9-]+ +[^ ]')" -eq 0 ]; then
	ok "one line per check, each PASS/WARN/FAIL, name, detail"
else
	bad "lines of another shape: $out"
fi

echo "# the account, read from a certificate's ARN"
mat_cert www --san DNS:www.example.com >/dev/null
"$ACMBRIDGE" import --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
	--certificate "$D/www.pem" --private-key "$D/www.key" >/dev/null 2>"$D/stderr" ||
	bad "import for the account check: $(cat "$D/stderr")"
doc_ep
expect "account" credentials PASS "account 123456789012 (from a certificate ARN)"
expect "account" acm-read PASS "1 certificate on a one-item page"
requests=$(endpoint_requests | "$PYTHON3" -c 'import json,sys
r = json.load(sys.stdin)["requests"]
print(" ".join(x["operation"] or "-" for x in r[-1:]))')
[ "$requests" = "ListCertificates" ] && ok "the last request was one ListCertificates" ||
	bad "last request: $requests"
n_list=$(endpoint_requests | "$PYTHON3" -c 'import json,sys
print(sum(1 for x in json.load(sys.stdin)["requests"] if x["operation"] == "ListCertificates"))')
# import listed too (its duplicate search); doctor adds exactly one per run.
doc_ep
n_list2=$(endpoint_requests | "$PYTHON3" -c 'import json,sys
print(sum(1 for x in json.load(sys.stdin)["requests"] if x["operation"] == "ListCertificates"))')
[ $((n_list2 - n_list)) -eq 1 ] && ok "doctor sends one ListCertificates per run" ||
	bad "doctor sent $((n_list2 - n_list)) ListCertificates"

echo "# JSON"
doc_ep --output json
if printf '%s' "$out" | "$PYTHON3" -c '
import json, sys
d = json.load(sys.stdin)
names = [c["check"] for c in d["checks"]]
want = ["memlock", "core-dumps", "libcurl", "aws-config", "endpoint", "clock", "credentials", "acm-read"]
assert names[:len(want)] == want, names
assert all(c["status"] in ("PASS", "WARN", "FAIL") for c in d["checks"])
assert all(set(c) == {"check", "status", "detail", "fix"} for c in d["checks"])
assert d["ok"] == all(c["status"] != "FAIL" for c in d["checks"])
assert all(c["fix"] == "" for c in d["checks"] if c["status"] == "PASS")
'; then ok "json: checks in order, statuses, fields, ok"; else bad "json: $out"; fi

echo "# the clock"
endpoint_stop
endpoint_start --tls --clock-offset 3600
doc_ep
expect "clock +1 h" clock FAIL "s behind the endpoint's" "AWS refuses SigV4 signatures more than 300 s off" \
	"fix: synchronise the clock"
skew_near "clock +1 h" 3600
expect "clock +1 h" credentials WARN "not judged: AWS refused the signature for the clock skew"
expect "clock +1 h" endpoint PASS "answered (HTTP 400) over TLS"
expect_rc "clock +1 h" 1
doc_ep --output json
printf '%s' "$out" | "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); assert d["ok"] is False' &&
	ok "json: ok false when a check fails" || bad "json ok: $out"
endpoint_stop
endpoint_start --tls --clock-offset -120
doc_ep
expect "clock -2 min" clock WARN "s ahead of the endpoint's" "fix: synchronise the clock"
skew_near "clock -2 min" 120
expect "clock -2 min" credentials PASS "AWS accepted"

echo "# credentials"
endpoint_stop
endpoint_start --tls
AWS_SECRET_ACCESS_KEY=not-the-secret doc_ep
expect "wrong secret" credentials FAIL "InvalidSignatureException" "the secret access key is wrong" \
	"fix: check the secret access key"
expect "wrong secret" acm-read WARN "not checked: AWS refused the request before judging permissions"
expect "wrong secret" clock PASS
expect_rc "wrong secret" 1
AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000000 doc_ep
expect "unknown key" credentials FAIL "AWS does not know access key AKIAUNKNOWNKEY000000" \
	"UnrecognizedClientException" "fix: check the access key id"
expect_rc "unknown key" 1
env -u AWS_REGION -u AWS_DEFAULT_REGION "$ACMBRIDGE" doctor --endpoint-url "$ACMB_ENDPOINT_URL" \
	--ca-bundle "$ACMB_ENDPOINT_CA" >"$D/out" 2>"$D/stderr"
rc=$?
out=$(cat "$D/out")
expect "no region" aws-config FAIL "no AWS region" "fix: give the region"
expect "no region" endpoint WARN "not checked: the AWS configuration did not resolve"
expect_rc "no region" 1
doc_ep --region eu-west-3
expect "--region" aws-config PASS "region eu-west-3"
expect "--region" acm-read PASS "allowed in eu-west-3"
# A named profile takes its credentials from the files, not the environment.
printf '[profile doc]\nregion = ap-southeast-2\n' >"$AWS_CONFIG_FILE"
printf '[doc]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$ACMB_TEST_ACCESS_KEY_ID" "$ACMB_TEST_SECRET_ACCESS_KEY" >"$AWS_SHARED_CREDENTIALS_FILE"
# (AWS_REGION would win over the profile's region, as in the AWS CLI.)
(
	unset AWS_REGION AWS_DEFAULT_REGION
	doc_ep --profile doc
	printf '%s\n' "$out" >"$D/profile.out"
)
out=$(cat "$D/profile.out")
expect "--profile" aws-config PASS "region ap-southeast-2" "profile doc"
expect "--profile" credentials PASS "AWS accepted"
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

echo "# permissions"
endpoint_fault '{"operation": "ListCertificates", "fault": "access-denied"}'
doc_ep
expect "access denied" acm-read FAIL "AccessDeniedException" "fix: grant acm:ListCertificates"
expect "access denied" credentials PASS "AWS accepted"
expect_rc "access denied" 1

echo "# TLS"
doc --endpoint-url "$ACMB_ENDPOINT_URL"
expect "untrusted CA" endpoint FAIL "could not be verified" "fix: if the endpoint uses a private CA"
expect "untrusted CA" clock WARN "not checked: the endpoint did not answer"
expect_rc "untrusted CA" 1
doc --endpoint-url "$ACMB_ENDPOINT_URL" --no-verify-ssl
expect "--no-verify-ssl" endpoint WARN "not verified (--no-verify-ssl)" "fix: drop --no-verify-ssl"
port=${ACMB_ENDPOINT_URL##*:}
endpoint_stop
doc --endpoint-url "https://127.0.0.1:$port" --ca-bundle "$ACMB_ENDPOINT_CA" --cli-connect-timeout 2
expect "endpoint down" endpoint FAIL "cannot reach" "fix: check DNS"
expect_rc "endpoint down" 1
endpoint_start
doc --endpoint-url "$ACMB_ENDPOINT_URL"
expect "plain HTTP" endpoint WARN "over plain HTTP" "fix: use an https:// endpoint"
expect "plain HTTP" acm-read PASS

echo "# PKCS#11"
mkdir -p "$D/softhsm/tokens"
export SOFTHSM2_CONF=$D/softhsm/softhsm2.conf
printf 'directories.tokendir = %s/softhsm/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$D" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label doctor-tok --pin 1234 --so-pin 5678 >/dev/null
MODULE=/usr/lib/softhsm/libsofthsm2.so
doc --module "$MODULE"
expect "token" pkcs11 PASS "module $MODULE loads; 1 token: 'doctor-tok' (SoftHSM project SoftHSM v2"
doc --module /nonexistent/libnothing.so
expect "missing module" pkcs11 FAIL "cannot load PKCS#11 module /nonexistent/libnothing.so" \
	"fix: check the path"
expect_rc "missing module" 1
printf 'not a shared object\n' >"$D/libbogus.so"
doc --module "$D/libbogus.so"
expect "not a module" pkcs11 FAIL "cannot load PKCS#11 module $D/libbogus.so"
rm -rf "$D/softhsm/tokens"/*
doc --module "$MODULE"
expect "no token" pkcs11 WARN "loads; no token is present" "fix: insert or initialise the token"
FAULTY=$ACMB_BUILD_DIR/tests/softhsm/libfaulty-p11.so
if [ -f "$FAULTY" ]; then
	softhsm2-util --init-token --free --label doctor-tok --pin 1234 --so-pin 5678 >/dev/null
	ACMB_FAULT_P11=C_GetTokenInfo:CKR_DEVICE_ERROR doc --module "$FAULTY"
	expect "token error" pkcs11 FAIL "CKR_DEVICE_ERROR" "fix: check the token's reader"
fi

echo "# memory"
doc_memlock 1048576
expect "memlock 1 MiB" memlock FAIL "16 MiB secure heap" "is not locked in memory (RLIMIT_MEMLOCK is 1 MiB)" \
	"fix: raise RLIMIT_MEMLOCK to at least 32 MiB: LimitMEMLOCK=32M"
expect_rc "memlock 1 MiB" 1
expect "memlock 1 MiB" core-dumps PASS

echo "# libcurl"
ACMB_TEST_CURL_LIBRARY=libcurl-absent.so.4 doc --endpoint-url "$ACMB_ENDPOINT_URL"
expect "no libcurl" libcurl FAIL "cannot load libcurl-absent.so.4" "fix: apt-get install libcurl4"
expect "no libcurl" aws-config WARN "not checked: libcurl cannot be loaded"
expect "no libcurl" endpoint WARN "not checked: libcurl cannot be loaded"
expect_rc "no libcurl" 1

echo "# manifest"
doc --manifest "$D/absent.yaml"
expect "manifest missing" manifest FAIL "cannot read $D/absent.yaml: No such file or directory"
printf 'version: 1\ncertificates: []\n' >"$D/m.yaml"
chmod 644 "$D/m.yaml"
doc --manifest "$D/m.yaml"
expect "manifest" manifest WARN "is readable; its entries and sources are not checked"
chmod 666 "$D/m.yaml"
doc --manifest "$D/m.yaml"
expect "manifest writable" manifest WARN "writable by its group or by others" "fix: chmod go-w"
doc --manifest "$D"
expect "manifest dir" manifest FAIL "is not a regular file"

echo "# usage"
for args in "--output xml" "--module a --module b" "--bogus" "--region" "--manifest a --manifest b"; do
	# shellcheck disable=SC2086
	doc $args
	expect_rc "usage: doctor $args" 2
done
doc --help
[[ "$out" == *"usage: acmbridge doctor"* ]] && ok "--help" || bad "--help: $out"

echo "# --version"
v=$("$ACMBRIDGE" --version)
for want in "^acmbridge [0-9]+\.[0-9]+\.[0-9]+$" "^OpenSSL 3\.[0-9.]+ \(built with 3\." \
	"^libcurl [0-9]+\.[0-9]+\.[0-9]+$" "^p11-kit 0\.[0-9.]+ \(built with" "^jansson 2\.[0-9.]+$"; do
	printf '%s\n' "$v" | grep -qE "$want" && ok "--version: /$want/" || bad "--version lacks /$want/: $v"
done
v=$(ACMB_TEST_CURL_LIBRARY=libcurl-absent.so.4 "$ACMBRIDGE" --version)
printf '%s\n' "$v" | grep -q '^libcurl not loaded: cannot load libcurl-absent.so.4' &&
	ok "--version without libcurl says why" || bad "--version without libcurl: $v"

echo "doctor: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
