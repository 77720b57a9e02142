# The flows every custody test runs (sourced after lib.sh; needs $M made by
# make_material). One flow per line:
#   NAME|EXPECTED_EXIT|RESULT_FD|SECRET_OPTS|STDIN|ENV|FAULT|ARGS
# SECRET_OPTS: custody-scan options naming the run's secrets (and the public
# certificate, whose bytes are not evidence). ENV: K=V words for the program.
# FAULT: an endpoint fault rule (JSON) set before the run. ARGS: the command
# line after the program. $M, $URL, $CA, $ARN and the $AWS_* values are
# expanded when the flow is used.

# `acmbridge check` with every kind of file input and the failure paths
# reachable after the key was read.
check_flows() {
	cat <<'FLOWS'
check-pkcs1|0|1|--key $M/rsa-pkcs1.pem --public-file $M/rsa-pkcs1.crt||||check --certificate $M/rsa-pkcs1.crt --private-key $M/rsa-pkcs1.pem
check-pkcs8|0|1|--key $M/rsa-pkcs8.pem --public-file $M/rsa-pkcs8.crt||||check --certificate $M/rsa-pkcs8.crt --private-key $M/rsa-pkcs8.pem
check-sec1|0|1|--key $M/ec-sec1.pem --public-file $M/ec-sec1.crt||||check --certificate $M/ec-sec1.crt --private-key $M/ec-sec1.pem
check-der|0|1|--key $M/rsa-pkcs8.der --public-file $M/rsa-pkcs8.crt||||check --certificate $M/rsa-pkcs8.crt --private-key fileb://$M/rsa-pkcs8.der
check-stdin|0|1|--key $M/rsa-pkcs1.pem --public-file $M/rsa-pkcs1.crt|$M/rsa-pkcs1.pem|||check --certificate $M/rsa-pkcs1.crt --private-key -
check-encrypted-file|0|1|--key $M/rsa-enc.pem --key-passphrase-file $M/pass.txt --passphrase-file $M/pass.txt --secret-file $M/rsa-enc.pem --public-file $M/rsa-enc.crt||||check --certificate $M/rsa-enc.crt --private-key $M/rsa-enc.pem --passphrase-file $M/pass.txt
check-encrypted-env|0|1|--key $M/rsa-enc.pem --key-passphrase-file $M/pass.txt --passphrase-file $M/pass.txt --secret-file $M/rsa-enc.pem --public-file $M/rsa-enc.crt||CUSTODY_PASS=$PASS||check --certificate $M/rsa-enc.crt --private-key $M/rsa-enc.pem --passphrase-env CUSTODY_PASS
check-pkcs12|0|1|--key $M/bundle.p12 --key-passphrase-file $M/pass.txt --passphrase-file $M/pass.txt --secret-file $M/bundle.p12 --public-file $M/p12.crt||||check --pkcs12 $M/bundle.p12 --passphrase-file $M/pass.txt
check-fail-key-mismatch|3|1|--key $M/rsa-pkcs8.pem --public-file $M/rsa-enc.crt||||check --certificate $M/rsa-enc.crt --private-key $M/rsa-pkcs8.pem
check-fail-wrong-passphrase|2|2|--key $M/rsa-enc.pem --key-passphrase-file $M/pass.txt --passphrase-file $M/wrong.txt --secret-file $M/rsa-enc.pem --public-file $M/rsa-enc.crt||||check --certificate $M/rsa-enc.crt --private-key $M/rsa-enc.pem --passphrase-file $M/wrong.txt
FLOWS
}

