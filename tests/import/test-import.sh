#!/bin/bash
# acmbridge import, end to end against the local ACM endpoint over HTTPS:
# new import and its output, reimport keeping the ARN, tags at import and
# as a separate step after a reimport, --dry-run, --cli-input-json, the
# credential sources, every error class with its exit code, retries, and no
# duplicates when answers are lost or a run is repeated.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PY=${PYTHON3:-/usr/bin/python3}
PYTHON3=$PY
export ACMB_TEST_NO_BACKOFF=1
# No 2 s settle after each new import (200 of them below); the settle and
# racing imports are tested in test-converge.sh.
export ACMB_TEST_CONVERGE_SETTLE=0
# shellcheck source=../lib/material.sh
. "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/endpoint.sh
. "$ACMB_TESTS_DIR/lib/endpoint.sh"

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

# imp ARGS...: runs import against the endpoint; sets $out, $rc, $D/stderr.
imp() {
	out=$("$ACMBRIDGE" import --endpoint-url "$ACMB_ENDPOINT_URL" \
		--ca-bundle "$ACMB_ENDPOINT_CA" "$@" 2>"$D/stderr")
	rc=$?
}

# expect_rc NAME RC [STDERR-SUBSTRING]
expect_rc() {
	if [ "$rc" -ne "$2" ]; then
		bad "$1: exit $rc, wanted $2: $(head -c 400 "$D/stderr")"
	elif [ -n "${3:-}" ] && ! grep -qF -- "$3" "$D/stderr"; then
		bad "$1: stderr lacks '$3': $(head -c 400 "$D/stderr")"
	else
		ok
	fi
}

expect_eq() {
	if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', wanted '$3'"; fi
}

