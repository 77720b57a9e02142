# Helpers for tests that talk to the local ACM endpoint (tests/endpoint/).
# Source from bash running `set -euo pipefail`:
#   source "$ACMB_TESTS_DIR/lib/endpoint.sh"
#   endpoint_start [--tls] [server args...]
# exports ACMB_ENDPOINT_URL, ACMB_ENDPOINT_CA ("" without TLS),
# ACMB_ENDPOINT_DIR, ACMB_ENDPOINT_LOG (server stderr), the test credentials
# as AWS_* variables, and stops the server when the shell exits.

_ACMB_ENDPOINT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_ACMB_ENDPOINT_SERVER="$_ACMB_ENDPOINT_LIB_DIR/../endpoint/server.py"
_ACMB_ENDPOINT_PID=
_ACMB_ENDPOINT_TMP=
: "${PYTHON3:=/usr/bin/python3}"

# Test credentials (ACMB_TEST_*), also for tests that want the STS set.
# shellcheck source=tests/endpoint/credentials.env
source "$_ACMB_ENDPOINT_LIB_DIR/../endpoint/credentials.env"

_ACMB_PREV_EXIT_TRAP=

_endpoint_on_exit() {
	endpoint_stop
	if [ -n "$_ACMB_ENDPOINT_TMP" ]; then
		rm -rf "$_ACMB_ENDPOINT_TMP"
		_ACMB_ENDPOINT_TMP=
	fi
	if [ -n "$_ACMB_PREV_EXIT_TRAP" ]; then
		eval "$_ACMB_PREV_EXIT_TRAP"
	fi
}

# Chains to an EXIT trap the test set before endpoint_start. A test that sets
# its own EXIT trap after endpoint_start must call endpoint_stop in it.
_endpoint_install_trap() {
	local existing
	existing=$(trap -p EXIT)
	case "$existing" in
	*_endpoint_on_exit*) return 0 ;;
	"") ;;
	*)
		existing=${existing#"trap -- "}
		existing=${existing%" EXIT"}
		eval "_ACMB_PREV_EXIT_TRAP=$existing"
		;;
	esac
	trap _endpoint_on_exit EXIT
}

# endpoint_start [--tls] [server args...]: start in a fresh temp dir and wait
# until it is ready (at most 30 s).
endpoint_start() {
	local tls="" arg
	local -a extra=()
	for arg in "$@"; do
		if [ "$arg" = --tls ]; then tls=--tls; else extra+=("$arg"); fi
	done
	if [ -n "$_ACMB_ENDPOINT_PID" ]; then
		echo "endpoint_start: already running (pid $_ACMB_ENDPOINT_PID)" >&2
		return 1
	fi
	if [ -z "$_ACMB_ENDPOINT_TMP" ]; then
		_ACMB_ENDPOINT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/acmb-endpoint.XXXXXX")
	fi
	ACMB_ENDPOINT_DIR="$_ACMB_ENDPOINT_TMP/state"
	mkdir -p "$ACMB_ENDPOINT_DIR"
	local ready="$_ACMB_ENDPOINT_TMP/ready.json"
	rm -f "$ready"
	"$PYTHON3" "$_ACMB_ENDPOINT_SERVER" --state-dir "$ACMB_ENDPOINT_DIR" \
		--ready-file "$ready" $tls ${extra[@]+"${extra[@]}"} \
		>>"$_ACMB_ENDPOINT_TMP/server.log" 2>&1 &
	_ACMB_ENDPOINT_PID=$!
	_endpoint_install_trap
	local i
	for ((i = 0; i < 300; i++)); do
		[ -s "$ready" ] && break
		if ! kill -0 "$_ACMB_ENDPOINT_PID" 2>/dev/null; then
			echo "endpoint_start: server exited:" >&2
			cat "$_ACMB_ENDPOINT_TMP/server.log" >&2
			_ACMB_ENDPOINT_PID=
			return 1
		fi
		sleep 0.1
	done
	if [ ! -s "$ready" ]; then
		echo "endpoint_start: server not ready after 30 s" >&2
		endpoint_stop
		return 1
	fi
	ACMB_ENDPOINT_URL=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$ready")
	ACMB_ENDPOINT_CA=$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca_file"] or "")' "$ready")
	ACMB_ENDPOINT_LOG="$_ACMB_ENDPOINT_TMP/server.log"
	export ACMB_ENDPOINT_URL ACMB_ENDPOINT_CA ACMB_ENDPOINT_DIR ACMB_ENDPOINT_LOG
	export AWS_ACCESS_KEY_ID="$ACMB_TEST_ACCESS_KEY_ID"
	export AWS_SECRET_ACCESS_KEY="$ACMB_TEST_SECRET_ACCESS_KEY"
	export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
	unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE
	: >"$_ACMB_ENDPOINT_TMP/aws-config"
	: >"$_ACMB_ENDPOINT_TMP/aws-credentials"
	export AWS_CONFIG_FILE="$_ACMB_ENDPOINT_TMP/aws-config"
	export AWS_SHARED_CREDENTIALS_FILE="$_ACMB_ENDPOINT_TMP/aws-credentials"
	# acmbridge import's same-host lock files go here, not to the machine's.
	mkdir -p -m 700 "$_ACMB_ENDPOINT_TMP/run"
	export XDG_RUNTIME_DIR="$_ACMB_ENDPOINT_TMP/run"
}

# endpoint_stop: SIGTERM the server and wait for it; no-op when not running.
endpoint_stop() {
	if [ -n "$_ACMB_ENDPOINT_PID" ]; then
		kill -TERM "$_ACMB_ENDPOINT_PID" 2>/dev/null || true
		wait "$_ACMB_ENDPOINT_PID" 2>/dev/null || true
		_ACMB_ENDPOINT_PID=
	fi
}

_endpoint_control() {
	local method=$1 path=$2 body=${3-}
	local -a args=(-sS --fail-with-body -X "$method")
	if [ -n "$ACMB_ENDPOINT_CA" ]; then args+=(--cacert "$ACMB_ENDPOINT_CA"); fi
	if [ -n "$body" ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
	fi
	curl "${args[@]}" "$ACMB_ENDPOINT_URL$path"
}

# endpoint_fault 'JSON': add fault rule(s) (an object or a list).
endpoint_fault() { _endpoint_control POST /__control/faults "$1" >/dev/null; }

endpoint_clear_faults() { _endpoint_control DELETE /__control/faults >/dev/null; }

# endpoint_certs: print {"certificates": [...]} of every stored certificate.
endpoint_certs() { _endpoint_control GET /__control/certificates; echo; }

# endpoint_requests: print {"requests": [...]}, the request log.
endpoint_requests() { _endpoint_control GET /__control/requests; echo; }

# endpoint_reset: forget every certificate and the request log.
endpoint_reset() { _endpoint_control POST /__control/reset >/dev/null; }

# endpoint_acm_control 'JSON': POST to /__control/acm ({"visibility_lag": S}
# and/or {"in_use": {ARN: [resource ARNs]}}).
endpoint_acm_control() { _endpoint_control POST /__control/acm "$1" >/dev/null; }

# endpoint_cert_count: print how many certificates are stored.
endpoint_cert_count() {
	endpoint_certs | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)["certificates"]))'
}
