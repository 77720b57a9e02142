#!/bin/bash
# A write that timed out is not lost: an ImportCertificate whose answer
# comes after --cli-read-timeout, or never (dropped after landing), is
# looked for before anything is sent again, with --max-attempts 1 and 3,
# through `import` and `issue`; one that lands after the wait is reported
# as what was seen, and a rerun then converges on one certificate. Also the
# messages of issue 9: ImportCertificate requests counted when throttled,
# an oversized answer, a redirect, and IssueCertificate's lost answer.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PY=${PYTHON3:-/usr/bin/python3}
PYTHON3=$PY
export ACMB_TEST_NO_BACKOFF=1
# shellcheck source=../lib/material.sh
. "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/endpoint.sh
. "$ACMB_TESTS_DIR/lib/endpoint.sh"
# shellcheck source=../pca/pca.sh
. "$ACMB_TESTS_DIR/pca/pca.sh"

mat_setup
D=$MAT_DIR
trap 'mat_cleanup; _endpoint_on_exit' EXIT
passed=0
failed=0
out=""
rc=0
ms=0

ok() { passed=$((passed + 1)); }
bad() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}
expect_eq() {
	if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', wanted '$3'"; fi
}
# expect_rc NAME RC [STDERR-SUBSTRING]
expect_rc() {
	if [ "$rc" -ne "$2" ]; then
		bad "$1: exit $rc, wanted $2: $(head -c 800 "$D/stderr")"
	elif [ -n "${3:-}" ] && ! grep -qF -- "$3" "$D/stderr"; then
		bad "$1: stderr lacks '$3': $(head -c 800 "$D/stderr")"
	else
		ok
	fi
}
expect_not() {
	if grep -qF -- "$2" "$D/stderr"; then bad "$1: stderr says '$2'"; else ok; fi
}

