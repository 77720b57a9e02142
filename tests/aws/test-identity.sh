#!/bin/bash
# Where credentials come from, end to end: the CLI (acmbridge whoami, import)
# against the local endpoint's STS, SSO portal, SSO-OIDC and ACM, with the
# container and instance-metadata stand-ins (metadata_server.py), and the
# real aws CLI resolving the same profiles as a second client. Then
# tests/test-aws-identity (the cache and its refresh) with the endpoint.
set -euo pipefail

: "${ACMB_TESTS_DIR:?}" "${ACMB_BUILD_DIR:?}" "${ACMBRIDGE:?}"
: "${PYTHON3:=/usr/bin/python3}"
HERE="$ACMB_TESTS_DIR/aws"
AWS=/usr/bin/aws
# shellcheck source=../lib/endpoint.sh
source "$ACMB_TESTS_DIR/lib/endpoint.sh"

# shellcheck source=../lib/assert.sh
source "$ACMB_TESTS_DIR/lib/assert.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmb-identity-test.XXXXXX")
MY_PIDS=()
cleanup() {
	local p
	for p in ${MY_PIDS[@]+"${MY_PIDS[@]}"}; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

start_meta() {
	local var=$1 mode=$2 name=$3 i
	shift 3
	"$PYTHON3" "$HERE/metadata_server.py" --mode "$mode" --ready-file "$WORK/$name.ready" \
		--log "$WORK/$name.log" "$@" >"$WORK/$name.out" 2>&1 &
	MY_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[ -s "$WORK/$name.ready" ] && break
		sleep 0.1
	done
	printf -v "$var" '%s' "$("$PYTHON3" -c \
		'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$WORK/$name.ready")"
}

endpoint_start
URL=$ACMB_ENDPOINT_URL
export AWS_ENDPOINT_URL_STS=$URL AWS_ENDPOINT_URL_SSO=$URL AWS_ENDPOINT_URL_SSO_OIDC=$URL
export AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 AWS_PAGER=""
export HOME="$WORK/home"
mkdir -p "$HOME/.aws/sso/cache"
CONF=$AWS_CONFIG_FILE
CREDS=$AWS_SHARED_CREDENTIALS_FILE
# The runs below name profiles: the environment's keys must not decide.
STATIC_ID=$AWS_ACCESS_KEY_ID
STATIC_SECRET=$AWS_SECRET_ACCESS_KEY
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

cat >"$CREDS" <<EOF
[base]
aws_access_key_id = $STATIC_ID
aws_secret_access_key = $STATIC_SECRET
EOF
cat >"$CONF" <<'EOF'
[profile base]
region = us-east-1
[profile prod]
role_arn = arn:aws:iam::222222222222:role/importer
source_profile = base
region = us-east-1
[profile chain]
role_arn = arn:aws:iam::333333333333:role/second
source_profile = prod
[profile loop1]
role_arn = arn:aws:iam::222222222222:role/one
source_profile = loop2
[profile loop2]
role_arn = arn:aws:iam::222222222222:role/two
source_profile = loop1
[profile nosource]
role_arn = arn:aws:iam::222222222222:role/importer
source_profile = nosuch
[profile denied]
role_arn = arn:aws:iam::222222222222:role/DeniedImporter
source_profile = base
[profile ext]
role_arn = arn:aws:iam::444444444444:role/partner
source_profile = base
external_id = tenant-42
role_session_name = acmb-partner
duration_seconds = 1800
[profile noext]
role_arn = arn:aws:iam::444444444444:role/partner
source_profile = base
[profile envsrc]
role_arn = arn:aws:iam::222222222222:role/importer
credential_source = Environment
[profile ecssrc]
role_arn = arn:aws:iam::555555555555:role/from-container
credential_source = EcsContainer
[profile imdssrc]
role_arn = arn:aws:iam::555555555555:role/from-instance
credential_source = Ec2InstanceMetadata
[profile mfa]
role_arn = arn:aws:iam::222222222222:role/mfa-guarded
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/operator
EOF