# Import flows against the local endpoint over HTTPS.
# import-new must come first: reimport uses the ARN it created ($ARN).
# import-assume-role and import-web-identity get their credentials from the
# endpoint's STS (a profile with role_arn + source_profile; EKS IRSA's
# variables): the source keys, the web identity token and the temporary set
# STS hands out ($ROLE_SECRET, $ROLE_TOKEN, preset by flow_setup) are the
# run's secrets besides the key.
import_flows() {
	cat <<'FLOWS'
import-new|0|1|--key $M/rsa-pkcs1.pem --public-file $M/rsa-pkcs1.crt --aws-secret $AWS_SECRET_ACCESS_KEY||||import --certificate $M/rsa-pkcs1.crt --private-key $M/rsa-pkcs1.pem --endpoint-url $URL --ca-bundle $CA
reimport|0|1|--key $M/rsa-pkcs1.pem --public-file $M/rsa-pkcs1.crt --aws-secret $AWS_SECRET_ACCESS_KEY||||import --certificate $M/rsa-pkcs1.crt --private-key $M/rsa-pkcs1.pem --certificate-arn $ARN --endpoint-url $URL --ca-bundle $CA
import-sec1-sts|0|1|--key $M/ec-sec1.pem --public-file $M/ec-sec1.crt --aws-secret $ACMB_TEST_STS_SECRET_ACCESS_KEY --aws-secret $ACMB_TEST_STS_SESSION_TOKEN||AWS_ACCESS_KEY_ID=$ACMB_TEST_STS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$ACMB_TEST_STS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN=$ACMB_TEST_STS_SESSION_TOKEN||import --certificate $M/ec-sec1.crt --private-key $M/ec-sec1.pem --endpoint-url $URL --ca-bundle $CA
import-encrypted-env|0|1|--key $M/rsa-enc.pem --key-passphrase-file $M/pass.txt --passphrase-file $M/pass.txt --secret-file $M/rsa-enc.pem --public-file $M/rsa-enc.crt --aws-secret $AWS_SECRET_ACCESS_KEY||CUSTODY_PASS=$PASS||import --certificate $M/rsa-enc.crt --private-key $M/rsa-enc.pem --passphrase-env CUSTODY_PASS --endpoint-url $URL --ca-bundle $CA
import-pkcs12|0|1|--key $M/bundle.p12 --key-passphrase-file $M/pass.txt --passphrase-file $M/pass.txt --secret-file $M/bundle.p12 --public-file $M/p12.crt --aws-secret $AWS_SECRET_ACCESS_KEY||||import --pkcs12 $M/bundle.p12 --passphrase-file $M/pass.txt --endpoint-url $URL --ca-bundle $CA
import-fail-aws-error|5|2|--key $M/rsa-pkcs8.pem --public-file $M/rsa-pkcs8.crt --aws-secret $AWS_SECRET_ACCESS_KEY|||{"operation":"ImportCertificate","fault":"limit","times":5}|import --certificate $M/rsa-pkcs8.crt --private-key $M/rsa-pkcs8.pem --endpoint-url $URL --ca-bundle $CA
import-dry-run|0|1|--key $M/rsa-pkcs8.pem --public-file $M/rsa-pkcs8.crt --aws-secret $AWS_SECRET_ACCESS_KEY||||import --dry-run --certificate $M/rsa-pkcs8.crt --private-key $M/rsa-pkcs8.pem --endpoint-url $URL --ca-bundle $CA
import-fail-key-mismatch|3|2|--key $M/rsa-pkcs8.pem --public-file $M/rsa-enc.crt --aws-secret $AWS_SECRET_ACCESS_KEY||||import --certificate $M/rsa-enc.crt --private-key $M/rsa-pkcs8.pem --endpoint-url $URL --ca-bundle $CA
import-assume-role|0|1|--key $M/rsa-pkcs8.pem --public-file $M/rsa-pkcs8.crt --aws-secret $AWS_SECRET_ACCESS_KEY --aws-secret $ROLE_SECRET --aws-secret $ROLE_TOKEN||AWS_CONFIG_FILE=$M/aws-role-config AWS_SHARED_CREDENTIALS_FILE=$M/aws-role-credentials AWS_ENDPOINT_URL_STS=$URL||import --profile custody-role --certificate $M/rsa-pkcs8.crt --private-key $M/rsa-pkcs8.pem --endpoint-url $URL --ca-bundle $CA
import-web-identity|0|1|--key $M/ec-sec1.pem --public-file $M/ec-sec1.crt --secret-file $M/web-token --aws-secret $ROLE_SECRET --aws-secret $ROLE_TOKEN||AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_ROLE_ARN=arn:aws:iam::222222222222:role/custody-irsa AWS_WEB_IDENTITY_TOKEN_FILE=$M/web-token AWS_ROLE_SESSION_NAME=custody AWS_ENDPOINT_URL_STS=$URL||import --certificate $M/ec-sec1.crt --private-key $M/ec-sec1.pem --endpoint-url $URL --ca-bundle $CA
import-fail-network|6|2|--key $M/rsa-pkcs8.pem --public-file $M/rsa-pkcs8.crt --aws-secret $AWS_SECRET_ACCESS_KEY|||{"operation":"*","fault":"drop-after","times":50}|import --certificate $M/rsa-pkcs8.crt --private-key $M/rsa-pkcs8.pem --endpoint-url $URL --ca-bundle $CA
FLOWS
}