arn_of() { printf '%s' "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["CertificateArn"])'; }

# ops_since N: the operations the endpoint logged after the first N requests.
request_count() { endpoint_requests | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'; }
ops_since() {
	endpoint_requests | "$PY" -c '
import json, sys
r = json.load(sys.stdin)["requests"][int(sys.argv[1]):]
print(" ".join(x.get("operation") or "?" for x in r))' "$1"
}

# cert_field ARN EXPR: a Python expression over the endpoint's record c.
cert_field() {
	endpoint_certs | "$PY" -c '
import json, sys
c = [c for c in json.load(sys.stdin)["certificates"] if c["arn"] == sys.argv[1]][0]
print(eval(sys.argv[2]))' "$1" "$2"
}

# Material: RSA and EC hierarchies, and leaves to import.
mat_cert root --ca --key rsa:2048 --subj "/CN=Test Root CA" >/dev/null
mat_cert inter --ca --issuer root --key rsa:2048 --subj "/CN=Test Intermediate CA" >/dev/null
mat_chain "$D/chain.pem" inter root
mat_cert web --issuer inter --key rsa:2048 --san DNS:web.example.com --eku serverAuth >/dev/null
mat_cert web2 --issuer inter --keyfile "$D/web.key" --san DNS:web.example.com --eku serverAuth >/dev/null
mat_cert other --issuer inter --key rsa:3072 --san DNS:web.example.com --eku serverAuth >/dev/null
mat_cert ecroot --ca --key ec:prime256v1 --subj "/CN=EC Root" >/dev/null
mat_cert ecleaf --issuer ecroot --key ec:prime256v1 --san DNS:ec.example.com >/dev/null
mat_cert bad --issuer inter --key rsa:2048 --san DNS:bad.example.com >/dev/null
mat_key "$D/stranger.key" rsa:2048 >/dev/null

endpoint_start --tls || exit 1
WEB=(--certificate "fileb://$D/web.pem" --private-key "fileb://$D/web.key" --certificate-chain "fileb://$D/chain.pem")

# 1. New import: the AWS CLI's JSON output, tags stored, chain verified.
imp "${WEB[@]}" --tags Key=team,Value=edge Key=env
expect_rc "new import" 0 "verified: ACM shows serial"
ARN=$(arn_of)
expect_eq "json output is exactly the AWS CLI's" "$out" "{
    \"CertificateArn\": \"$ARN\"
}"
expect_eq "tags stored with the import" "$(cert_field "$ARN" 'sorted((t["Key"], t.get("Value")) for t in c["tags"] if t["Key"] != "acmbridge:sha256")')" "[('env', None), ('team', 'edge')]"
expect_eq "provenance tag is the SHA-256" "$(cert_field "$ARN" '[t["Value"] for t in c["tags"] if t["Key"] == "acmbridge:sha256"][0] == c["fingerprint_sha256"]')" "True"
expect_eq "one certificate" "$(endpoint_cert_count)" 1

# 2. The same import again: safe, same ARN, nothing sent to ImportCertificate.
n=$(request_count)
imp "${WEB[@]}" --output text
expect_rc "repeated import" 0 "already holds this certificate"
expect_eq "repeated import returns the ARN (text output)" "$out" "$ARN"
[[ " $(ops_since "$n") " != *" ImportCertificate "* ]] && ok || bad "repeated import sent ImportCertificate"
expect_eq "still one certificate" "$(endpoint_cert_count)" 1
imp "${WEB[@]}" --allow-duplicate --no-provenance-tag --output text
expect_rc "--allow-duplicate imports a copy" 0
[ "$out" != "$ARN" ] && ok || bad "--allow-duplicate returned the old ARN"
endpoint_reset

# 3. Reimport keeps the ARN; tags never sent with it, applied afterwards.
imp "${WEB[@]}" --tags Key=team,Value=edge --output text
ARN=$out
n=$(request_count)
imp --certificate "$D/web2.pem" --private-key "$D/web.key" --certificate-chain "$D/chain.pem" \
	--certificate-arn "$ARN" --tags Key=team,Value=core Key=env,Value=prod
expect_rc "reimport" 0 "changed tag team: 'edge' -> 'core'"
expect_eq "reimport keeps the ARN" "$(arn_of)" "$ARN"
expect_eq "reimport stored the new certificate" "$(cert_field "$ARN" 'c["import_count"]')" 2
expect_eq "tags after reimport" "$(cert_field "$ARN" 'sorted((t["Key"], t.get("Value")) for t in c["tags"] if t["Key"] != "acmbridge:sha256")')" "[('env', 'prod'), ('team', 'core')]"
ops=$(ops_since "$n")
[[ $ops == *"ImportCertificate"*"RemoveTagsFromCertificate"*"AddTagsToCertificate"* ]] && ok ||
	bad "reimport then RemoveTags then AddTags expected, got: $ops"
endpoint_requests | "$PY" -c '
import json, sys
r = [x for x in json.load(sys.stdin)["requests"] if x.get("operation") == "ImportCertificate"]
sys.exit(0 if r and all(x.get("status") == 200 for x in r) else 1)' && ok || bad "an ImportCertificate failed (tags on reimport?)"

# 4. --dry-run prints the plan and writes nothing.
n=$(request_count)
imp --certificate "$D/web.pem" --private-key "$D/web.key" --certificate-chain "$D/chain.pem" \
	--certificate-arn "$ARN" --tags Key=team,Value=other --dry-run --output text
expect_rc "dry-run reimport" 0
[[ $out == *"plan: reimport into $ARN"* && $out == *"would change tag team: 'core' -> 'other'"* ]] && ok ||
	bad "dry-run plan: $out"
ops=$(ops_since "$n")
[[ $ops != *Import* && $ops != *AddTags* && $ops != *RemoveTags* ]] && ok || bad "dry-run wrote: $ops"
expect_eq "dry-run left the tags" "$(cert_field "$ARN" '[t.get("Value") for t in c["tags"] if t["Key"] == "team"]')" "['core']"
imp --certificate "$D/ecleaf.pem" --private-key "$D/ecleaf.key" --certificate-chain "$D/ecroot.pem" --dry-run
expect_rc "dry-run new import" 0
expect_eq "dry-run JSON action" "$(printf '%s' "$out" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["DryRun"], d["Action"])')" "True import"

# 5. Reimport refusals: ACM's rules judged before anything is written.
n=$(request_count)
imp --certificate "$D/other.pem" --private-key "$D/other.key" --certificate-chain "$D/chain.pem" --certificate-arn "$ARN"
expect_rc "reimport with another key size refused" 3 "reimport-key-type"
[[ $(ops_since "$n") != *ImportCertificate* ]] && ok || bad "refused reimport sent ImportCertificate"
imp "${WEB[@]}" --certificate-arn "${ARN%/*}/00000000-0000-0000-0000-000000000000"
expect_rc "reimport into an unknown ARN" 5 "ResourceNotFoundException"

# 6. A rule failure: exit 3, every failing rule named, nothing sent.
n=$(request_count)
imp --certificate "$D/bad.pem" --private-key "$D/stranger.key" --certificate-chain "$D/chain.pem"
expect_rc "key of another certificate" 3 "key-matches-certificate"
expect_eq "nothing sent on a rule failure" "$(ops_since "$n")" ""

# 7. Usage errors: exit 2.
imp --certificate "$D/web.pem" --private-key "$D/web.key" --output yaml
expect_rc "bad --output" 2
imp --certificate "$D/nope.pem" --private-key "$D/web.key"
expect_rc "missing file" 2
imp "${WEB[@]}" --tags Foo=1
expect_rc "bad shorthand tag" 2 "Key=K,Value=V"
imp "${WEB[@]}" --tags Key=aws:reserved,Value=x
expect_rc "aws: tag prefix refused" 2 "aws:"
out=$("$ACMBRIDGE" import "${WEB[@]}" --cli-input-json '{"PrivateKey": "-----BEGIN PRIVATE KEY-----"}' 2>"$D/stderr")
rc=$?
expect_rc "a key in inline --cli-input-json refused" 2 "visible to every user"

# 8. --cli-input-json from a file, blobs base64 as the AWS CLI v2 writes them.
endpoint_reset
"$PY" - "$D" <<'EOF'
import base64, json, sys
d = sys.argv[1]
b = lambda p: base64.b64encode(open(p, "rb").read()).decode()
json.dump({"Certificate": b(d + "/ecleaf.pem"), "PrivateKey": b(d + "/ecleaf.key"),
           "CertificateChain": open(d + "/ecroot.pem").read(),
           "Tags": [{"Key": "from", "Value": "json"}]}, open(d + "/input.json", "w"))
EOF
imp --cli-input-json "file://$D/input.json" --output text
expect_rc "--cli-input-json file" 0
expect_eq "--cli-input-json tags" "$(cert_field "$out" '[t["Value"] for t in c["tags"] if t["Key"] == "from"]')" "['json']"
imp --cli-input-json "file://$D/input.json" --certificate "$D/web.pem"
expect_rc "--cli-input-json material with options refused" 2 "not both"
out=$("$ACMBRIDGE" import --generate-cli-skeleton 2>"$D/stderr")
rc=$?
expect_rc "--generate-cli-skeleton" 0
[[ $out == *'"PrivateKey": null'* ]] && ok || bad "skeleton: $out"

# 9. Credential sources: session token, profile file, credential_process.
endpoint_reset
( export AWS_ACCESS_KEY_ID=$ACMB_TEST_STS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$ACMB_TEST_STS_SECRET_ACCESS_KEY \
	AWS_SESSION_TOKEN=$ACMB_TEST_STS_SESSION_TOKEN
  imp "${WEB[@]}" --output text; expect_rc "session token" 0; echo "$passed $failed" >"$D/sub" )
read -r passed failed <"$D/sub"
( unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  export AWS_ACCESS_KEY_ID=AKIAUNKNOWN0000000000 AWS_SECRET_ACCESS_KEY=wrong
  imp "${WEB[@]}"; expect_rc "unknown access key" 5 "UnrecognizedClientException"
  echo "$passed $failed" >"$D/sub" )
read -r passed failed <"$D/sub"
printf '[profile ops]\nregion = us-east-1\n' >"$AWS_CONFIG_FILE"
printf '[ops]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$ACMB_TEST_ACCESS_KEY_ID" "$ACMB_TEST_SECRET_ACCESS_KEY" >"$AWS_SHARED_CREDENTIALS_FILE"
( unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION
  imp "${WEB[@]}" --profile ops --output text; expect_rc "profile from the shared files" 0
  echo "$passed $failed" >"$D/sub" )
read -r passed failed <"$D/sub"
printf '#!/bin/sh\nprintf %s\n' "'{\"Version\": 1, \"AccessKeyId\": \"$ACMB_TEST_STS_ACCESS_KEY_ID\", \"SecretAccessKey\": \"$ACMB_TEST_STS_SECRET_ACCESS_KEY\", \"SessionToken\": \"$ACMB_TEST_STS_SESSION_TOKEN\"}'" >"$D/creds.sh"
chmod +x "$D/creds.sh"
printf '[profile proc]\nregion = us-east-1\ncredential_process = %s\n' "$D/creds.sh" >"$AWS_CONFIG_FILE"
( unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION
  export AWS_PROFILE=proc
  imp "${WEB[@]}" --output text; expect_rc "credential_process" 0
  imp "${WEB[@]}" --profile missing; expect_rc "unknown profile" 2 "missing"
  echo "$passed $failed" >"$D/sub" )
read -r passed failed <"$D/sub"
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

# 10. TLS: the right CA works (above); a wrong CA and no CA fail with exit 6.
out=$("$ACMBRIDGE" import --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$D/root.pem" "${WEB[@]}" 2>"$D/stderr")
rc=$?
expect_rc "wrong CA bundle" 6 "--ca-bundle"
out=$("$ACMBRIDGE" import --endpoint-url "http://127.0.0.1:9" "${WEB[@]}" --cli-connect-timeout 2 2>"$D/stderr")
rc=$?
expect_rc "nothing listening" 6 "cannot reach"

# 11. Retries: throttling and 500s on idempotent calls are retried; a lost
# ImportCertificate answer is looked up, not resent blindly;
# LimitExceededException is a quota and is not retried.
endpoint_reset
endpoint_fault '[{"operation": "ImportCertificate", "fault": "throttle", "times": 2}]'
n=$(request_count)
imp "${WEB[@]}" --output text
expect_rc "throttled twice, then imported" 0
expect_eq "three ImportCertificate requests" "$(ops_since "$n" | tr ' ' '\n' | grep -c '^ImportCertificate$')" 3
grep -qF "(3 ImportCertificate requests)" "$D/stderr" && ok || bad "the note does not count 3 requests: $(cat "$D/stderr")"
endpoint_reset
endpoint_fault '[{"operation": "DescribeCertificate", "fault": "500", "times": 2}]'
imp "${WEB[@]}" --output text
expect_rc "500 on DescribeCertificate retried" 0
endpoint_reset
endpoint_fault '[{"operation": "ImportCertificate", "fault": "500", "times": 1}]'
ACMB_TEST_LANDING_WAIT=2 imp "${WEB[@]}" --output text
expect_rc "500 after ImportCertificate: looked up, then sent again" 0 "was lost"
expect_eq "no duplicate after a 500" "$(endpoint_cert_count)" 1
endpoint_reset
endpoint_fault '[{"operation": "ImportCertificate", "fault": "drop-after", "times": 1}]'
imp "${WEB[@]}" --output text
expect_rc "dropped answer, import had landed" 0 "had landed"
expect_eq "no duplicate after a dropped answer" "$(endpoint_cert_count)" 1
endpoint_reset
endpoint_fault '[{"operation": "ImportCertificate", "fault": "limit", "times": 5}]'
n=$(request_count)
imp "${WEB[@]}"
expect_rc "LimitExceededException not retried" 5 "LimitExceededException"
expect_eq "one ImportCertificate request" "$(ops_since "$n" | tr ' ' '\n' | grep -c '^ImportCertificate$')" 1
endpoint_reset
endpoint_fault '[{"operation": "*", "fault": "throttle", "times": 50}]'
imp "${WEB[@]}" --max-attempts 2
expect_rc "throttling beyond --max-attempts" 5 "ThrottlingException"
endpoint_clear_faults

# 12. Zero duplicates: 200 imports with 20% of all requests' connections
# dropped after the endpoint applied them. A run that still fails (every
# attempt of some call dropped) is run again, as an operator would.
endpoint_reset
mat_cert dupca --ca --key ec:prime256v1 --subj "/CN=Dup CA" >/dev/null
for i in $(seq 1 200); do
	mat_cert "d$i" --issuer dupca --key ec:prime256v1 --san "DNS:d$i.example.com" >/dev/null || bad "material $i"
done
endpoint_fault '[{"operation": "*", "fault": "drop-after", "rate": 0.2, "seed": 7}]'
reruns=0
for i in $(seq 1 200); do
	for try in 1 2 3 4 5; do
		imp --certificate "$D/d$i.pem" --private-key "$D/d$i.key" --certificate-chain "$D/dupca.pem" \
			--output text --max-attempts 5
		[ "$rc" -eq 0 ] && break
		reruns=$((reruns + 1))
	done
	[ "$rc" -eq 0 ] || bad "import $i failed 5 runs: $(head -c 300 "$D/stderr")"
done
endpoint_clear_faults
drops=$(endpoint_requests | "$PY" -c '
import json, sys
print(sum(1 for x in json.load(sys.stdin)["requests"] if x.get("fault") == "drop-after"))')
echo "200 imports: $drops connections dropped after the request was applied, $reruns reruns"
[ "$drops" -ge 40 ] && ok || bad "only $drops drops injected; the test would prove little"
expect_eq "exactly 200 certificates after 200 imports" "$(endpoint_cert_count)" 200
expect_eq "no fingerprint twice" "$(endpoint_certs | "$PY" -c '
import json, sys
c = json.load(sys.stdin)["certificates"]
print(len(c) - len({x["fingerprint_sha256"] for x in c}))')" 0

echo "test-import: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