# run CMD ARGS...: acmbridge against the endpoint; sets $out, $rc, $ms and
# $D/stderr.
run() {
	local start
	start=$(date +%s%N)
	out=$("$ACMBRIDGE" "$@" 2>"$D/stderr")
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
}
imp() {
	run import --endpoint-url "$ACMB_ENDPOINT_URL" --certificate "$D/web.pem" \
		--private-key "$D/web.key" --certificate-chain "$D/root.pem" --output text "$@"
}
request_count() { endpoint_requests | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'; }
# count_since N OP: OP requests after the first N.
count_since() {
	endpoint_requests | "$PY" -c '
import json, sys
r = json.load(sys.stdin)["requests"][int(sys.argv[1]):]
print(sum(1 for x in r if x.get("operation") == sys.argv[2]))' "$1" "$2"
}
looked() { sed -n 's/.*after \([0-9]*\) s of looking.*/\1/p' "$D/stderr" | head -1; }

mat_cert root --ca --key ec:prime256v1 --subj "/CN=Landing Root" >/dev/null
mat_cert web --issuer root --key ec:prime256v1 --san DNS:landing.example.com >/dev/null
endpoint_start || exit 1

# 1. The certificate lands 5 s after it was sent; the client gives up after
# 2 s. With --max-attempts 1 and 3: found within the wait, nothing resent,
# one certificate, no false word.
for max in 1 3; do
	endpoint_reset
	endpoint_fault '{"operation": "ImportCertificate", "fault": "slow-land", "delay": 5}'
	imp --cli-read-timeout 2 --max-attempts "$max"
	echo "slow-land 5 s, --max-attempts $max: exit $rc after $ms ms, found after $(looked) s of looking"
	expect_rc "slow-land, --max-attempts $max" 0 "the lost import had landed"
	expect_eq "slow-land, --max-attempts $max: one certificate" "$(endpoint_cert_count)" 1
	expect_eq "slow-land, --max-attempts $max: one ImportCertificate" "$(count_since 0 ImportCertificate)" 1
	expect_eq "slow-land, --max-attempts $max: the ARN printed is ACM's" "$out" \
		"$(endpoint_certs | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["certificates"][0]["arn"])')"
	expect_not "slow-land, --max-attempts $max" "nothing was duplicated"
done

# 2. Landed at once, answer late (slow) or never (dropped after landing).
for f in slow:4 drop-after:0 oversized:0; do
	endpoint_reset
	endpoint_fault "{\"operation\": \"ImportCertificate\", \"fault\": \"${f%:*}\", \"delay\": ${f#*:}}"
	f=${f%:*}
	imp --cli-read-timeout 2 --max-attempts 1
	echo "$f: exit $rc after $ms ms"
	expect_rc "$f answer, --max-attempts 1" 0 "the lost import had landed"
	expect_eq "$f answer: one certificate" "$(endpoint_cert_count)" 1
done

# 3. Lands after the wait (shortened to 3 s by a test build's hook), with
# --max-attempts 1: exit 6 saying what was seen; once it lands, a rerun
# finds it and sends nothing.
endpoint_reset
endpoint_fault '{"operation": "ImportCertificate", "fault": "slow-land", "delay": 10}'
ACMB_TEST_LANDING_WAIT=3 imp --cli-read-timeout 2 --max-attempts 1
echo "slow-land 10 s, wait 3 s: exit $rc after $ms ms"
expect_rc "lands after the wait" 6 "was not visible in ACM after 3 s of looking"
expect_rc "lands after the wait: what a rerun does" 6 "If it lands later, a rerun of this import finds it and sends nothing"
expect_not "lands after the wait" "nothing was duplicated"
expect_eq "lands after the wait: not there yet" "$(endpoint_cert_count)" 0
for ((i = 0; i < 200; i++)); do [ "$(endpoint_cert_count)" -ge 1 ] && break; sleep 0.1; done
n=$(request_count)
imp
expect_rc "rerun after it landed" 0 "already holds this certificate"
expect_eq "rerun after it landed: nothing sent" "$(count_since "$n" ImportCertificate)" 0
expect_eq "rerun after it landed: one certificate" "$(endpoint_cert_count)" 1

# 4. Refused with a 500 (not applied): looked for, then sent again.
endpoint_reset
endpoint_fault '{"operation": "ImportCertificate", "fault": "500", "times": 1}'
ACMB_TEST_LANDING_WAIT=2 imp --max-attempts 3
expect_rc "500, then sent again" 0 "not visible in ACM after 2 s of looking; sending again (request 2 of at most 3)"
expect_rc "500: says an earlier request could still land" 0 "1 earlier ImportCertificate request never showed in ACM"
expect_eq "500: one certificate" "$(endpoint_cert_count)" 1
expect_eq "500: two ImportCertificate requests" "$(count_since 0 ImportCertificate)" 2
# Every answer lost, more than one request: no promise of one certificate.
endpoint_reset
endpoint_fault '{"operation": "ImportCertificate", "fault": "500", "times": 2}'
ACMB_TEST_LANDING_WAIT=1 imp --max-attempts 2
expect_rc "every answer lost" 6 "2 requests were sent and every answer was lost"
expect_not "every answer lost" "nothing was duplicated"

# 5. The sends are counted: three throttled ImportCertificate requests.
endpoint_reset
endpoint_fault '{"operation": "ImportCertificate", "fault": "throttle", "times": 2}'
imp --max-attempts 3
expect_rc "throttled twice" 0 "(3 ImportCertificate requests)"

# 6. An answer over 8 MiB is not "cannot reach"; a redirect says where to.
endpoint_reset
endpoint_fault '{"operation": "SearchCertificates", "fault": "oversized", "times": 5}'
n=$(request_count)
imp
expect_rc "oversized answer" 5 "answered HTTP 200 with more than 8388608 bytes"
expect_not "oversized answer" "cannot reach"
expect_eq "oversized answer: not retried" "$(count_since "$n" SearchCertificates)" 1
endpoint_clear_faults
endpoint_fault '{"operation": "SearchCertificates", "fault": "redirect", "times": 5}'
n=$(request_count)
imp
expect_rc "redirect" 5 "answered HTTP 307, a redirect to https://acm.us-west-2.amazonaws.com/"
expect_not "redirect" "HTTP307: (no message)"
expect_eq "redirect: not followed, not retried" "$(count_since "$n" SearchCertificates)" 1
endpoint_clear_faults

# 7. Through issue: a slow ImportCertificate after Private CA issued.
pca_wait_ready || exit 1
CA=$(pca_ca_arn ecp256)
iss() {
	run issue --endpoint-url "$ACMB_ENDPOINT_URL" --pca-endpoint-url "$ACMB_ENDPOINT_URL" \
		--certificate-authority-arn "$CA" --validity 30d --output text "$@"
}
for max in 1 3; do
	endpoint_reset
	endpoint_fault '{"operation": "ImportCertificate", "fault": "slow-land", "delay": 5}'
	iss --dns-name "issue$max.example.com" --cli-read-timeout 2 --max-attempts "$max"
	echo "issue, slow-land 5 s, --max-attempts $max: exit $rc after $ms ms"
	expect_rc "issue, slow-land, --max-attempts $max" 0 "the lost import had landed"
	expect_eq "issue, slow-land, --max-attempts $max: one certificate" "$(endpoint_cert_count)" 1
done
# IssueCertificate's answer lost for good: the token named, nothing imported.
endpoint_reset
issued=$(pca_issued_count)
endpoint_fault '{"operation": "IssueCertificate", "fault": "drop-after", "times": 1}'
iss --dns-name lost.example.com --max-attempts 1
expect_rc "IssueCertificate lost" 6 "1 request with idempotency token acmb-"
expect_rc "IssueCertificate lost: what it means" 6 "Nothing was imported into ACM"
expect_eq "IssueCertificate lost: nothing in ACM" "$(endpoint_cert_count)" 0
expect_eq "IssueCertificate lost: Private CA issued it" "$(pca_issued_count)" "$((issued + 1))"
# With a resend inside the token's window: the same certificate, once.
issued=$(pca_issued_count)
endpoint_fault '{"operation": "IssueCertificate", "fault": "drop-after", "times": 1}'
iss --dns-name resent.example.com --max-attempts 2
expect_rc "IssueCertificate resent with its token" 0
expect_eq "IssueCertificate resent: one issued" "$(pca_issued_count)" "$((issued + 1))"
expect_eq "IssueCertificate resent: one in ACM" "$(endpoint_cert_count)" 1

if grep -q Traceback "$ACMB_ENDPOINT_LOG" 2>/dev/null; then
	bad "the endpoint logged a traceback: $(grep -m1 -A5 Traceback "$ACMB_ENDPOINT_LOG")"
fi
echo "test-landing: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
