#!/bin/bash
# The AWS CLI options of issue 16 on the commands, against the local
# endpoint and the real aws CLI: --query and --output on import (byte for
# byte with `aws acm import-certificate`), AWS_DEFAULT_OUTPUT and the
# profile's output, today's outputs kept, a bad --query refused before
# anything is sent, --cli-input-yaml, --generate-cli-skeleton yaml-input,
# --cli-binary-format (and the profile's cli_binary_format) with file://,
# --no-sign-request, --no-paginate, --no-cli-pager, --color, --version,
# and check's new formats.
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${ACMBRIDGE:?ACMBRIDGE must name the acmbridge binary}"
export PYTHON3=${PYTHON3:-/usr/bin/python3}
source "$ACMB_TESTS_DIR/lib/endpoint.sh"
source "$ACMB_TESTS_DIR/endpoint/pki.sh"

# shellcheck source=../lib/assert.sh
source "$ACMB_TESTS_DIR/lib/assert.sh"

export AWS_MAX_ATTEMPTS=1 AWS_PAGER="" AWS_RETRY_MODE=standard
AWS=/usr/bin/aws
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmb-qopts.XXXXXX")
trap 'endpoint_stop; rm -rf "$WORK"' EXIT
ASSERT_STDERR=$WORK/err

# run CMD...: runs, keeping stdout and stderr in $WORK/out and err and the
# exit code in $rc (for expect_rc).
rc=0
run() {
	rc=0
	"$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
}
check() { expect_eq "$@"; }
sent() { endpoint_requests | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'; }

acm() { "$AWS" --endpoint-url "$ACMB_ENDPOINT_URL" acm "$@"; }
imp() { "$ACMBRIDGE" import --endpoint-url "$ACMB_ENDPOINT_URL" "$@"; }

pki_make "$WORK/pki"
P=$WORK/pki
RSA=(--certificate "$P/rsa.pem" --private-key "$P/rsa.key" --certificate-chain "$P/chain.pem")
endpoint_start

# --query and --output on import.
run imp "${RSA[@]}" --query CertificateArn --output text
expect_rc "import --query CertificateArn --output text" 0
arn=$(cat "$WORK/out")
check "the ARN alone" "$(acm describe-certificate --certificate-arn "$arn" --query Certificate.CertificateArn --output text)" "$arn"

# Byte for byte with aws acm import-certificate (a reimport keeps the ARN).
for fmt in json text table yaml yaml-stream; do
	for q in "" "CertificateArn" "{arn: CertificateArn, n: length(CertificateArn)}"; do
		qa=()
		[ -n "$q" ] && qa=(--query "$q")
		acm import-certificate --certificate-arn "$arn" --certificate "fileb://$P/rsa.pem" \
			--private-key "fileb://$P/rsa.key" --certificate-chain "fileb://$P/chain.pem" \
			${qa[@]+"${qa[@]}"} --output "$fmt" --color off >"$WORK/aws.out"
		run imp "${RSA[@]}" --certificate-arn "$arn" ${qa[@]+"${qa[@]}"} --output "$fmt" --color off
		if [ "$rc" = 0 ] && cmp -s "$WORK/aws.out" "$WORK/out"; then
			ok "import --output $fmt ${q:+--query '$q' }equals aws"
		else
			fail "import --output $fmt ${q:+--query '$q' }equals aws" \
				"rc $rc: $(diff "$WORK/aws.out" "$WORK/out" | head -10) $(head -c 300 "$WORK/err")"
		fi
	done
done
acm import-certificate --certificate-arn "$arn" --certificate "fileb://$P/rsa.pem" \
	--private-key "fileb://$P/rsa.key" --certificate-chain "fileb://$P/chain.pem" \
	--output table --color on >"$WORK/aws.out"
run imp "${RSA[@]}" --certificate-arn "$arn" --output table --color on
if cmp -s "$WORK/aws.out" "$WORK/out" && grep -q $'\x1b\[0m' "$WORK/out"; then
	ok "import --output table --color on equals aws (colorama's bytes)"
else
	fail "import --output table --color on equals aws"
fi

# Where the format comes from: --output, AWS_DEFAULT_OUTPUT, the profile.
printf '[default]\noutput = yaml\ncli_binary_format = base64\n' >"$AWS_CONFIG_FILE"
run imp "${RSA[@]}" --certificate-arn "$arn"
check "the profile's output = yaml" "$(cat "$WORK/out")" "CertificateArn: $arn"
run env AWS_DEFAULT_OUTPUT=text "$ACMBRIDGE" import --endpoint-url "$ACMB_ENDPOINT_URL" \
	"${RSA[@]}" --certificate-arn "$arn"
check "AWS_DEFAULT_OUTPUT=text over the profile" "$(cat "$WORK/out")" "$arn"
run env AWS_DEFAULT_OUTPUT=text "$ACMBRIDGE" import --endpoint-url "$ACMB_ENDPOINT_URL" \
	"${RSA[@]}" --certificate-arn "$arn" --output json
check "--output json over AWS_DEFAULT_OUTPUT" "$(cat "$WORK/out")" \
	"$(printf '{\n    "CertificateArn": "%s"\n}' "$arn")"
run env AWS_DEFAULT_OUTPUT=xml "$ACMBRIDGE" import --endpoint-url "$ACMB_ENDPOINT_URL" "${RSA[@]}"
expect_rc "AWS_DEFAULT_OUTPUT=xml refused" 2 "AWS_DEFAULT_OUTPUT: 'xml' is not an output format"
: >"$AWS_CONFIG_FILE"

# Today's outputs are kept: a dry run's text is its plan, JSON by default.
run imp "${RSA[@]}" --certificate-arn "$arn" --dry-run --output text
if [ "$rc" = 0 ] && grep -q "reimport" "$WORK/out" && ! grep -q $'\t' "$WORK/out"; then
	ok "dry run --output text: the plan lines, as before"
else
	fail "dry run --output text: the plan lines" "$(head -c 300 "$WORK/out")"
fi
run imp "${RSA[@]}" --certificate-arn "$arn"
check "json by default, 4-space indent" "$(cat "$WORK/out")" \
	"$(printf '{\n    "CertificateArn": "%s"\n}' "$arn")"

# A bad --query: refused with its column, before anything is sent.
before=$(sent)
run imp "${RSA[@]}" --query 'CertificateArn[' --output text
expect_rc "bad --query refused" 2 "JMESPath syntax error at column 15"
check "bad --query: nothing sent" "$(sent)" "$before"
run imp "${RSA[@]}" --query 'nope(CertificateArn)'
expect_rc "unknown function refused" 2 "unknown-function error at column 0"
check "unknown function: nothing sent" "$(sent)" "$before"
# A query that fails on the answer: exit 2, the answer kept on stderr.
run imp "${RSA[@]}" --certificate-arn "$arn" --query 'sum(CertificateArn)'
expect_rc "--query failing on the result" 2 "invalid-type"
if grep -qF "$arn" "$WORK/err"; then ok "the unqueried result is on stderr"; else fail "the unqueried result is on stderr"; fi

# --generate-cli-skeleton yaml-input: the AWS CLI's bytes.
acm import-certificate --generate-cli-skeleton yaml-input >"$WORK/aws.out"
run "$ACMBRIDGE" import --generate-cli-skeleton yaml-input
if [ "$rc" = 0 ] && cmp -s "$WORK/aws.out" "$WORK/out"; then
	ok "--generate-cli-skeleton yaml-input equals aws"
else
	fail "--generate-cli-skeleton yaml-input equals aws" "$(diff "$WORK/aws.out" "$WORK/out" | head)"
fi

# --cli-input-yaml: !!binary base64 (as the skeleton), PEM text, from a file.
b64() { base64 -w0 "$1"; }
cat >"$WORK/in.yaml" <<EOF
CertificateArn: '$arn'
Certificate: !!binary '$(b64 "$P/rsa.pem")'
PrivateKey: !!binary |
$(base64 -w 60 "$P/rsa.key" | sed 's/^/  /')
CertificateChain: |
$(sed 's/^/  /' "$P/chain.pem")
EOF
run imp --cli-input-yaml "file://$WORK/in.yaml" --output text
expect_rc "--cli-input-yaml file://" 0
check "--cli-input-yaml: reimported into its CertificateArn" "$(cat "$WORK/out")" "$arn"
run imp --cli-input-yaml "PrivateKey: !!binary '$(b64 "$P/rsa.key")'"
expect_rc "--cli-input-yaml inline with a PrivateKey refused" 2 "visible to every user"
run imp --cli-input-yaml "file://$WORK/in.yaml" --cli-input-json '{}'
expect_rc "--cli-input-yaml with --cli-input-json refused" 2 "give one"
printf 'Certificate: [\n' >"$WORK/bad.yaml"
run imp --cli-input-yaml "file://$WORK/bad.yaml"
expect_rc "--cli-input-yaml: not YAML" 2 "line 2"
printf -- '- a\n- b\n' >"$WORK/list.yaml"
run imp --cli-input-yaml "file://$WORK/list.yaml"
expect_rc "--cli-input-yaml: not a mapping" 2 "not a YAML object"

# --cli-binary-format and file://: base64 text is decoded under base64
# (the default), taken as is under raw-in-base64-out; PEM works in both.
base64 "$P/rsa.pem" >"$WORK/rsa.b64"
B64=(--certificate "file://$WORK/rsa.b64" --private-key "$P/rsa.key" --certificate-chain "$P/chain.pem")
run imp "${B64[@]}" --certificate-arn "$arn" --output text
expect_rc "file:// base64 text, default base64 format" 0
run imp "${B64[@]}" --certificate-arn "$arn" --cli-binary-format raw-in-base64-out
expect_rc "file:// base64 text, raw-in-base64-out: not a certificate" 3
printf '[default]\ncli_binary_format = raw-in-base64-out\n' >"$AWS_CONFIG_FILE"
run imp "${B64[@]}" --certificate-arn "$arn"
expect_rc "the profile's cli_binary_format = raw-in-base64-out" 3
run imp "${B64[@]}" --certificate-arn "$arn" --cli-binary-format base64 --output text
expect_rc "--cli-binary-format base64 over the profile" 0
: >"$AWS_CONFIG_FILE"
for f in base64 raw-in-base64-out; do
	run imp --certificate "file://$P/rsa.pem" --private-key "file://$P/rsa.key" \
		--certificate-chain "file://$P/chain.pem" --certificate-arn "$arn" \
		--cli-binary-format "$f" --output text
	expect_rc "the reference's file://Certificate.pem under $f" 0
done
run imp "${RSA[@]}" --cli-binary-format base32
expect_rc "--cli-binary-format base32 refused" 2 "base64 or raw-in-base64-out"

# --no-paginate and --no-cli-pager are accepted; --version anywhere.
run imp "${RSA[@]}" --certificate-arn "$arn" --no-paginate --no-cli-pager --output text
expect_rc "--no-paginate --no-cli-pager" 0
run "$ACMBRIDGE" import "${RSA[@]}" --version
check "--version after a command" "$rc $(head -1 "$WORK/out")" "0 $("$ACMBRIDGE" --version | head -1)"
run "$ACMBRIDGE" query -- --version
expect_rc "after --, --version is an argument" 2 "JMESPath syntax error"

# --no-sign-request: no credentials needed, the request goes unsigned (the
# endpoint, as AWS, refuses it: MissingAuthenticationToken, exit 5).
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$ACMBRIDGE" import \
	--endpoint-url "$ACMB_ENDPOINT_URL" "${RSA[@]}"
expect_rc "without credentials: a configuration error" 2
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$ACMBRIDGE" import \
	--endpoint-url "$ACMB_ENDPOINT_URL" "${RSA[@]}" --no-sign-request
expect_rc "--no-sign-request: sent unsigned" 5 "MissingAuthenticationToken"

# --cli-auto-prompt: on a terminal, the missing required parameters are
# asked for, with TAB completing file names; never without a terminal.
run "$PYTHON3" "$ACMB_TESTS_DIR/query/prompt_pty.py" "$P" \
	'--certificate=rs\t.p\t;--private-key=rsa.k\t' -- "$ACMBRIDGE" import \
	--endpoint-url "$ACMB_ENDPOINT_URL" --certificate-chain "$P/chain.pem" --dry-run \
	--output text --cli-auto-prompt
if [ "$rc" = 0 ] && grep -q "plan:" "$WORK/out"; then
	ok "--cli-auto-prompt: asked for both files, completed with TAB"
else
	fail "--cli-auto-prompt on a terminal" "rc $rc: $(tail -c 400 "$WORK/out")"
fi
run imp --certificate-chain "$P/chain.pem" --dry-run --cli-auto-prompt </dev/null
expect_rc "--cli-auto-prompt without a terminal: no prompt" 2
printf '[default]\ncli_auto_prompt = on\n' >"$AWS_CONFIG_FILE"
run "$PYTHON3" "$ACMB_TESTS_DIR/query/prompt_pty.py" "$P" '' -- "$ACMBRIDGE" import \
	--endpoint-url "$ACMB_ENDPOINT_URL" --dry-run --no-cli-auto-prompt
if [ "$rc" = 2 ] && ! grep -q -- "--certificate (PEM" "$WORK/out"; then
	ok "--no-cli-auto-prompt over the profile's cli_auto_prompt = on"
else
	fail "--no-cli-auto-prompt over the profile" "rc $rc: $(tail -c 300 "$WORK/out")"
fi
: >"$AWS_CONFIG_FILE"

# whoami: --query over GetCallerIdentity's answer; its JSON as before.
run "$ACMBRIDGE" whoami --endpoint-url "$ACMB_ENDPOINT_URL" --output json
expect_rc "whoami --output json" 0
acct=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["Account"])' "$WORK/out")
run "$ACMBRIDGE" whoami --endpoint-url "$ACMB_ENDPOINT_URL" --query Account --output text
check "whoami --query Account --output text" "$rc $(cat "$WORK/out")" "0 $acct"
run "$ACMBRIDGE" whoami --endpoint-url "$ACMB_ENDPOINT_URL" --output yaml --query '{a: Account}'
check "whoami --output yaml --query" "$rc $(cat "$WORK/out")" "0 a: '$acct'"

# check: the new formats; its own text and JSON as before.
run "$ACMBRIDGE" check "${RSA[@]}" --query ok --output text
check "check --query ok --output text" "$rc $(cat "$WORK/out")" "0 True"
run "$ACMBRIDGE" check "${RSA[@]}" --output json
if [ "$rc" = 0 ] && head -2 "$WORK/out" | grep -q '^  "ok": true'; then
	ok "check --output json: its own 2-space JSON, as before"
else
	fail "check --output json: its own JSON" "$(head -c 200 "$WORK/out")"
fi
run "$ACMBRIDGE" check "${RSA[@]}" --output table --color off
if [ "$rc" = 0 ] && grep -q "CheckCertificate" "$WORK/out" && grep -q "key_algorithm" "$WORK/out"; then
	ok "check --output table"
else
	fail "check --output table" "$(head -c 300 "$WORK/out")"
fi
run "$ACMBRIDGE" check "${RSA[@]}" --output yaml --query 'checks[?!ok].rule'
check "check --output yaml --query: no failed rule" "$rc $(cat "$WORK/out")" "0 []"

finish
