#!/bin/bash
# Every option on the AWS CLI reference page (../shared/reference/
# aws-cli-acm-import-certificate.txt, or $ACMB_REFERENCE_DIR) is taken by
# `acmbridge import`: tests/query/reference_options.py walks the page's option
# list and runs each against the local endpoint; an option acmbridge refuses,
# or one the walk has no case for, fails. docs/aws.md has the same table.
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${ACMBRIDGE:?ACMBRIDGE must name the acmbridge binary}"
export PYTHON3=${PYTHON3:-/usr/bin/python3}
source "$ACMB_TESTS_DIR/lib/endpoint.sh"
source "$ACMB_TESTS_DIR/endpoint/pki.sh"
# shellcheck source=../lib/assert.sh
source "$ACMB_TESTS_DIR/lib/assert.sh"

ref=${ACMB_REFERENCE_DIR:-$ACMB_TESTS_DIR/../../shared/reference}/aws-cli-acm-import-certificate.txt
if [ ! -f "$ref" ]; then
	fail "the reference page is not at $ref (set ACMB_REFERENCE_DIR)"
	finish
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmb-refopts.XXXXXX")
trap 'endpoint_stop; rm -rf "$WORK"' EXIT
pki_make "$WORK/pki"
P=$WORK/pki
endpoint_start
printf '[profile reference]\nregion = us-east-1\n' >"$AWS_CONFIG_FILE"
printf '[reference]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$ACMB_TEST_ACCESS_KEY_ID" "$ACMB_TEST_SECRET_ACCESS_KEY" >"$AWS_SHARED_CREDENTIALS_FILE"
arn=$("$ACMBRIDGE" import --endpoint-url "$ACMB_ENDPOINT_URL" --certificate "$P/rsa.pem" \
	--private-key "$P/rsa.key" --certificate-chain "$P/chain.pem" --output text)
"$PYTHON3" - "$P" <<'PY'
import base64, json, sys
d = sys.argv[1]
pem = lambda n: open("%s/%s" % (d, n)).read()
json.dump({"Certificate": pem("ec.pem"), "PrivateKey": pem("ec.key"),
           "CertificateChain": pem("chain-ec.pem")}, open(d + "/input.json", "w"))
with open(d + "/input.yaml", "w") as f:
    for k, n in (("Certificate", "ec.pem"), ("PrivateKey", "ec.key"),
                 ("CertificateChain", "chain-ec.pem")):
        f.write("%s: !!binary '%s'\n" % (k, base64.b64encode(open("%s/%s" % (d, n), "rb").read()).decode()))
PY
# The walk prints one "ok - OPTION" or "not ok - OPTION: why" line per option
# of the page, in assert.sh's format; counted here.
walk=$("$PYTHON3" "$ACMB_TESTS_DIR/query/reference_options.py" "$ref" "$ACMBRIDGE" "$P" "$arn") || true
echo "$walk"
ASSERT_PASSED=$(grep -c '^ok - ' <<<"$walk" || true)
ASSERT_FAILED=$(grep -c '^not ok - ' <<<"$walk" || true)
expect_in "the walk's closing line" "acmbridge import takes" "$walk"
# The walk must be able to fail: an option acmbridge does not take.
printf '[--no-such-option <value>]\n--no-such-option (string)\n' >"$WORK/page.txt"
grep -E '^\[?--' "$ref" >>"$WORK/page.txt"
if "$PYTHON3" "$ACMB_TESTS_DIR/query/reference_options.py" "$WORK/page.txt" "$ACMBRIDGE" \
	"$P" "$arn" >"$WORK/walk2" 2>&1; then
	fail "a page with an option acmbridge lacks fails the walk"
else
	expect_in "a page with an option acmbridge lacks fails the walk" \
		"not ok - --no-such-option" "$(cat "$WORK/walk2")"
fi
finish