# run NAME WANT_RC [ENV=V...] -- ARGS: acmbridge with stdout and stderr
# kept in $WORK/NAME.out and .err; true when it exited WANT_RC.
LAST=
run() {
	local name=$1 want=$2 rc=0
	shift 2
	local -a envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	LAST=$name
	env ${envs[@]+"${envs[@]}"} "$ACMBRIDGE" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
	echo "$rc" >"$WORK/$name.rc"
	[ "$rc" -eq "$want" ]
}

# verdict WHAT: after an `if` over run(s), ok or fail with what the last run said.
verdict() {
	if [ "$1" = 0 ]; then
		ok "$2"
	else
		fail "$2 (last run $LAST: exit $(cat "$WORK/$LAST.rc" 2>/dev/null): $(head -c 600 "$WORK/$LAST.err" 2>/dev/null))"
	fi
}

# field NAME KEY: a field of the JSON acmbridge printed for run NAME.
field() {
	"$PYTHON3" -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print("" if v is None else v)' \
		"$WORK/$1.out" "$2"
}

has() { grep -qF -- "$2" "$WORK/$1.err"; }

sts_sessions() { curl -sS "$URL/__control/sts"; }

# --- assume role from profiles ------------------------------------------

if run static 0 -- whoami --profile base && [ "$(field static Account)" = 123456789012 ] &&
	[ "$(field static Expiration)" = "" ]; then r=0; else r=1; fi
verdict $r "static keys of a profile: account 123456789012, no expiry"
if run role 0 -- whoami --profile prod && [ "$(field role Account)" = 222222222222 ] &&
	[[ "$(field role Arn)" =~ ^arn:aws:sts::222222222222:assumed-role/importer/botocore-session-[0-9]+$ ]] &&
	[ -n "$(field role Expiration)" ] &&
	[[ "$(field role CredentialSource)" == "assume-role arn:aws:iam::222222222222:role/importer (profile prod"* ]]; then r=0; else r=1; fi
verdict $r "role_arn + source_profile: AssumeRole, the CLI's default session name, expiry shown"
if run chain 0 -- whoami --profile chain && [ "$(field chain Account)" = 333333333333 ] &&
	sts_sessions | "$PYTHON3" -c '
import json, sys
s = json.load(sys.stdin)["sessions"][-2:]
assert s[0]["role_arn"].endswith(":role/importer") and s[1]["role_arn"].endswith(":role/second"), s
assert s[1]["source_access_key_id"] == s[0]["access_key_id"], s'; then r=0; else r=1; fi
verdict $r "a chain of two roles: the second assumed with the first one's credentials"
if run loop 2 -- whoami --profile loop1 && has loop "infinite loop in the source_profile chain"; then r=0; else r=1; fi
verdict $r "a profile loop is refused (exit 2)"
if run nosource 2 -- whoami --profile nosource && has nosource 'source_profile "nosuch"'; then r=0; else r=1; fi
verdict $r "a missing source_profile is named (exit 2)"
if run denied 5 -- whoami --profile denied && has denied "AccessDenied" &&
	has denied "trust policy"; then r=0; else r=1; fi
verdict $r "AccessDenied from STS: exit 5 with what to change"
if run ext 0 -- whoami --profile ext --output text &&
	sts_sessions | "$PYTHON3" -c '
import json, sys
s = json.load(sys.stdin)["sessions"][-1]
assert s["external_id"] and s["session_name"] == "acmb-partner" and s["duration"] == 1800, s'; then r=0; else r=1; fi
verdict $r "external_id, role_session_name and duration_seconds are sent"
curl -sS -X POST "$URL/__control/sts" -d \
	'{"roles": {"arn:aws:iam::444444444444:role/partner": {"external_id": "tenant-42"}}}' >/dev/null
if run noext 5 -- whoami --profile noext && has noext AccessDenied &&
	run ext2 0 -- whoami --profile ext; then r=0; else r=1; fi
verdict $r "a role that requires an external id: refused without it, assumed with it"
if run envsrc 0 AWS_ACCESS_KEY_ID="$STATIC_ID" AWS_SECRET_ACCESS_KEY="$STATIC_SECRET" -- \
	whoami --profile envsrc && [ "$(field envsrc Account)" = 222222222222 ]; then r=0; else r=1; fi
