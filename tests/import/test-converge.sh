#!/bin/bash
# No duplicate from racing imports: 2, 8 and 16 imports of one certificate
# at once, several trials each, with the same-host lock and with it off (as
# runs on different hosts race), end with exactly one certificate in ACM and
# every run exiting 0 with the same ARN. Also: ACM's search showing new
# certificates late (visibility lag), an endpoint or IAM policy without
# SearchCertificates (the listing is used), the racers' tags on the copy
# kept, DeleteCertificate denied (exit 5 naming both ARNs), a newer copy in
# use (never deleted), and a rerun that finds two copies.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PY=${PYTHON3:-/usr/bin/python3}
PYTHON3=$PY
# shellcheck source=../lib/material.sh
. "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/endpoint.sh
. "$ACMB_TESTS_DIR/lib/endpoint.sh"

mat_setup
D=$MAT_DIR
trap 'mat_cleanup; _endpoint_on_exit' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}
expect_eq() {
	if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', wanted '$3'"; fi
}
# expect_in NAME FILE TEXT: FILE holds TEXT.
expect_in() {
	if grep -qF -- "$3" "$2"; then ok; else bad "$1: $(basename "$2") lacks '$3': $(head -c 600 "$2")"; fi
}

mat_cert root --ca --key ec:prime256v1 --subj "/CN=Race Root" >/dev/null
mat_cert web --issuer root --key ec:prime256v1 --san DNS:race.example.com >/dev/null
IMP=(import --certificate "$D/web.pem" --private-key "$D/web.key"
	--certificate-chain "$D/root.pem" --output text)

endpoint_start || exit 1

count_ops() {
	endpoint_requests | "$PY" -c '
import json, sys
print(sum(1 for x in json.load(sys.stdin)["requests"]
          if x.get("operation") == sys.argv[1] and x.get("status") == 200))' "$1"
}

# race N LOCK LABEL: N imports of web at once (LOCK off sets
# ACMB_TEST_NO_IMPORT_LOCK=1: each run is its own host); checks one
# certificate, N exits 0, one ARN, the ARN the one ACM holds.
race() {
	local n=$1 lock=$2 label=$3 i pids=() start end arns certs rcs imports deletes
	endpoint_reset
	start=$(date +%s%N)
	for ((i = 1; i <= n; i++)); do
		if [ "$lock" = off ]; then
			ACMB_TEST_NO_IMPORT_LOCK=1 "$ACMBRIDGE" "${IMP[@]}" --endpoint-url "$ACMB_ENDPOINT_URL" \
				>"$D/out.$i" 2>"$D/err.$i" &
		else
			"$ACMBRIDGE" "${IMP[@]}" --endpoint-url "$ACMB_ENDPOINT_URL" >"$D/out.$i" 2>"$D/err.$i" &
		fi
		pids+=($!)
	done
	rcs=""
	for ((i = 1; i <= n; i++)); do
		wait "${pids[$((i - 1))]}"
		rcs="$rcs$?"
	done
	end=$(date +%s%N)
	certs=$(endpoint_cert_count)
	arns=$(cat "$D"/out.* | sort -u)
	imports=$(count_ops ImportCertificate)
	deletes=$(count_ops DeleteCertificate)
	printf '%s: %d runs, lock %s: %s certificate(s), %d ARN(s), %d imported, %d deleted, %d ms\n' \
		"$label" "$n" "$lock" "$certs" "$(printf '%s\n' "$arns" | grep -c .)" "$imports" "$deletes" \
		"$(((end - start) / 1000000))"
	expect_eq "$label: every run exits 0" "$rcs" "$(printf '0%.0s' $(seq 1 "$n"))"
	expect_eq "$label: exactly one certificate" "$certs" 1
	expect_eq "$label: every run prints the same ARN" "$(printf '%s\n' "$arns" | grep -c .)" 1
	expect_eq "$label: the ARN printed is the one ACM holds" "$arns" \
		"$(endpoint_certs | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["certificates"][0]["arn"])')"
	expect_eq "$label: every copy made was deleted but one" "$deletes" "$((imports - 1))"
	rm -f "$D"/out.* "$D"/err.*
}

# 1. Racing imports, with the lock and without.
for n in 2 8 16; do
	trials=3
	[ "$n" -eq 16 ] && trials=2
	for ((t = 1; t <= trials; t++)); do
		race "$n" on "race $n trial $t"
		race "$n" off "race $n trial $t"
	done
done
# With the lock, only the first run of a host imports.
race 8 on "lock: one import"
endpoint_requests | "$PY" -c '
import json, sys
sys.exit(0 if sum(1 for x in json.load(sys.stdin)["requests"]
                  if x.get("operation") == "ImportCertificate") == 1 else 1)' &&
	ok || bad "with the same-host lock, more than one ImportCertificate was sent"

# 2. ACM's search shows new certificates 2 s late: every racer imports, and
# they still agree once each sees its own.
endpoint_acm_control '{"visibility_lag": 2}'
race 8 off "visibility lag 2 s"
endpoint_acm_control '{"visibility_lag": 0}'

# 3. No SearchCertificates (an endpoint without it, or an IAM policy without
# acm:SearchCertificates): ListCertificates is used.
endpoint_fault '{"operation": "SearchCertificates", "fault": "unknown-operation", "times": 1000}'
race 8 off "no SearchCertificates"
endpoint_clear_faults
endpoint_fault '{"operation": "SearchCertificates", "fault": "access-denied", "times": 1000}'
"$ACMBRIDGE" "${IMP[@]}" --endpoint-url "$ACMB_ENDPOINT_URL" >"$D/out.1" 2>"$D/err.1"
expect_eq "search denied: exit 0" "$?" 0
expect_in "search denied: says so" "$D/err.1" "SearchCertificates answered AccessDeniedException; looking through ListCertificates instead"
endpoint_clear_faults

