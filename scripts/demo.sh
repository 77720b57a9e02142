#!/usr/bin/env bash
# The main job end to end on the embedded default: a throwaway SoftHSM token
# and the local ACM / Private CA endpoint over HTTPS. acmbridge issues a
# certificate from the Private CA with the key generated in the token, exports
# the key under control, imports into ACM and writes the audit line; then the
# offline preflight (good and bad), a file import, a rerun and a reimport,
# cross-checked with the AWS CLI.
# Usage: scripts/demo.sh        (from anywhere; installs what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DACMB_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target acmbridge >/dev/null
A=$PWD/build/acmbridge
MODULE=/usr/lib/softhsm/libsofthsm2.so
export ACMB_TESTS_DIR=$PWD/tests PYTHON3=/usr/bin/python3 AWS_PAGER=
# shellcheck source=../tests/lib/material.sh
. tests/lib/material.sh
# shellcheck source=../tests/lib/endpoint.sh
. tests/lib/endpoint.sh
# shellcheck source=../tests/pca/pca.sh
. tests/pca/pca.sh
mat_setup
trap 'mat_cleanup; _endpoint_on_exit' EXIT
D=$MAT_DIR

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() {
	printf '$ %s\n' "$*" | sed "s|$D/||g; s|$A|acmbridge|g"
	"$@"
}