verdict $r "credential_source = Environment (with --profile, which hides the keys otherwise)"
CONTAINER_TOKEN="pod-token-$RANDOM$RANDOM"
printf '%s' "$CONTAINER_TOKEN" >"$WORK/pod-token"
start_meta CONTAINER_URL container container --token-file "$WORK/pod-token"
start_meta IMDS_URL imds imds
if run ecssrc 0 AWS_CONTAINER_CREDENTIALS_FULL_URI="$CONTAINER_URL/v1/credentials" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$WORK/pod-token" -- whoami --profile ecssrc &&
	[ "$(field ecssrc Account)" = 555555555555 ]; then r=0; else r=1; fi
verdict $r "credential_source = EcsContainer, with the EKS Pod Identity token file"
if run imdssrc 0 AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$IMDS_URL" -- \
	whoami --profile imdssrc && [ "$(field imdssrc Account)" = 555555555555 ]; then r=0; else r=1; fi
verdict $r "credential_source = Ec2InstanceMetadata"
if run podid 0 AWS_CONTAINER_CREDENTIALS_FULL_URI="$CONTAINER_URL/v1/credentials" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$WORK/pod-token" -- whoami &&
	[[ "$(field podid CredentialSource)" == "container credentials endpoint"* ]] &&
	"$PYTHON3" - "$WORK/container.log" "$CONTAINER_TOKEN" <<'PY'
import hashlib, json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
want = hashlib.sha256(sys.argv[2].encode()).hexdigest()
assert log and all(e["authorization_sha256"] == want and e["status"] == 200 for e in log), log
PY
then r=0; else r=1; fi
verdict $r "EKS Pod Identity: the token file's token sent as Authorization"

# --- MFA ------------------------------------------------------------------

curl -sS -X POST "$URL/__control/sts" -d '{"roles": {"arn:aws:iam::222222222222:role/mfa-guarded":
	{"mfa_serial": "arn:aws:iam::123456789012:mfa/operator", "mfa_code": "314159"}}}' >/dev/null
if "$PYTHON3" - "$ACMBRIDGE" "$WORK/mfa-tty.out" <<'PY'
# A real terminal (pty): the prompt appears there, the code typed is not
# echoed, and the run goes on.
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "whoami", "--profile", "mfa", "--output", "text"])
seen = b""
deadline = time.time() + 60
while b"Enter MFA code for arn:aws:iam::123456789012:mfa/operator: " not in seen:
    if time.time() > deadline:
        sys.exit("no prompt: %r" % seen)
    seen += os.read(fd, 1024)
os.write(fd, b"314159\n")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
open(sys.argv[2], "wb").write(seen)
assert os.WEXITSTATUS(status) == 0, seen
assert b"314159" not in seen, "the MFA code was echoed"
assert b"222222222222\tarn:aws:sts::222222222222:assumed-role/mfa-guarded/" in seen, seen
PY
then
	ok "mfa_serial: the code read from the terminal without echo"
else
	fail "MFA on a terminal: $(cat "$WORK/mfa-tty.out" 2>/dev/null | tr -d '\r' | head -c 400)"
fi
# setsid: no controlling terminal, as under cron or in CI.
if setsid -w "$ACMBRIDGE" whoami --profile mfa </dev/null >"$WORK/mfa-notty.out" \
	2>"$WORK/mfa-notty.err"; then
	fail "MFA without a terminal succeeded"
else
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q "no terminal to ask for it" "$WORK/mfa-notty.err" &&
		sts_sessions | "$PYTHON3" -c '
import json, sys
assert not [s for s in json.load(sys.stdin)["sessions"] if s["mfa"] and not s["role_arn"].endswith("mfa-guarded")]'; then
		ok "MFA without a terminal: exit 2, a clear line, nothing sent"
	else
		fail "MFA without a terminal: exit $rc: $(cat "$WORK/mfa-notty.err")"
	fi
fi

# --- web identity ---------------------------------------------------------

