#!/bin/bash
# --output byte for byte against the real AWS CLI (/usr/bin/aws) reading the
# same answers from the local endpoint: for describe-certificate,
# list-certificates, get-certificate, list-tags-for-certificate and
# import-certificate, `aws --output json` is saved and `acmbridge query`
# lays it out in every format (with and without --query, table colours off
# and on); each must equal what `aws` itself prints in that format.
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${ACMBRIDGE:?ACMBRIDGE must name the acmbridge binary}"
export PYTHON3=${PYTHON3:-/usr/bin/python3}
source "$ACMB_TESTS_DIR/lib/endpoint.sh"
source "$ACMB_TESTS_DIR/endpoint/pki.sh"

export AWS_MAX_ATTEMPTS=1 AWS_PAGER="" AWS_RETRY_MODE=standard
AWS=/usr/bin/aws
PASSED=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmb-output.XXXXXX")
trap 'endpoint_stop; rm -rf "$WORK"' EXIT

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $1${2:+: $2}"; }

acm() { "$AWS" --endpoint-url "$ACMB_ENDPOINT_URL" acm "$@"; }

# same NAME OPERATION QUERY AWS-ARGS...: every format of `aws` against
# acmbridge query over the saved json (QUERY "" means none).
same() {
	local name=$1 op=$2 query=$3 fmt color
	local -a q=() ours=()
	shift 3
	[ -n "$query" ] && q=(--query "$query")
	acm "$@" --output json >"$WORK/answer.json"
	for fmt in json text table table-on yaml yaml-stream; do
		color=off
		if [ "$fmt" = table-on ]; then
			fmt=table
			color=on
		fi
		acm "$@" ${q[@]+"${q[@]}"} --output "$fmt" --color "$color" >"$WORK/aws.out" 2>"$WORK/aws.err" || {
			fail "$name --output $fmt --color $color" "aws failed: $(head -c 300 "$WORK/aws.err")"
			continue
		}
		ours=("$ACMBRIDGE" query "${query:-@}" "$WORK/answer.json" --output "$fmt" --color "$color" --title "$op")
		if ! "${ours[@]}" >"$WORK/ours.out" 2>"$WORK/ours.err"; then
			fail "$name --output $fmt --color $color" "acmbridge failed: $(head -c 300 "$WORK/ours.err")"
		elif cmp -s "$WORK/aws.out" "$WORK/ours.out"; then
			pass "$name --output $fmt --color $color ($(wc -c <"$WORK/aws.out") bytes)"
		else
			fail "$name --output $fmt --color $color" \
				"$(diff <(od -c "$WORK/aws.out") <(od -c "$WORK/ours.out") | head -20)"
		fi
	done
}

pki_make "$WORK/pki"
P=$WORK/pki
endpoint_start

arn=$(acm import-certificate --certificate "fileb://$P/rsa.pem" \
	--private-key "fileb://$P/rsa.key" --certificate-chain "fileb://$P/chain.pem" \
	--tags Key=team,Value=edge Key=env,Value=test Key=é,Value=日本 \
	--query CertificateArn --output text)
acm import-certificate --certificate "fileb://$P/ec.pem" --private-key "fileb://$P/ec.key" \
	--certificate-chain "fileb://$P/chain-ec.pem" --output json >/dev/null
acm import-certificate --certificate "fileb://$P/self.pem" --private-key "fileb://$P/self.key" \
	--output json >/dev/null

same "describe-certificate" DescribeCertificate "" describe-certificate --certificate-arn "$arn"
same "describe-certificate --query" DescribeCertificate \
	"Certificate.{Domain: DomainName, SANs: SubjectAlternativeNames, Usages: KeyUsages[].Name, In: InUseBy}" \
	describe-certificate --certificate-arn "$arn"
same "list-certificates" ListCertificates "" list-certificates
same "list-certificates all key types" ListCertificates "" \
	list-certificates --includes keyTypes=EC_prime256v1,RSA_2048,RSA_4096
same "list-certificates --query" ListCertificates \
	"CertificateSummaryList[?KeyAlgorithm=='RSA-2048'].[CertificateArn, DomainName]" \
	list-certificates
same "list-certificates --query scalar" ListCertificates "length(CertificateSummaryList)" \
	list-certificates
same "list-certificates --query shared" ListCertificates \
	"[CertificateSummaryList[0], CertificateSummaryList[0]]" list-certificates
same "get-certificate" GetCertificate "" get-certificate --certificate-arn "$arn"
same "list-tags-for-certificate" ListTagsForCertificate "" \
	list-tags-for-certificate --certificate-arn "$arn"
same "list-tags-for-certificate --query" ListTagsForCertificate "Tags[?Key=='é'].Value | [0]" \
	list-tags-for-certificate --certificate-arn "$arn"
same "import-certificate (reimport)" ImportCertificate "" import-certificate \
	--certificate-arn "$arn" --certificate "fileb://$P/rsa.pem" \
	--private-key "fileb://$P/rsa.key" --certificate-chain "fileb://$P/chain.pem"

echo "# $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
