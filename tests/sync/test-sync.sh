#!/bin/bash
# acmbridge sync end to end against the local ACM endpoint (HTTPS): a fleet
# of files, kubernetes.io/tls dir and PKCS#12 entries in two regions, and a
# Private CA entry; dry run and its exit codes, create, rerun (nothing sent),
# a renewal at the source (reimport into the same ARN), filters and shards,
# blocked services, manifest errors, adoption, prune with the in-use guard,
# and the aws CLI reading back what sync made.
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

ok() { passed=$((passed + 1)); }
bad() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}
expect_rc() {
	if [ "$rc" -ne "$2" ]; then
		bad "$1: exit $rc, wanted $2: $(head -c 600 "$D/stderr")"
	elif [ -n "${3:-}" ] && ! grep -qF -- "$3" "$D/stderr" && ! printf '%s' "$out" | grep -qF -- "$3"; then
		bad "$1: output lacks '$3': $(head -c 600 "$D/stderr") $(printf '%s' "$out" | head -c 600)"
	else
		ok
	fi
}
expect_eq() {
	if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', wanted '$3'"; fi
}

# sync ARGS...: acmbridge sync against the endpoint; sets $out and $rc.
sync_run() {
	out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
		--manifest "$D/fleet.yaml" "$@" 2>"$D/stderr")
	rc=$?
}
# jq_out EXPR: a field of the last JSON output.
jq_out() { printf '%s' "$out" | jq -r "$1"; }
ops() { endpoint_requests | jq -r '[.requests[].operation] | join(" ")'; }
op_count() { endpoint_requests | jq --arg op "$1" '[.requests[] | select(.operation == $op)] | length'; }

endpoint_start --tls
pca_wait_ready
CA_ARN=$(pca_ca_arn ecp256)

# The fleet: a root and an intermediate; www as files, api as a PKCS#12
# bundle, ingress as a cert-manager Secret folder.
mat_cert root --ca --subj "/CN=Sync Root" >/dev/null
mat_cert inter --ca --issuer root --subj "/CN=Sync Intermediate" >/dev/null
mat_cert www --issuer inter --san DNS:www.example.test --not-after "+90 days" >/dev/null
mat_cert api --issuer inter --san DNS:api.example.test >/dev/null
mat_cert ingress --issuer inter --san DNS:ingress.example.test >/dev/null
openssl pkcs12 -export -in "$D/api.pem" -inkey "$D/api.key" -certfile "$D/inter.pem" \
	-passout pass:bundle-pass -out "$D/api.p12" 2>/dev/null