step "A throwaway SoftHSM token and the local ACM / Private CA endpoint (HTTPS, SigV4 checked with botocore)"
export SOFTHSM2_CONF=$D/softhsm2.conf
mkdir -p "$D/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$D" >"$SOFTHSM2_CONF"
PIN=$(openssl rand -hex 8)
softhsm2-util --init-token --free --label demo --pin "$PIN" --so-pin "$(openssl rand -hex 8)" >/dev/null
(umask 077 && printf '%s\n' "$PIN" >"$D/pin")
unset PIN
endpoint_start --tls
pca_wait_ready
EP=(--endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA")
echo "token: demo (SoftHSM2, $SOFTHSM2_CONF); endpoint: $ACMB_ENDPOINT_URL"

step "issue: Private CA certificate, key generated in the token, CSR signed in the token, import into ACM"
show "$A" issue "${EP[@]}" --pca-endpoint-url "$ACMB_ENDPOINT_URL" \
	--certificate-authority-arn "$(pca_ca_arn ecp256)" --subject "CN=api.example.com,O=Demo" \
	--dns-name api.example.com --validity 90d --module "$MODULE" --pin-file "$D/pin" \
	--key-store "pkcs11:token=demo;object=api" --audit-log "$D/audit.log" \
	--tags Key=source,Value=private-ca | tee "$D/issue.out"

step "The audit log: one record before the key left the token, one with the outcome (never key bytes)"
cat "$D/audit.log"

step "The token keeps the key (sensitive) and now holds the certificate and chain next to it"
show "$A" list --module "$MODULE" --pin-file "$D/pin" --output text "pkcs11:token=demo"

step "An explicit key algorithm of the wrong family is refused before any key is made (exit 3, expected)"
set +e
show "$A" issue "${EP[@]}" --pca-endpoint-url "$ACMB_ENDPOINT_URL" \
	--certificate-authority-arn "$(pca_ca_arn rsa2048)" --dns-name api.example.com --validity 90d \
	--key-algorithm EC_prime256v1
echo "exit code: $?"
set -e

step "Material: a root CA, an intermediate, and a leaf for www.example.com (RSA 2048)"
mat_cert root --ca --key rsa:2048 --subj "/CN=Demo Root CA" >/dev/null
mat_cert inter --ca --issuer root --key rsa:2048 --subj "/CN=Demo Intermediate CA" >/dev/null
mat_cert www --issuer inter --key rsa:2048 --san DNS:www.example.com --eku serverAuth >/dev/null
mat_cert www2 --issuer inter --keyfile "$D/www.key" --san DNS:www.example.com --eku serverAuth >/dev/null
mat_key "$D/other.key" rsa:2048 >/dev/null
# The chain as operators often have it: root first, intermediate twice.
cat "$D/root.pem" "$D/inter.pem" "$D/inter.pem" >"$D/messy-chain.pem"

step "check: every ACM import rule, offline (the chain is put in order)"
show "$A" check --output text --certificate "$D/www.pem" --private-key "$D/www.key" \
	--certificate-chain "$D/messy-chain.pem"

step "check: a key that does not belong to the certificate (exit 3, expected)"
set +e
show "$A" check --output text --certificate "$D/www.pem" --private-key "$D/other.key" \
	--certificate-chain "$D/messy-chain.pem"
echo "exit code: $?"
set -e

step "import: check, import, verify; the key is wiped when ImportCertificate returns"
show "$A" --debug import "${EP[@]}" --certificate "fileb://$D/www.pem" \
	--private-key "fileb://$D/www.key" --certificate-chain "fileb://$D/messy-chain.pem" \
	--tags Key=team,Value=edge 2>&1 | grep -v '^debug: [<>]' | tee "$D/import.out"
ARN=$(grep -o 'arn:aws:acm:[^"]*' "$D/import.out" | tail -1)

step "The same import again: nothing is duplicated"
show "$A" import "${EP[@]}" --certificate "$D/www.pem" --private-key "$D/www.key" \
	--certificate-chain "$D/messy-chain.pem" --output text

step "reimport a renewed certificate into the same ARN; tags applied after it"
show "$A" import "${EP[@]}" --certificate-arn "$ARN" --certificate "$D/www2.pem" \
	--private-key "$D/www.key" --certificate-chain "$D/messy-chain.pem" \
	--tags Key=team,Value=core --output text

step "The AWS CLI, as a second client of the same endpoint, sees it"
show /usr/bin/aws acm describe-certificate "${EP[@]}" --certificate-arn "$ARN" \
	--query 'Certificate.[CertificateArn,Type,Serial,KeyAlgorithm,Status]' --output text
show /usr/bin/aws acm list-tags-for-certificate "${EP[@]}" --certificate-arn "$ARN" --output text

step "A small fleet: a manifest of three certificates in two regions (files, a cert-manager Secret folder, Private CA)"
mat_cert shop --issuer inter --key rsa:2048 --san DNS:shop.example.com --eku serverAuth >/dev/null
mat_cert ingress --issuer inter --key rsa:2048 --san DNS:ingress.example.com --eku serverAuth >/dev/null
mkdir -p "$D/ingress-tls"
cat "$D/ingress.pem" "$D/inter.pem" >"$D/ingress-tls/tls.crt"
cp "$D/ingress.key" "$D/ingress-tls/tls.key"
cp "$D/root.pem" "$D/ingress-tls/ca.crt"
chmod 600 "$D"/*.key "$D/ingress-tls/tls.key"
cat >"$D/fleet.yaml" <<YAML
version: 1
defaults:
  destinations: [{region: us-east-1}, {region: eu-west-1}]
  renew-before: 30d
  tags: {team: edge}
certificates:
  - name: shop
    files: {certificate: shop.pem, private-key: shop.key, certificate-chain: inter.pem}
    services: [cloudfront, alb]
  - name: ingress
    dir: ingress-tls
  - name: internal
    private-ca:
      certificate-authority-arn: $(pca_ca_arn ecp256)
      dns-names: [internal.example.com]
      validity: 90d
    destinations: [{region: eu-west-1}]
YAML
sed "s|$D/||g" "$D/fleet.yaml"

FLEET=(sync "${EP[@]}" --pca-endpoint-url "$ACMB_ENDPOINT_URL" --manifest "$D/fleet.yaml" --output text)
step "sync --dry-run: the plan, nothing changed (exit 10: changes pending, expected)"
set +e
show "$A" "${FLEET[@]}" --dry-run
echo "exit code: $?"
set -e

step "sync: each key loaded once, imported into each of its regions, wiped before the next"
show "$A" "${FLEET[@]}"

step "sync again: nothing to do, nothing sent but the listing"
show "$A" "${FLEET[@]}"

step "cert-manager renews the ingress certificate: the next sync reimports it into the same ARNs"
cp "$D/ingress.key" "$D/ingress-kept.key"
mat_cert ingress --issuer inter --keyfile "$D/ingress-kept.key" --san DNS:ingress.example.com --eku serverAuth \
	--not-after "+400 days" >/dev/null
cat "$D/ingress.pem" "$D/inter.pem" >"$D/ingress-tls/tls.crt"
show "$A" "${FLEET[@]}"

step "status: what ACM holds, what expires when, what acmbridge manages"
show "$A" status "${EP[@]}" --manifest "$D/fleet.yaml" --output text

ISSUED=$(grep -o 'arn:aws:acm:[^"]*' "$D/issue.out" | tail -1)
step "Done: issued from Private CA and imported as $ISSUED; file import kept $ARN; a fleet of 3 kept by sync"