# flow_fields LINE: sets F_NAME F_EXIT F_FD F_SECRETS (array) F_STDIN
# F_ENV (array) F_FAULT F_ARGS (array), and F_PROG (array): the program.
flow_fields() {
	local line secrets env args
	line=${1//\$M/$M}
	line=${line//\$PASS/${PASS:-}}
	line=${line//\$URL/${URL:-}}
	line=${line//\$CA/${CA:-}}
	line=${line//\$ARN/${ARN:-}}
	line=${line//\$AWS_SECRET_ACCESS_KEY/${AWS_SECRET_ACCESS_KEY:-}}
	line=${line//\$ACMB_TEST_STS_ACCESS_KEY_ID/${ACMB_TEST_STS_ACCESS_KEY_ID:-}}
	line=${line//\$ACMB_TEST_STS_SECRET_ACCESS_KEY/${ACMB_TEST_STS_SECRET_ACCESS_KEY:-}}
	line=${line//\$ACMB_TEST_STS_SESSION_TOKEN/${ACMB_TEST_STS_SESSION_TOKEN:-}}
	line=${line//\$ROLE_SECRET/${ROLE_SECRET:-}}
	line=${line//\$ROLE_TOKEN/${ROLE_TOKEN:-}}
	IFS='|' read -r F_NAME F_EXIT F_FD secrets F_STDIN env F_FAULT args <<<"$line"
	read -r -a F_SECRETS <<<"$secrets"
	read -r -a F_ENV <<<"$env"
	read -r -a F_ARGS <<<"$args"
	F_PROG=("$ACMBRIDGE")
}

# Starts the endpoint over HTTPS for import flows; sets URL and CA, and
# writes what the identity flows read: a profile assuming a role from
# static keys, a web identity token, and the secret parts STS will hand out.
start_import_endpoint() {
	. "$ACMB_TESTS_DIR/lib/endpoint.sh"
	endpoint_start --tls >/dev/null || return 1
	URL=$ACMB_ENDPOINT_URL
	CA=$ACMB_ENDPOINT_CA
	[ -n "${M:-}" ] || return 0 # a test without the import flows' material
	printf '[profile custody-role]\nrole_arn = arn:aws:iam::222222222222:role/custody-import\nsource_profile = custody-base\n' \
		>"$M/aws-role-config"
	printf '[custody-base]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$M/aws-role-credentials"
	"$PY" -c '
import base64, json, secrets, time
b = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
print(b({"alg": "RS256", "kid": secrets.token_hex(8)}) + "." + b({"sub": "system:serviceaccount:certs:custody",
      "aud": "sts.amazonaws.com", "exp": int(time.time()) + 86400, "jti": secrets.token_urlsafe(24)}) + "." +
      secrets.token_urlsafe(64), end="")' >"$M/web-token"
	ROLE_SECRET=$("$PY" -c 'import secrets; print("custodyRole/" + secrets.token_urlsafe(21))')
	ROLE_TOKEN=$("$PY" -c 'import secrets; print("IQoJcustody" + secrets.token_urlsafe(120))')
}

# After a flow: fails (prints why) when the endpoint still holds the
# temporary credentials flow_setup preset, i.e. the run never received the
# secrets it was searched for and its zero hits would prove nothing.
flow_after() {
	case "$F_NAME" in
	import-assume-role | import-web-identity)
		if ! _endpoint_control GET /__control/sts | "$PY" -c '
import json, sys
sys.exit(json.load(sys.stdin)["next_credentials"] != 0)'; then
			echo "the preset STS credentials were not handed out"
			return 1
		fi
		;;
	esac
	return 0
}

# Runs flow setup that needs the endpoint (fault rules; the temporary
# credentials STS hands out next, for the identity flows).
flow_setup() {
	[ -n "${URL:-}" ] || return 0
	endpoint_clear_faults
	[ -z "$F_FAULT" ] || endpoint_fault "$F_FAULT"
	case "$F_NAME" in
	import-assume-role | import-web-identity)
		_endpoint_control POST /__control/sts \
			"{\"next_credentials\": [{\"secret\": \"$ROLE_SECRET\", \"token\": \"$ROLE_TOKEN\"}]}" >/dev/null
		;;
	esac
}
