#!/usr/bin/env bash
# libacmbridge embedded in a program that also links libcurl
# (tests/embed/embed-import.c, which includes only <acmbridge.h>): the
# library defines none of libcurl's names, both work in one process, three
# certificates go into ACM through one context (credentials resolved once,
# the calls rate-limited), and a broken pair is refused by the rules.
set -uo pipefail

: "${ACMB_TESTS_DIR:?}" "${ACMB_BUILD_DIR:?}"
# shellcheck source=../lib/assert.sh
source "$ACMB_TESTS_DIR/lib/assert.sh"
# shellcheck source=../lib/material.sh
source "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/endpoint.sh
source "$ACMB_TESTS_DIR/lib/endpoint.sh"

PROG=$ACMB_BUILD_DIR/tests/embed/embed-import
LIB=$ACMB_BUILD_DIR/libacmbridge.a

# No definition of any libcurl name in the library: a host's libcurl and
# ours cannot clash.
defined=$(nm --defined-only "$LIB" 2>/dev/null | awk '$2 ~ /^[TDBRW]$/ && $3 ~ /^curl_/ {print $3}' | sort -u | tr '\n' ' ')
expect_eq "libacmbridge.a defines no curl_* symbol" "$defined" ""
undefined=$(nm --undefined-only "$PROG" 2>/dev/null | grep -c ' curl_easy_init' || true)
expect_eq "the program takes curl_easy_init from libcurl itself" "$undefined" 1
expect_in "the program links libcurl" "libcurl.so" "$(ldd "$PROG")"

mat_setup
trap 'mat_cleanup; _endpoint_on_exit' EXIT
D=$MAT_DIR
mat_cert root --ca --subj "/CN=Embed Root" >/dev/null &&
	mat_cert int --ca --issuer root --subj "/CN=Embed Intermediate" >/dev/null &&
	mat_chain "$D/chain.pem" int root || fail "material" "openssl failed"
args=()
for n in 1 2 3; do
	mat_cert "leaf$n" --issuer int --subj "/CN=embed$n.example.com" \
		--san "DNS:embed$n.example.com" --eku serverAuth >/dev/null || fail "material $n"
	args+=("$D/leaf$n.pem" "$D/leaf$n.key" "$D/chain.pem")
done

endpoint_start --tls
out=$("$PROG" "$ACMB_ENDPOINT_URL" "$ACMB_ENDPOINT_CA" "${args[@]}" 2>"$D/stderr")
rc=$?
ASSERT_STDERR=$D/stderr
echo "$out"
expect_rc "embed-import exits 0" 0
expect_in "acmb_init installed the wiping allocator" "init: allocators wiped" "$out"
expect_in "an unknown option is refused by name" "unknown option refused: unknown option 'colour'" "$out"
for n in 1 2 3; do
	expect_in "certificate $n imported" "imported $D/leaf$n.pem as arn:aws:acm:" "$out"
done
expect_in "the first resolve took the secret out of the environment" \
	"after import 1: AWS_SECRET_ACCESS_KEY gone" "$out"
expect_in "the third import used the context's copy" "3 imported, 0 failures" "$out"
expect_in "a mismatched pair breaks a rule (exit 3)" "check of a mismatched pair: exit 3" "$out"
expect_in "the rule is named" "key-matches-certificate" "$out"
expect_in "the host's own libcurl call works after acmbridge's" "host libcurl:" "$out"
expect_eq "three certificates in ACM" "$(endpoint_cert_count)" 3
# One context, three certificates: the calls went through the limiter, so
# ImportCertificate (1/s) never saw two requests within the same second.
spread=$(endpoint_requests | "$PYTHON3" -c '
import json, sys
t = [r["time"] for r in json.load(sys.stdin)["requests"] if r.get("operation") == "ImportCertificate"]
print(min((b - a for a, b in zip(t, t[1:])), default=-1) >= 0.9 if len(t) == 3 else "imports: %d" % len(t))')
expect_eq "ImportCertificate calls at most one per second" "$spread" "True"
finish
