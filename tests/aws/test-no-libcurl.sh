#!/bin/bash
# libcurl is loaded on first use (src/acm/aws-http.c): without it, `check`
# still works, and every AWS command stops before anything is sent with one
# line naming the library and the Debian package (exit 1). The test build
# names a library that does not exist (ACMB_TEST_CURL_LIBRARY).
set -u

: "${ACMBRIDGE:?}" "${ACMB_TESTS_DIR:?}"
. "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"

mat_setup
trap mat_cleanup EXIT
D=$MAT_DIR
mat_cert root --ca >/dev/null && mat_cert leaf --issuer root --san DNS:nocurl.example >/dev/null ||
	{ fail "cannot make material"; exit 1; }
export ACMB_TEST_CURL_LIBRARY=libcurl-absent.so.99
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=not-a-real-secret AWS_REGION=us-east-1

run() {
	out=$("$ACMBRIDGE" "$@" 2>"$D/stderr")
	rc=$?
}
run check --certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/root.pem"
[ "$rc" -eq 0 ] && ok "check works without libcurl" || fail "check without libcurl: exit $rc: $(cat "$D/stderr")"

# A listener that records any connection: nothing may reach it. The test
# itself connects last and says END.
exec {probe}< <(timeout 60 /usr/bin/python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
seen = "none"
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        data = c.recv(16)
    except OSError:
        data = b""
    c.close()
    if data == b"END":
        break
    seen = "CONNECTED"
print(seen, flush=True)
')
read -r port <&"$probe"
for cmd in import issue; do
	case $cmd in
	import) args=(--certificate "$D/leaf.pem" --private-key "$D/leaf.key" --certificate-chain "$D/root.pem") ;;
	issue) args=(--certificate-authority-arn arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x
		--dns-name nocurl.example --validity 30d --pca-endpoint-url "http://127.0.0.1:$port") ;;
	esac
	run "$cmd" --endpoint-url "http://127.0.0.1:$port" "${args[@]}"
	if [ "$rc" -eq 1 ] && grep -q "cannot load libcurl-absent.so.99 (.*): AWS commands need libcurl 4 (Debian package libcurl4)" "$D/stderr"; then
		ok "$cmd without libcurl: exit 1, the library and the package named"
	else
		fail "$cmd without libcurl: exit $rc: $(cat "$D/stderr")"
	fi
done
/usr/bin/python3 -c 'import socket,sys; c = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); c.sendall(b"END")' "$port"
read -r seen <&"$probe"
[ "$seen" = none ] && ok "nothing was sent" || fail "a connection reached the endpoint ($seen)"

finish