jwt() { # jwt EXP SUB: an unsigned JWT-shaped token
	"$PYTHON3" -c '
import base64, json, sys
b = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
print(b({"alg": "RS256"}) + "." + b({"sub": sys.argv[2], "aud": "sts.amazonaws.com",
      "exp": int(sys.argv[1])}) + ".c2ln", end="")' "$1" "$2"
}
jwt $(($(date +%s) + 3600)) system:serviceaccount:certs:acmbridge >"$WORK/web-token"
if run webenv 0 AWS_ROLE_ARN=arn:aws:iam::666666666666:role/irsa \
	AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/web-token" AWS_ROLE_SESSION_NAME=pod-abc -- whoami &&
	[ "$(field webenv Arn)" = arn:aws:sts::666666666666:assumed-role/irsa/pod-abc ] &&
	endpoint_requests | "$PYTHON3" -c '
import json, sys
r = [e for e in json.load(sys.stdin)["requests"] if e["operation"] == "AssumeRoleWithWebIdentity"]
assert r and r[-1]["auth"] == "unsigned" and r[-1]["status"] == 200, r[-1:]'; then r=0; else r=1; fi
verdict $r "EKS IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, unsigned AssumeRoleWithWebIdentity"
cat >>"$CONF" <<EOF
[profile web]
role_arn = arn:aws:iam::666666666666:role/irsa-profile
web_identity_token_file = $WORK/web-token
EOF
if run webprofile 0 -- whoami --profile web && [ "$(field webprofile Account)" = 666666666666 ]; then r=0; else r=1; fi
verdict $r "web_identity_token_file + role_arn in a profile"
jwt $(($(date +%s) - 60)) system:serviceaccount:certs:acmbridge >"$WORK/old-token"
if run webexpired 5 AWS_ROLE_ARN=arn:aws:iam::666666666666:role/irsa \
	AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/old-token" -- whoami &&
	has webexpired ExpiredTokenException && has webexpired "must renew it"; then r=0; else r=1; fi
verdict $r "an expired web identity token: exit 5, ExpiredTokenException named"
if run webnoarn 2 AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/web-token" -- whoami &&
	has webnoarn "has no role ARN"; then r=0; else r=1; fi
verdict $r "a web identity token without a role ARN: exit 2"

# --- IAM Identity Center (SSO) ----------------------------------------------

