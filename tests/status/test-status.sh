#!/bin/bash
# acmbridge status against the local ACM endpoint: a seeded two-region
# inventory (managed by sync, unmanaged, adoptable, RSA and EC, expired with
# a later clock), in text, JSON, Prometheus (promtool check metrics) and HTML
# (headless Chromium: no console error, a screenshot, one mark per
# certificate, a <script> domain shown as text).
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PY=${PYTHON3:-/usr/bin/python3}
PYTHON3=$PY
export ACMB_TEST_NO_BACKOFF=1
# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"
# shellcheck source=../lib/material.sh
. "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/endpoint.sh
. "$ACMB_TESTS_DIR/lib/endpoint.sh"

mat_setup
D=$MAT_DIR
trap 'mat_cleanup; _endpoint_on_exit' EXIT

endpoint_start --tls
AWS=(--endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA")

mat_cert root --ca --subj "/CN=Status Root" >/dev/null
mat_cert www --issuer root --subj /CN=www.example.test --san DNS:www.example.test --not-after "+30 days" >/dev/null
mat_cert rroot --ca --key rsa:2048 --subj "/CN=Status RSA Root" >/dev/null
mat_cert api --issuer rroot --key rsa:2048 --subj /CN=api.example.test --san DNS:api.example.test >/dev/null
mat_cert old --issuer root --subj /CN=old.example.test --san DNS:old.example.test >/dev/null
# A subject ACM's tag rules would refuse but a certificate can carry.
mat_cert xss --issuer root --subj "/CN=<script>alert(1)<\\/script>" --san 'DNS:x.example.test' >/dev/null
chmod 600 "$D"/*.key
cat >"$D/fleet.yaml" <<YAML
version: 1
defaults: {destinations: [{region: us-east-1}, {region: eu-west-1}], renew-before: 30%}
certificates:
  - name: www
    files: {certificate: www.pem, private-key: www.key, certificate-chain: root.pem}
  - name: api
    files: {certificate: api.pem, private-key: api.key, certificate-chain: rroot.pem}
    destinations: [{region: eu-west-1}]
  - name: old
    files: {certificate: old.pem, private-key: old.key, certificate-chain: root.pem}
    destinations: [{region: eu-west-1}]
YAML
"$ACMBRIDGE" sync "${AWS[@]}" --manifest "$D/fleet.yaml" --only www --only api --output json >/dev/null 2>"$D/stderr" ||
	fail "seeding sync: $(cat "$D/stderr") $("$ACMBRIDGE" sync "${AWS[@]}" --manifest "$D/fleet.yaml" --output json --dry-run 2>&1 | head -c 800)"
# 'old' imported by hand: unmanaged, and adoptable by the manifest's entry.
"$ACMBRIDGE" import "${AWS[@]}" --region eu-west-1 --certificate "$D/old.pem" --private-key "$D/old.key" --certificate-chain "$D/root.pem" \
	--output json >/dev/null 2>>"$D/stderr" || fail "seeding import: $(tail -3 "$D/stderr")"
"$ACMBRIDGE" import "${AWS[@]}" --region us-east-1 --certificate "$D/xss.pem" --private-key "$D/xss.key" --certificate-chain "$D/root.pem" \
	--output json >/dev/null 2>>"$D/stderr" ||
	fail "seeding the hostile tag: $(tail -1 "$D/stderr")"

echo "# JSON"
out=$("$ACMBRIDGE" status "${AWS[@]}" --manifest "$D/fleet.yaml" --output json 2>"$D/stderr")
expect_eq "json: exit 0" "$?" 0
expect_eq "json: 5 certificates in 2 regions" "$(printf '%s' "$out" | jq -r '[.Summary.Certificates, (.Certificates | map(.Region) | unique | length)] | join(" ")')" "5 2"
expect_eq "json: unmanaged old is adoptable by old" "$(printf '%s' "$out" | jq -r '.Certificates[] | select(.Domains[0] == "old.example.test") | "\(.Name) \(.AdoptableBy)"')" "null old"
expect_eq "json: sorted by days left, www first" "$(printf '%s' "$out" | jq -r '.Certificates[0].Name')" www
expect_eq "json: next action for www" "$(printf '%s' "$out" | jq -r '.Certificates[0].NextAction')" unchanged
expect_eq "json: RSA and EC" "$(printf '%s' "$out" | jq -r '[.Certificates[].KeyAlgorithm] | unique | length')" 2

echo "# a later clock: www expired"
out=$("$ACMBRIDGE" status "${AWS[@]}" --manifest "$D/fleet.yaml" --output json --at "$(date -u -d '+40 days' +%Y-%m-%dT%H:%M:%SZ)" 2>"$D/stderr")
expect_eq "expired count" "$(printf '%s' "$out" | jq -r .Summary.Expired)" 2
expect_eq "expired days left negative" "$(printf '%s' "$out" | jq -r '[.Certificates[] | select(.Name == "www") | .DaysLeft < 0] | all')" true

echo "# text"
out=$("$ACMBRIDGE" status "${AWS[@]}" --manifest "$D/fleet.yaml" --output text 2>"$D/stderr")
expect_eq "text: no line over 80 columns" "$(printf '%s\n' "$out" | grep -v '^[0-9]* certificates:' | awk 'length > 80' | wc -l)" 0
expect_eq "text: no colour off a terminal" "$(printf '%s' "$out" | grep -c $'\033')" 0
expect_eq "text: the hostile subject is shown as text" "$(printf '%s' "$out" | grep -c '<script>alert(1)</s')" 1

echo "# Prometheus, atomically into a file"
"$ACMBRIDGE" status "${AWS[@]}" --manifest "$D/fleet.yaml" --output prometheus --output-file "$D/acmbridge.prom" 2>"$D/stderr"
expect_eq "prometheus: exit 0" "$?" 0
expect_eq "prometheus: no temporary file left" "$(ls "$D" | grep -c 'acmbridge.prom.tmp')" 0
if command -v promtool >/dev/null; then
	promtool check metrics <"$D/acmbridge.prom" >"$D/promtool.out" 2>&1
	expect_eq "promtool check metrics: clean" "$?:$(cat "$D/promtool.out")" "0:"
else
	fail "promtool is not installed (scripts/deps.sh installs prometheus)"
fi
expect_eq "prometheus: one not_after per certificate" "$(grep -c '^acmbridge_certificate_not_after_seconds{' "$D/acmbridge.prom")" 5

echo "# HTML in headless Chromium"
"$ACMBRIDGE" status "${AWS[@]}" --manifest "$D/fleet.yaml" --output html --output-file "$D/status.html" 2>"$D/stderr"
expect_eq "html: exit 0" "$?" 0
expect_eq "html: the hostile subject escaped" "$(grep -c '&lt;script&gt;alert(1)&lt;/script&gt;' "$D/status.html"):$(grep -c '<script' "$D/status.html")" "2:0"
if command -v chromium >/dev/null; then
	flags=(--headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$D/chromium")
	timeout 120 chromium "${flags[@]}" --enable-logging=stderr --v=0 --window-size=1000,800 \
		--screenshot="$D/status.png" "file://$D/status.html" >"$D/chromium.out" 2>&1
	expect_eq "html: screenshot taken" "$([ -s "$D/status.png" ] && echo yes)" yes
	expect_eq "html: no console error" "$(grep -c 'CONSOLE' "$D/chromium.out")" 0
	marks=$(timeout 120 chromium "${flags[@]}" --dump-dom "file://$D/status.html" 2>/dev/null |
		grep -o '<circle class="mark' | wc -l)
	expect_eq "html: one mark per certificate" "$marks" 5
	[ -n "${ACMB_STATUS_SCREENSHOT:-}" ] && cp "$D/status.png" "$ACMB_STATUS_SCREENSHOT"
else
	fail "chromium is not installed (scripts/deps.sh installs it)"
fi

echo "# a region that cannot be listed is said, the others shown"
out=$("$ACMBRIDGE" status "${AWS[@]}" --region eu-west-1 --region Bad_Region --output json 2>"$D/stderr")
rc=$?
expect_eq "bad region: non-zero exit" "$([ $rc -ne 0 ] && echo yes)" yes
# Named where it failed (and again in the closing error line when the
# region is refused before any request: the configuration checks its name).
expect_eq "bad region: named on stderr" "$([ "$(grep -c 'Bad_Region' "$D/stderr")" -ge 1 ] && echo yes)" yes

echo "# in use and CloudFront-managed certificates (seeded through the endpoint's control)"
mat_cert cf --issuer root --subj /CN=cdn.example.test --san DNS:cdn.example.test >/dev/null
chmod 600 "$D/cf.key"
cf_arn=$("$ACMBRIDGE" import "${AWS[@]}" --region us-east-1 --certificate "$D/cf.pem" --private-key "$D/cf.key" \
	--certificate-chain "$D/root.pem" --output json 2>>"$D/stderr" | jq -r .CertificateArn)
xss_arn=$(endpoint_certs | jq -r '.certificates[] | select(.domain == "x.example.test" or (.domain | tostring | contains("script"))) | .arn' | head -1)
endpoint_acm_control "{\"managed_by\": {\"$cf_arn\": \"CLOUDFRONT\"}, \"in_use\": {\"$xss_arn\": [\"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1\"]}}"
out=$("$ACMBRIDGE" status "${AWS[@]}" --region us-east-1 --output json 2>"$D/stderr")
expect_eq "json: the CloudFront-managed certificate says so" \
	"$(printf '%s' "$out" | jq -r --arg a "$cf_arn" '.Certificates[] | select(.CertificateArn == $a) | .ManagedBy')" CLOUDFRONT
expect_eq "json: the in-use certificate is in use" \
	"$(printf '%s' "$out" | jq -r --arg a "$xss_arn" '.Certificates[] | select(.CertificateArn == $a) | .InUse')" true
expect_eq "json: one in use in us-east-1" "$(printf '%s' "$out" | jq -r '[.Certificates[] | select(.InUse)] | length')" 1
"$ACMBRIDGE" status "${AWS[@]}" --region us-east-1 --output prometheus --output-file "$D/inuse.prom" 2>"$D/stderr"
expect_eq "prometheus: in_use 1 for the certificate a load balancer uses" \
	"$(grep '^acmbridge_certificate_in_use{' "$D/inuse.prom" | grep -F "$xss_arn" | awk '{print $2}')" 1
# A manifest entry for the CloudFront-managed certificate: sync never touches it.
cat >"$D/cf.yaml" <<YAML
version: 1
certificates:
  - name: cdn
    files: {certificate: cf.pem, private-key: cf.key, certificate-chain: root.pem}
    destinations: [{region: us-east-1}]
    certificate-arn: {us-east-1: $cf_arn}
YAML
out=$("$ACMBRIDGE" sync "${AWS[@]}" --manifest "$D/cf.yaml" --dry-run --output json 2>"$D/stderr")
expect_eq "sync: the CloudFront-managed certificate is blocked (exit 8)" "$?" 8
expect_in "sync: its reason names ManagedBy" "ManagedBy CLOUDFRONT" "$(printf '%s' "$out" | jq -r '.Items[0].Reason')"

echo "# --query"
out=$("$ACMBRIDGE" status "${AWS[@]}" --manifest "$D/fleet.yaml" --output text --query 'Summary.Certificates' 2>"$D/stderr")
expect_eq "--query over the JSON form, as text (6 certificates by now)" "$out" 6
"$ACMBRIDGE" status "${AWS[@]}" --manifest "$D/fleet.yaml" --output prometheus --query 'Summary' >/dev/null 2>"$D/stderr"
expect_eq "--query with --output prometheus: exit 2" "$?" 2

echo "# tags: only the candidates' with a manifest"
tag_calls() { endpoint_requests | jq '[.requests[] | select(.operation == "ListTagsForCertificate")] | length'; }
n0=$(tag_calls)
"$ACMBRIDGE" status "${AWS[@]}" --manifest "$D/fleet.yaml" --output json >/dev/null 2>"$D/stderr"
n1=$(tag_calls)
"$ACMBRIDGE" status "${AWS[@]}" --region us-east-1 --region eu-west-1 --output json >/dev/null 2>"$D/stderr"
n2=$(tag_calls)
# us-east-1 holds www, the hostile subject and the CloudFront one; eu-west-1
# www, api and old: the manifest names www, api and old.
expect_eq "with the manifest: 4 tag reads (www twice, api, old)" "$((n1 - n0))" 4
expect_eq "without it: every imported certificate's, 6" "$((n2 - n1))" 6

finish
