#!/usr/bin/env bash
# acmbridge issue (AWS Private CA) with the key in memory: the key that the
# test build's ACMB_TEST_KEYGEN_FILE hook "generates" is the one searched for.
# Zero hits at the result and at exit_group after issue, CSR, IssueCertificate,
# GetCertificate, import and verify; and SIGINT / SIGTERM while waiting for
# the certificate (the endpoint answers RequestInProgressException) exit
# 130 / 143 with zero hits at exit_group.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
M=$WORK/mat
make_material "$M"
. "$ACMB_TESTS_DIR/lib/endpoint.sh"
. "$ACMB_TESTS_DIR/pca/pca.sh"
endpoint_start --tls >/dev/null || { fail "endpoint did not start"; finish; }
pca_wait_ready || { fail "Private CA keys not ready"; finish; }
CA_ARN=$(pca_ca_arn ecp256)
ISSUE=("$ACMBRIDGE" issue --endpoint-url "$ACMB_ENDPOINT_URL" --pca-endpoint-url
	"$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" --certificate-authority-arn "$CA_ARN"
	--dns-name custody.example.com --validity 30d)
SECRETS=(--key "$M/ec-pkcs8.pem" --aws-secret "$AWS_SECRET_ACCESS_KEY")

# The whole flow, key in memory.
pca_pending_polls 0
scan pca-memory "${SECRETS[@]}" --env "ACMB_TEST_KEYGEN_FILE=$M/ec-pkcs8.pem" \
	--result-fd 1 --expect-exit 0 --origin -- "${ISSUE[@]}"
case $? in
0) pass "issue, key in memory: zero hits at result and exit, exit code 0" ;;
*) fail "issue, key in memory: secret copies found or exit code not 0 (above)" ;;
esac

# A signal while the certificate is pending: the wait stops, the key is wiped.
signal_wait() {
	local name=$1 sig=$2 want=$3 rc exit_hits
	pca_pending_polls 1000
	scan "$name" "${SECRETS[@]}" --env "ACMB_TEST_KEYGEN_FILE=$M/ec-pkcs8.pem" \
		--signal "$sig@break:acmb_pca_get_certificate" --expect-exit "$want" --origin \
		-- "${ISSUE[@]}" --wait-timeout 120
	rc=$?
	exit_hits=$(hits_at "$name" exit)
	if ! grep -q "sent SIG" "$WORK/$name.out"; then
		fail "$name: the wait was never reached"
	elif [ "$exit_hits" -ne 0 ]; then
		fail "$name: $exit_hits copies left at exit_group after SIG$sig"
	elif [ "$rc" -eq 0 ] || grep -q "\] exit code $want\$" "$WORK/$name.out"; then
		pass "$name: SIG$sig while waiting, exit $want, zero hits at exit_group"
	else
		fail "$name: exit code is not $want"
	fi
	pca_release
}
signal_wait sig-pca-int-in-wait INT 130
signal_wait sig-pca-term-in-wait TERM 143
finish