cat >>"$CONF" <<'EOF'
[profile sso]
sso_session = corp
sso_account_id = 777777777777
sso_role_name = CertificateAdmin
region = us-east-1
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
[profile ssolegacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 777777777777
sso_role_name = CertificateAdmin
EOF
cache_file() { printf '%s/%s.json' "$HOME/.aws/sso/cache" "$(printf '%s' "$1" | sha1sum | cut -d' ' -f1)"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
NOW=$(date +%s)
SESSION_CACHE=$(cache_file corp)
LEGACY_CACHE=$(cache_file https://legacy.awsapps.com/start)
ACCESS="aoa-valid-$RANDOM$RANDOM"
curl -sS -X POST "$URL/__control/sso" -d "{\"access_token\": \"$ACCESS\", \"expires_in\": 7200}" >/dev/null
cat >"$SESSION_CACHE" <<EOF
{"startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "$ACCESS", "expiresAt": "$(iso $((NOW + 7200)))"}
EOF
if run sso 0 -- whoami --profile sso && [ "$(field sso Account)" = 777777777777 ] &&
	[[ "$(field sso Arn)" == *":assumed-role/AWSReservedSSO_CertificateAdmin_"* ]]; then r=0; else r=1; fi
verdict $r "sso_session: the cached token (SHA-1 of the session name), GetRoleCredentials"
cp "$SESSION_CACHE" "$LEGACY_CACHE"
if run ssolegacy 0 -- whoami --profile ssolegacy && [ "$(field ssolegacy Account)" = 777777777777 ]; then r=0; else r=1; fi
verdict $r "legacy sso_start_url: the cache named by the SHA-1 of the start URL"
cat >"$SESSION_CACHE" <<EOF
{"startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "expired-$RANDOM", "expiresAt": "$(iso $((NOW - 60)))"}
EOF
chmod 600 "$SESSION_CACHE"
before=$(sha256sum "$SESSION_CACHE")
if run ssonorefresh 5 -- whoami --profile sso &&
	has ssonorefresh 'run `aws sso login --profile sso`' && has ssonorefresh "no refresh token" &&
	[ "$(sha256sum "$SESSION_CACHE")" = "$before" ]; then r=0; else r=1; fi
verdict $r "an expired SSO login without a refresh token: exit 5, 'run aws sso login', cache untouched"
REFRESH="aor-$RANDOM$RANDOM"
curl -sS -X POST "$URL/__control/sso" -d "{\"refresh_token\": \"$REFRESH\", \"client_id\": \"cid-1\", \"client_secret\": \"csecret-1\"}" >/dev/null
cat >"$SESSION_CACHE" <<EOF
{"startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "expired-$RANDOM", "expiresAt": "$(iso $((NOW - 60)))", "clientId": "cid-1", "clientSecret": "csecret-1", "registrationExpiresAt": "$(iso $((NOW + 86400)))", "refreshToken": "$REFRESH"}
EOF
chmod 644 "$SESSION_CACHE"
if run ssorefresh 0 -- whoami --profile sso && [ "$(field ssorefresh Account)" = 777777777777 ] &&
	[ "$(stat -c %a "$SESSION_CACHE")" = 600 ] &&
	"$PYTHON3" - "$SESSION_CACHE" "$REFRESH" <<'PY'
import datetime, json, sys
t = json.load(open(sys.argv[1]))
assert list(t) == ["startUrl", "region", "accessToken", "expiresAt", "clientId",
                   "clientSecret", "registrationExpiresAt", "refreshToken"], list(t)
assert t["accessToken"].startswith("aoa") and t["refreshToken"] != sys.argv[2], t["refreshToken"][:3]
exp = datetime.datetime.strptime(t["expiresAt"], "%Y-%m-%dT%H:%M:%SZ")
assert exp > datetime.datetime.utcnow() + datetime.timedelta(hours=7), exp
PY
then r=0; else r=1; fi
verdict $r "an expired SSO token with a refresh token: CreateToken, cache rewritten as the CLI does (0600)"
# The aws CLI's own reader of the cache (botocore's SSOTokenLoader over
# JSONFileCache, no network) takes the file acmbridge wrote.
if "$PYTHON3" - "$HOME/.aws/sso/cache" <<'PY'; then r=0; else r=1; fi
import sys
from botocore.utils import JSONFileCache, SSOTokenLoader
token = SSOTokenLoader(cache=JSONFileCache(sys.argv[1]))(
    "https://corp.awsapps.com/start", session_name="corp")
assert token["accessToken"].startswith("aoa") and "refreshToken" in token, sorted(token)
PY
verdict $r "botocore's SSOTokenLoader reads the cache acmbridge rewrote"
rm -f "$SESSION_CACHE"
if run ssonocache 5 -- whoami --profile sso && has ssonocache "there is no cached SSO login"; then r=0; else r=1; fi
verdict $r "no SSO login at all: exit 5, 'run aws sso login'"

# --- ACM through an assumed role: certificates land in that account -------

source "$ACMB_TESTS_DIR/endpoint/pki.sh"
pki_make "$WORK/pki" >/dev/null 2>&1
P=$WORK/pki
if run importrole 0 -- import --profile prod --certificate "$P/rsa.pem" \
	--private-key "$P/rsa.key" --certificate-chain "$P/chain.pem" \
	--endpoint-url "$URL" &&
	[[ "$(field importrole CertificateArn)" == arn:aws:acm:us-east-1:222222222222:certificate/* ]] &&
	endpoint_certs | grep -q "arn:aws:acm:us-east-1:222222222222:certificate/"; then r=0; else r=1; fi
verdict $r "import --profile prod: the certificate is in the role's account (222222222222)"
ARN=$(field importrole CertificateArn 2>/dev/null || true)

# --- sync: each destination's identity, assumed from the run's ------------

curl -sS -X POST "$URL/__control/sts" -d \
	'{"roles": {"arn:aws:iam::888888888888:role/fleet-importer": {"external_id": "fleet-7"}}}' >/dev/null
mkdir -p "$WORK/fleet"
cp "$P/rsa2.pem" "$P/rsa2.key" "$P/chain.pem" "$WORK/fleet/"
chmod 600 "$WORK/fleet/rsa2.key"
cat >"$WORK/fleet/fleet.yaml" <<'YAML'
version: 1
certificates:
  - name: fleet-www
    files: {certificate: rsa2.pem, private-key: rsa2.key, certificate-chain: chain.pem}
    destinations:
      - {region: us-east-1, role-arn: "arn:aws:iam::888888888888:role/fleet-importer", external-id: fleet-7}
      - {region: eu-west-1, profile: prod}
      - {region: us-west-2}
YAML
if run sync 0 -- sync --manifest "$WORK/fleet/fleet.yaml" --profile base --endpoint-url "$URL" \
	--output json && "$PYTHON3" - "$WORK/sync.out" "$STATIC_ID" <<'PY' &&
import json, sys
items = {i["Region"]: i["CertificateArn"] for i in json.load(open(sys.argv[1]))["Items"]}
assert items["us-east-1"].startswith("arn:aws:acm:us-east-1:888888888888:"), items
assert items["eu-west-1"].startswith("arn:aws:acm:eu-west-1:222222222222:"), items
assert items["us-west-2"].startswith("arn:aws:acm:us-west-2:123456789012:"), items
PY
	sts_sessions | "$PYTHON3" -c '
import json, sys
s = [e for e in json.load(sys.stdin)["sessions"] if e["role_arn"].endswith("role/fleet-importer")]
assert len(s) == 1 and s[0]["external_id"] and s[0]["session_name"].startswith("acmbridge-"), s
assert s[0]["source_access_key_id"] == sys.argv[1], s' "$STATIC_ID"; then r=0; else r=1; fi
verdict $r "sync: a destination's role-arn + external-id assumed from the run's identity, a destination's profile, the run's own: three accounts"

# --- the aws CLI as a second client of the same STS ------------------------
# (aws-cli 2.9 has no AWS_ENDPOINT_URL_STS: it is pointed at the endpoint
# with --endpoint-url, and never resolves a role profile itself, which would
# reach for the real sts.REGION.amazonaws.com.)

awsx() {
	"$AWS" --endpoint-url "$URL" --output json "$@"
}
if AWS_ACCESS_KEY_ID=$STATIC_ID AWS_SECRET_ACCESS_KEY=$STATIC_SECRET awsx sts get-caller-identity \
	>"$WORK/aws-who.json" 2>"$WORK/aws-who.err" &&
	"$PYTHON3" - "$WORK/aws-who.json" "$WORK/static.out" <<'PY'; then r=0; else r=1; fi
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert {k: a[k] for k in ("UserId", "Account", "Arn")} == \
    {k: b[k] for k in ("UserId", "Account", "Arn")}, (a, b)
PY
LAST=static
verdict $r "aws sts get-caller-identity and acmbridge whoami agree on the static keys"
if AWS_ACCESS_KEY_ID=$STATIC_ID AWS_SECRET_ACCESS_KEY=$STATIC_SECRET awsx sts assume-role \
	--role-arn arn:aws:iam::222222222222:role/importer --role-session-name cli-check \
	>"$WORK/aws-assume.json" 2>"$WORK/aws-assume.err" &&
	eval "$("$PYTHON3" -c '
import json, shlex, sys
c = json.load(open(sys.argv[1]))["Credentials"]
print("export T_ID=%s T_SECRET=%s T_TOKEN=%s" % tuple(shlex.quote(c[k]) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")))' "$WORK/aws-assume.json")" &&
	AWS_ACCESS_KEY_ID=$T_ID AWS_SECRET_ACCESS_KEY=$T_SECRET AWS_SESSION_TOKEN=$T_TOKEN \
		awsx acm list-certificates >"$WORK/aws-list.json" 2>"$WORK/aws-list.err" &&
	[ -n "$ARN" ] && grep -qF "$ARN" "$WORK/aws-list.json" &&
	AWS_ACCESS_KEY_ID=$T_ID AWS_SECRET_ACCESS_KEY=$T_SECRET AWS_SESSION_TOKEN=$T_TOKEN \
		awsx sts get-caller-identity >"$WORK/aws-who2.json" 2>>"$WORK/aws-list.err" &&
	grep -q '"Arn": "arn:aws:sts::222222222222:assumed-role/importer/cli-check"' "$WORK/aws-who2.json" &&
	! AWS_ACCESS_KEY_ID=$STATIC_ID AWS_SECRET_ACCESS_KEY=$STATIC_SECRET awsx acm list-certificates |
	grep -qF "$ARN"; then
	ok "aws sts assume-role: the role's account lists acmbridge's import, the caller's does not"
else
	fail "aws CLI assume-role + list: $(cat "$WORK/aws-assume.err" "$WORK/aws-list.err" 2>/dev/null | head -c 400)"
fi
# The custody harness presets the secret parts STS hands out next (so that
# it knows what to search memory for): they must be what a client gets.
curl -sS -X POST "$URL/__control/sts" -d \
	'{"next_credentials": [{"secret": "preset/Secret+0123456789", "token": "preset-token-0123456789"}]}' >/dev/null
if AWS_ACCESS_KEY_ID=$STATIC_ID AWS_SECRET_ACCESS_KEY=$STATIC_SECRET awsx sts assume-role \
	--role-arn arn:aws:iam::222222222222:role/importer --role-session-name preset \
	>"$WORK/aws-preset.json" 2>"$WORK/aws-preset.err" && "$PYTHON3" - "$WORK/aws-preset.json" <<'PY' &&
import json, sys
c = json.load(open(sys.argv[1]))["Credentials"]
assert c["SecretAccessKey"] == "preset/Secret+0123456789", c
assert c["SessionToken"] == "preset-token-0123456789", c
PY
	sts_sessions | "$PYTHON3" -c 'import json,sys; sys.exit(json.load(sys.stdin)["next_credentials"])'; then
	ok "preset STS credentials (custody harness) are handed out once, as given"
else
	fail "preset STS credentials: $(head -c 300 "$WORK/aws-preset.err")"
fi
if AWS_ACCESS_KEY_ID=$STATIC_ID AWS_SECRET_ACCESS_KEY=$STATIC_SECRET awsx sts assume-role \
	--role-arn arn:aws:iam::222222222222:role/DeniedImporter --role-session-name cli-check \
	>/dev/null 2>"$WORK/aws-denied.err"; then
	fail "aws sts assume-role of a Denied role succeeded"
elif grep -q "(AccessDenied) when calling the AssumeRole operation" "$WORK/aws-denied.err"; then
	ok "aws sts assume-role reads the endpoint's XML error as AccessDenied"
else
	fail "aws CLI AccessDenied: $(head -c 300 "$WORK/aws-denied.err")"
fi

# --- HOME unset (cron, systemd), environment keys and AWS_REGION ----------

if env -u HOME -u AWS_CONFIG_FILE -u AWS_SHARED_CREDENTIALS_FILE AWS_ACCESS_KEY_ID="$STATIC_ID" \
	AWS_SECRET_ACCESS_KEY="$STATIC_SECRET" AWS_REGION=us-east-1 "$ACMBRIDGE" import \
	--certificate "$P/ec.pem" --private-key "$P/ec.key" \
	--certificate-chain "$P/chain-ec.pem" --endpoint-url "$URL" >"$WORK/nohome.out" 2>"$WORK/nohome.err"; then
	ok "HOME unset with environment keys and AWS_REGION: the import works"
else
	fail "HOME unset: $(cat "$WORK/nohome.err")"
fi

# --- the cache and its refresh (tests/test-aws-identity.c) -----------------

printf 'pod-identity-token-one' >"$WORK/pod-token-2"
start_meta CONTAINER_FILE_URL container container2 --token-file "$WORK/pod-token-2"
if ACMB_TEST_CONTAINER_FILE_URL="$CONTAINER_FILE_URL/v1/credentials" \
	ACMB_TEST_CONTAINER_TOKEN_FILE="$WORK/pod-token-2" \
	"$ACMB_BUILD_DIR/tests/test-aws-identity" >"$WORK/unit.out" 2>&1 &&
	! grep -q '^\[  SKIPPED \] test_' "$WORK/unit.out"; then
	ok "test-aws-identity with the endpoint: $(grep -c '^\[       OK \]' "$WORK/unit.out") cases"
else
	fail "test-aws-identity"
	cat "$WORK/unit.out" >&2
fi

finish