# 4. The copy kept carries every racer's --tags.
endpoint_reset
ACMB_TEST_NO_IMPORT_LOCK=1 "$ACMBRIDGE" "${IMP[@]}" --endpoint-url "$ACMB_ENDPOINT_URL" \
	--tags Key=team,Value=a >"$D/out.1" 2>"$D/err.1" &
p1=$!
ACMB_TEST_NO_IMPORT_LOCK=1 "$ACMBRIDGE" "${IMP[@]}" --endpoint-url "$ACMB_ENDPOINT_URL" \
	--tags Key=env,Value=b >"$D/out.2" 2>"$D/err.2" &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
expect_eq "tags race: both exit 0" "$r1$r2" 00
expect_eq "tags race: one certificate" "$(endpoint_cert_count)" 1
expect_eq "tags race: both racers' tags on it" "$(endpoint_certs | "$PY" -c '
import json, sys
c = json.load(sys.stdin)["certificates"][0]
print(sorted((t["Key"], t.get("Value")) for t in c["tags"] if t["Key"] != "acmbridge:sha256"))')" \
	"[('env', 'b'), ('team', 'a')]"

# staggered WHEN: run A, then B once A's copy landed but is not yet shown
# (visibility lag 6 s): B imports a second copy and, once it sees both,
# must delete its own. Sets A_ARN, B_ARN (B's copy), A_RC, B_RC; B's stderr
# in $D/err.b. $1: a command run once B's copy has landed.
staggered() {
	local when_landed=$1 pa pb i
	endpoint_reset
	endpoint_acm_control '{"visibility_lag": 6}'
	ACMB_TEST_NO_IMPORT_LOCK=1 "$ACMBRIDGE" "${IMP[@]}" --endpoint-url "$ACMB_ENDPOINT_URL" \
		>"$D/out.a" 2>"$D/err.a" &
	pa=$!
	for ((i = 0; i < 300; i++)); do [ "$(endpoint_cert_count)" -ge 1 ] && break; sleep 0.1; done
	ACMB_TEST_NO_IMPORT_LOCK=1 "$ACMBRIDGE" "${IMP[@]}" --endpoint-url "$ACMB_ENDPOINT_URL" \
		>"$D/out.b" 2>"$D/err.b" &
	pb=$!
	for ((i = 0; i < 300; i++)); do [ "$(endpoint_cert_count)" -ge 2 ] && break; sleep 0.1; done
	B_ARN=$(endpoint_certs | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["certificates"][1]["arn"])')
	eval "$when_landed"
	wait $pa
	A_RC=$?
	wait $pb
	B_RC=$?
	A_ARN=$(cat "$D/out.a")
	endpoint_acm_control '{"visibility_lag": 0}'
}

# 5. DeleteCertificate denied: exit 5, both ARNs named, two copies left; a
# rerun uses the first and names the second.
endpoint_fault '{"operation": "DeleteCertificate", "fault": "access-denied", "times": 1}'
staggered :
expect_eq "delete denied: the first run exits 0" "$A_RC" 0
expect_eq "delete denied: the second exits 5" "$B_RC" 5
expect_in "delete denied: says so" "$D/err.b" "DeleteCertificate of this run's newer copy was denied (AccessDeniedException)"
expect_in "delete denied: names the copy to use" "$D/err.b" "$A_ARN"
expect_in "delete denied: names its own copy" "$D/err.b" "$B_ARN"
expect_eq "delete denied: two copies left" "$(endpoint_cert_count)" 2
"$ACMBRIDGE" "${IMP[@]}" --endpoint-url "$ACMB_ENDPOINT_URL" >"$D/out.c" 2>"$D/err.c"
expect_eq "rerun over two copies: exit 0" "$?" 0
expect_eq "rerun over two copies: the first is used" "$(cat "$D/out.c")" "$A_ARN"
expect_in "rerun over two copies: names the other" "$D/err.c" "also $B_ARN"
expect_eq "rerun over two copies: deletes nothing" "$(endpoint_cert_count)" 2
endpoint_clear_faults

# 6. The newer copy is in use by the time its run decides: never deleted.
staggered 'endpoint_acm_control "{\"in_use\": {\"$B_ARN\": [\"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1\"]}}"'
expect_eq "in use: the first run exits 0" "$A_RC" 0
expect_eq "in use: the second exits 5" "$B_RC" 5
expect_in "in use: says so" "$D/err.b" "which is already in use by arn:aws:elasticloadbalancing"
expect_in "in use: names the copy to use" "$D/err.b" "$A_ARN"
expect_in "in use: names its own copy" "$D/err.b" "$B_ARN"
expect_eq "in use: not deleted" "$(endpoint_certs | "$PY" -c '
import json, sys
print(sys.argv[1] in [c["arn"] for c in json.load(sys.stdin)["certificates"]])' "$B_ARN")" True

# 7. The same without a fault: the second run deletes its own copy and
# prints the first's.
staggered :
expect_eq "staggered: both exit 0" "$A_RC$B_RC" 00
expect_eq "staggered: both print the first copy" "$(cat "$D/out.b")" "$A_ARN"
expect_in "staggered: says what it deleted" "$D/err.b" "deleted this run's copy $B_ARN"
expect_eq "staggered: one certificate" "$(endpoint_cert_count)" 1

if grep -q Traceback "$ACMB_ENDPOINT_LOG" 2>/dev/null; then
	bad "the endpoint logged a traceback: $(grep -m1 -A5 Traceback "$ACMB_ENDPOINT_LOG")"
fi
echo "test-converge: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
