# Helpers for the Private CA tests and bench/issue.sh; source after
# tests/lib/endpoint.sh and endpoint_start.

# pca_control [METHOD BODY]: GET (or POST BODY to) /__control/pca.
pca_control() {
	local -a args=(-sS --fail-with-body)
	if [ -n "$ACMB_ENDPOINT_CA" ]; then args+=(--cacert "$ACMB_ENDPOINT_CA"); fi
	if [ $# -ge 2 ]; then
		args+=(-X "$1" -H 'Content-Type: application/json' --data-binary "$2")
	fi
	curl "${args[@]}" "$ACMB_ENDPOINT_URL/__control/pca"
}

# pca_ca_arn NAME: the ARN of the endpoint's CA called NAME (rsa2048,
# rsa4096, ecp256, ecp384, disabled).
pca_ca_arn() {
	pca_control | "$PYTHON3" -c '
import json, sys
cas = json.load(sys.stdin)["certificate_authorities"]
print([c["arn"] for c in cas if c["name"] == sys.argv[1]][0])' "$1"
}

# pca_pending_polls N: GetCertificate answers RequestInProgressException N
# times for each certificate issued from now on.
pca_pending_polls() { pca_control POST "{\"pending_polls\": $1}" >/dev/null; }

# pca_release: every certificate still pending is answered from now on (and
# new ones at once).
pca_release() { pca_control POST '{"pending_polls": 0, "release": true}' >/dev/null; }

# pca_issued_count: certificates Private CA has issued.
pca_issued_count() {
	pca_control | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)["issued"]))'
}

# pca_wait_ready: until every CA has its keys (made in the background).
pca_wait_ready() {
	local i
	for ((i = 0; i < 600; i++)); do
		if pca_control | "$PYTHON3" -c '
import json, sys
sys.exit(0 if all(c["ready"] for c in json.load(sys.stdin)["certificate_authorities"]) else 1)'; then
			return 0
		fi
		sleep 0.1
	done
	echo "pca_wait_ready: the endpoint's CAs are not ready" >&2
	return 1
}

# pca_wait_in_progress N: until the request log holds more than N
# GetCertificate answers of RequestInProgressException (a waiter is polling).
pca_wait_in_progress() {
	local i
	for ((i = 0; i < 600; i++)); do
		if endpoint_requests | "$PYTHON3" -c '
import json, sys
r = json.load(sys.stdin)["requests"]
n = sum(1 for x in r if x.get("operation") == "GetCertificate" and
        x.get("error") == "RequestInProgressException")
sys.exit(0 if n > int(sys.argv[1]) else 1)' "$1"; then
			return 0
		fi
		sleep 0.1
	done
	echo "pca_wait_in_progress: nobody is polling" >&2
	return 1
}

# pca_in_progress_count: RequestInProgressException answers so far.
pca_in_progress_count() {
	endpoint_requests | "$PYTHON3" -c '
import json, sys
r = json.load(sys.stdin)["requests"]
print(sum(1 for x in r if x.get("operation") == "GetCertificate" and
          x.get("error") == "RequestInProgressException"))'
}