printf 'bundle-pass\n' >"$D/api.pass"
mkdir -p "$D/ingress-secret"
cat "$D/ingress.pem" "$D/inter.pem" >"$D/ingress-secret/tls.crt"
cp "$D/ingress.key" "$D/ingress-secret/tls.key"
cp "$D/root.pem" "$D/ingress-secret/ca.crt"
chmod 600 "$D"/*.key "$D/ingress-secret/tls.key" "$D/api.pass"

write_manifest() {
	cat >"$D/fleet.yaml" <<YAML
version: 1
defaults:
  destinations: [{region: us-east-1}, {region: eu-west-1}]
  renew-before: 30d
  tags: {team: edge}
certificates:
  - name: www
    files: {certificate: www.pem, private-key: www.key, certificate-chain: inter.pem}
    services: [cloudfront, alb]
  - name: api
    pkcs12: {path: api.p12, passphrase-file: api.pass}
    destinations: [{region: eu-west-1}]
  - name: ingress
    dir: ingress-secret
$1
YAML
}
write_manifest ""

echo "# dry run: the plan, nothing sent but the listing"
sync_run --dry-run --output json
expect_rc "dry run with changes pending" 10
expect_eq "dry run: 5 items" "$(jq_out '.Items | length')" 5
expect_eq "dry run: all create" "$(jq_out '[.Items[].Action] | unique | join(",")')" "create"
expect_eq "dry run: 5 imports planned" "$(jq_out .ImportCalls)" 5
expect_eq "dry run: no ImportCertificate sent" "$(op_count ImportCertificate)" 0
expect_eq "dry run: one listing per region" "$(jq_out .ListingCalls)" 2

echo "# apply"
sync_run --output json
expect_rc "sync creates" 0
expect_eq "sync: 5 done" "$(jq_out .Done)" 5
expect_eq "5 certificates in ACM" "$(endpoint_cert_count)" 5
WWW_US=$(jq_out '.Items[] | select(.Name == "www" and .Region == "us-east-1") | .CertificateArn')
case $WWW_US in arn:aws:acm:us-east-1:*) ok ;; *) bad "www us-east-1 ARN: '$WWW_US'" ;; esac
tags=$(AWS_CA_BUNDLE=$ACMB_ENDPOINT_CA aws --endpoint-url "$ACMB_ENDPOINT_URL" acm \
	list-tags-for-certificate --certificate-arn "$WWW_US" --output json 2>>"$D/stderr")
expect_eq "aws CLI sees acmbridge:name" "$(printf '%s' "$tags" | jq -r '.Tags[] | select(.Key == "acmbridge:name") | .Value')" www
expect_eq "aws CLI sees the manifest's tag" "$(printf '%s' "$tags" | jq -r '.Tags[] | select(.Key == "team") | .Value')" edge
chain=$(AWS_CA_BUNDLE=$ACMB_ENDPOINT_CA aws --endpoint-url "$ACMB_ENDPOINT_URL" --region eu-west-1 acm get-certificate \
	--certificate-arn "$(jq_out '.Items[] | select(.Name == "ingress" and .Region == "eu-west-1") | .CertificateArn')" \
	--output json 2>>"$D/stderr" | jq -r .CertificateChain | grep -c 'BEGIN CERTIFICATE')
expect_eq "dir source: the intermediate and ca.crt form the chain" "$chain" 2

echo "# rerun: unchanged, nothing sent but the listing"
before=$(endpoint_requests | jq '.requests | length')
sync_run --output json
expect_rc "rerun" 0
expect_eq "rerun: all unchanged" "$(jq_out '[.Items[].Action] | unique | join(",")')" "unchanged"
expect_eq "rerun: no per-certificate call" "$(endpoint_requests | jq --argjson n "$before" \
	'[.requests[$n:][] | select(.operation != "ListCertificates" and .operation != "SearchCertificates" and (.target | endswith("SearchCertificates") | not))] | length')" 0
sync_run --dry-run
expect_rc "dry run with nothing pending" 0

echo "# the source renews (cert-manager wrote a new certificate): reimport, same ARN"
mat_cert www --issuer inter --san DNS:www.example.test --not-after "+180 days" >/dev/null
chmod 600 "$D/www.key"
sync_run --dry-run --output json
expect_rc "dry run after a renewal" 10
expect_eq "renewal planned as reimport" "$(jq_out '[.Items[] | select(.Name == "www") | .Action] | unique | join(",")')" reimport
sync_run --output json
expect_rc "reimport" 0
expect_eq "reimport keeps the ARN" "$(jq_out '.Items[] | select(.Name == "www" and .Region == "us-east-1") | .CertificateArn')" "$WWW_US"
expect_eq "still 5 certificates" "$(endpoint_cert_count)" 5

echo "# filters and shards"
sync_run --dry-run --output json --only api
expect_eq "--only api: one item" "$(jq_out '.Items | length')" 1
sync_run --dry-run --output json --region eu-west-1
expect_eq "--region eu-west-1: three items" "$(jq_out '[.Items[].Region] | unique | join(",")'):$(jq_out '.Items | length')" "eu-west-1:3"
s0=$( sync_run --dry-run --output json --shard 0/2; jq_out '[.Items[] | "\(.Name)/\(.Region)"] | join(" ")')
s1=$( sync_run --dry-run --output json --shard 1/2; jq_out '[.Items[] | "\(.Name)/\(.Region)"] | join(" ")')
all=$( sync_run --dry-run --output json; jq_out '[.Items[] | "\(.Name)/\(.Region)"] | sort | join(" ")')
expect_eq "shards are disjoint and complete" "$(printf '%s %s' "$s0" "$s1" | tr ' ' '\n' | grep . | sort | tr '\n' ' ' | sed 's/ $//')" "$all"
sync_run --dry-run --shard 2/2
expect_rc "--shard 2/2 refused" 2 "0 <= I < N"
sync_run --dry-run --only nope
expect_rc "--only unknown name" 2 "no certificate of that name"

echo "# blocked: CloudFront without us-east-1"
write_manifest "  - name: edge
    dir: ingress-secret
    services: [cloudfront]
    destinations: [{region: eu-west-1}]"
sync_run --dry-run --output json --only edge
expect_rc "blocked exits 8" 8
expect_eq "blocked reason" "$(jq_out '.Items[0].Reason')" "cloudfront needs the certificate in us-east-1, and no destination is us-east-1"

echo "# manifest mistakes: FILE:LINE:COLUMN, exit 2, nothing sent"
before=$(endpoint_requests | jq '.requests | length')
printf 'version: 1\ncertificates:\n  - name: a\n    dri: x\n' >"$D/bad.yaml"
out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" --manifest "$D/bad.yaml" 2>"$D/stderr")
rc=$?
expect_rc "unknown key" 2 "bad.yaml:4:5: certificates[0]: unknown key 'dri'"
expect_eq "nothing sent for a bad manifest" "$(endpoint_requests | jq '.requests | length')" "$before"

echo "# adoption: an import made before acmbridge, named in certificate-arn"
mat_cert legacy --issuer inter --san DNS:legacy.example.test --not-after "+30 days" >/dev/null
"$ACMBRIDGE" import --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
	--certificate "$D/legacy.pem" --private-key "$D/legacy.key" --certificate-chain "$D/inter.pem" \
	--region eu-west-1 --output json >"$D/legacy.json" 2>>"$D/stderr"
LEGACY=$(jq -r .CertificateArn "$D/legacy.json")
mat_cert legacy --issuer inter --san DNS:legacy.example.test --not-after "+200 days" >/dev/null
chmod 600 "$D/legacy.key"
write_manifest "  - name: legacy
    files: {certificate: legacy.pem, private-key: legacy.key, certificate-chain: inter.pem}
    destinations: [{region: eu-west-1}]
    certificate-arn: {eu-west-1: '$LEGACY'}"
sync_run --output json --only legacy
expect_rc "adopt and reimport" 0
expect_eq "adopted ARN reimported" "$(jq_out '.Items[0].Action'):$(jq_out '.Items[0].CertificateArn')" "reimport:$LEGACY"

echo "# prune: a name that left the manifest"
write_manifest "  - name: legacy
    files: {certificate: legacy.pem, private-key: legacy.key, certificate-chain: inter.pem}
    destinations: [{region: eu-west-1}]
    certificate-arn: {eu-west-1: '$LEGACY'}"
sed -i '/- name: api/,/destinations: \[{region: eu-west-1}\]$/d' "$D/fleet.yaml"
sync_run --output json --prune --dry-run
expect_rc "prune planned" 10
expect_eq "prune item for api" "$(jq_out '[.Items[] | select(.Action == "prune") | .Name] | join(",")')" api
sync_run --output json --prune
expect_rc "prune" 0
expect_eq "api deleted" "$(endpoint_certs | jq '[.certificates[] | select(.domain == "api.example.test")] | length')" 0
sync_run --output json --prune --only www
expect_rc "--prune with --only refused" 2 "partial view"

echo "# Private CA: issued, imported, then unchanged until renew-before"
cat >"$D/pca.yaml" <<YAML
version: 1
certificates:
  - name: internal
    private-ca:
      certificate-authority-arn: $CA_ARN
      dns-names: [internal.example.test]
      validity: 90d
    destinations: [{region: us-east-1}]
    renew-before: 30d
YAML
out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
	--pca-endpoint-url "$ACMB_ENDPOINT_URL" --manifest "$D/pca.yaml" --output json 2>"$D/stderr")
rc=$?
expect_rc "private-ca create" 0
PCA_ARN=$(jq_out '.Items[0].CertificateArn')
out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
	--pca-endpoint-url "$ACMB_ENDPOINT_URL" --manifest "$D/pca.yaml" --output json 2>"$D/stderr")
rc=$?
expect_rc "private-ca rerun" 0
expect_eq "private-ca unchanged inside its lifetime" "$(jq_out '.Items[0].Action')" unchanged
out=$("$ACMBRIDGE" sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" \
	--pca-endpoint-url "$ACMB_ENDPOINT_URL" --manifest "$D/pca.yaml" --output json --at "$(date -u -d '+75 days' +%Y-%m-%dT%H:%M:%SZ)" --dry-run 2>"$D/stderr")
rc=$?
expect_rc "private-ca due at day 75" 10
expect_eq "renewal planned" "$(jq_out '.Items[0].Action'):$(jq_out '.Items[0].CertificateArn')" "renew:$PCA_ARN"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
