#!/usr/bin/env bash
# Import as plan and apply, in one process (tests/embed/embed-import.c):
# 20 certificates into one region list the region once, not 20 times: the
# context's inventory is one SearchCertificates listing shared by every
# plan (each new import then checks its own copy by serial, the no-duplicate
# convergence); a rerun of the 20 sends nothing and lists once; without
# SearchCertificates, one ListCertificates serves the 20. Through the public
# acmb_import_plan()/acmb_import_apply(): the item as JSON, and a saved item
# read back and applied.
set -uo pipefail

: "${ACMB_TESTS_DIR:?}" "${ACMB_BUILD_DIR:?}"
# shellcheck source=../lib/assert.sh
source "$ACMB_TESTS_DIR/lib/assert.sh"
# shellcheck source=../lib/material.sh
source "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/endpoint.sh
source "$ACMB_TESTS_DIR/lib/endpoint.sh"

PROG=$ACMB_BUILD_DIR/tests/embed/embed-import
N=20
# No settling pause after each new import (a test build's hook), and no
# client-side pacing of ImportCertificate: the counts are what is tested.
export ACMB_TEST_CONVERGE_SETTLE=0
export ACMB_TEST_AWS_RATES="acm:ImportCertificate=0"

mat_setup
trap 'mat_cleanup; _endpoint_on_exit' EXIT
D=$MAT_DIR
mat_cert root --ca --subj "/CN=Plan Root" >/dev/null || fail "material" "openssl failed"
args=()
for ((n = 1; n <= N + 1; n++)); do
	mat_cert "leaf$n" --issuer root --subj "/CN=plan$n.example.com" \
		--san "DNS:plan$n.example.com" --eku serverAuth >/dev/null || fail "material $n"
	((n <= N)) && args+=("$D/leaf$n.pem" "$D/leaf$n.key" "$D/root.pem")
done

endpoint_start --tls

# count OP FROM: OP's requests in the endpoint's log after the first FROM.
count() {
	endpoint_requests | "$PYTHON3" -c '
import json, sys
r = json.load(sys.stdin)["requests"][int(sys.argv[2]):]
print(sum(1 for x in r if x.get("operation") == sys.argv[1]))' "$1" "$2"
}
total() { endpoint_requests | "$PYTHON3" -c 'import json, sys; print(len(json.load(sys.stdin)["requests"]))'; }

# 1. Twenty new certificates: one listing; one search by serial per new
# copy (the convergence after each import). Before plan and apply: 20
# lookups before the imports and 20 after, 40 searches.
out=$("$PROG" "$ACMB_ENDPOINT_URL" "$ACMB_ENDPOINT_CA" "${args[@]}" 2>"$D/stderr")
rc=$?
ASSERT_STDERR=$D/stderr
expect_rc "20 imports in one process" 0
expect_in "all imported" "$N imported, 0 failures" "$out"
expect_eq "20 certificates in ACM" "$(endpoint_cert_count)" "$N"
expect_eq "20 ImportCertificate calls" "$(count ImportCertificate 0)" "$N"
expect_eq "no ListCertificates" "$(count ListCertificates 0)" 0
expect_eq "SearchCertificates: 1 listing + 20 convergence checks by serial" \
	"$(count SearchCertificates 0)" $((1 + N))

# 2. The same 20 again: every plan is "unchanged" from the one listing.
n0=$(total)
out=$(EMBED_PLAN=1 "$PROG" "$ACMB_ENDPOINT_URL" "$ACMB_ENDPOINT_CA" "${args[@]}" 2>"$D/stderr")
rc=$?
expect_rc "rerun of the 20" 0
expect_eq "rerun: every item unchanged" "$(grep -c '"Action":"unchanged"' <<<"$out")" "$N"
expect_in "rerun: the item names its region" '"Region":"us-east-1"' "$out"
expect_eq "rerun: nothing imported" "$(count ImportCertificate "$n0")" 0
expect_eq "rerun: the region listed once" \
	"$(($(count SearchCertificates "$n0") + $(count ListCertificates "$n0")))" 1
expect_eq "rerun: still 20 certificates" "$(endpoint_cert_count)" "$N"

# 3. No SearchCertificates (an older endpoint): one ListCertificates over
# every key type serves the 20 plans.
endpoint_fault '{"operation": "SearchCertificates", "fault": "unknown-operation", "times": 1000}'
n0=$(total)
out=$("$PROG" "$ACMB_ENDPOINT_URL" "$ACMB_ENDPOINT_CA" "${args[@]}" 2>"$D/stderr")
rc=$?
expect_rc "rerun without SearchCertificates" 0
expect_eq "no search: one ListCertificates" "$(count ListCertificates "$n0")" 1
expect_eq "no search: asked once" "$(count SearchCertificates "$n0")" 1
expect_eq "no search: nothing imported" "$(count ImportCertificate "$n0")" 0
endpoint_clear_faults

# 4. A saved item (JSON read back) is applied: it looks at ACM again first,
# then imports; the rerun of that item finds the copy and sends nothing.
one=("$D/leaf$((N + 1)).pem" "$D/leaf$((N + 1)).key" "$D/root.pem")
out=$(EMBED_PLAN=saved "$PROG" "$ACMB_ENDPOINT_URL" "$ACMB_ENDPOINT_CA" "${one[@]}" 2>"$D/stderr")
rc=$?
expect_rc "saved item applied" 0
expect_in "saved item: a create" '"Action":"create"' "$out"
expect_in "saved item: imported" "imported $D/leaf$((N + 1)).pem as arn:aws:acm:" "$out"
expect_eq "saved item: one more certificate" "$(endpoint_cert_count)" $((N + 1))
n0=$(total)
out=$(EMBED_PLAN=saved "$PROG" "$ACMB_ENDPOINT_URL" "$ACMB_ENDPOINT_CA" "${one[@]}" 2>"$D/stderr")
rc=$?
expect_rc "saved item again" 0
expect_in "saved item again: unchanged" '"Action":"unchanged"' "$out"
expect_eq "saved item again: nothing imported" "$(count ImportCertificate "$n0")" 0
expect_eq "saved item again: no duplicate" "$(endpoint_cert_count)" $((N + 1))
finish
