#!/usr/bin/env bash
# Nothing on disk: each flow (check, import over HTTPS and their failure
# paths) under strace writes no secret form to any file descriptor (the TLS
# socket carries ciphertext) and creates no file (no temporary files,
# renames, links or memfds). A control proves the checker sees a key written
# to a file.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/flows.sh"
M=$WORK/mat
make_material "$M"
CHECK=("$PY" "$here/custody-check.py")
TRACE=(strace -f -qq -s 1000000 -xx -yy
	-e trace=write,writev,pwrite64,pwritev,sendto,sendmsg,openat,creat,rename,renameat,renameat2,link,linkat,memfd_create)

"${TRACE[@]}" -o "$WORK/control.strace" openssl pkey -in "$M/rsa-pkcs8.pem" -out "$WORK/copy.pem"
out=$("${CHECK[@]}" strace "$WORK/control.strace" --key "$M/rsa-pkcs8.pem")
if [ $? -eq 1 ] && grep -q "SECRET in writes to fd" <<<"$out" &&
	grep -q "UNEXPECTED FILE CREATED $WORK/copy.pem" <<<"$out"; then
	ok "control: a key written to a new file is found (write and creation)"
else
	fail "control: checker missed a key written to disk: $out"
fi

# LeakSanitizer (ASan builds) cannot run under a tracer such as strace.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

run_flow() {
	local rc crc out
	flow_fields "$1"
	flow_setup
	env "${UNSET_TEST_SECRETS[@]}" "${F_ENV[@]}" "${TRACE[@]}" -o "$WORK/$F_NAME.strace" \
		"${F_PROG[@]}" "${F_ARGS[@]}" <"${F_STDIN:-/dev/null}" >"$WORK/$F_NAME.out" 2>&1
	rc=$?
	flow_after || rc=99
	out=$("${CHECK[@]}" strace "$WORK/$F_NAME.strace" "${F_SECRETS[@]}")
	crc=$?
	sed 's/^/    /' <<<"$out"
	if [ "$rc" -ne "$F_EXIT" ]; then
		fail "$F_NAME: exit code $rc, expected $F_EXIT"
	elif [ "$crc" -eq 0 ]; then
		ok "$F_NAME: no secret written to any descriptor, no file created"
	else
		fail "$F_NAME: secret on a descriptor or a file created (above)"
	fi
}

while IFS= read -r line; do run_flow "$line"; done < <(check_flows)

# Control: the checker reads what goes over the socket. Over plain HTTP (a
# second endpoint, in a subshell) the JSON body carries base64 of the key PEM
# and must be found on the TCP descriptor; over HTTPS (below) it must not.
(
	# Not the parent's cleanup: endpoint.sh would chain it into this
	# subshell's exit and remove the work dir.
	trap - EXIT
	. "$ACMB_TESTS_DIR/lib/endpoint.sh"
	endpoint_start >/dev/null || exit 3
	"${TRACE[@]}" -o "$WORK/http.strace" "$ACMBRIDGE" import --certificate "$M/rsa-pkcs8.crt" \
		--private-key "$M/rsa-pkcs8.pem" --endpoint-url "$ACMB_ENDPOINT_URL" >/dev/null 2>&1
	exit 0
) || fail "control: plain-HTTP endpoint did not start"
out=$("${CHECK[@]}" strace "$WORK/http.strace" --key "$M/rsa-pkcs8.pem" --public-file "$M/rsa-pkcs8.crt")
if grep -q "SECRET in writes to fd [0-9]*<TCP:.*base64(PKCS#8 PEM)" <<<"$out"; then
	ok "control: over plain HTTP the key (base64 of its PEM) is found on the socket"
else
	fail "control: the key sent over plain HTTP was not found on the socket: $out"
fi

start_import_endpoint || { fail "endpoint did not start"; finish; }
while IFS= read -r line; do
	run_flow "$line"
	[ "$F_NAME" = import-new ] && ARN=$(grep -oE 'arn:aws:acm:[^ "]+' "$WORK/import-new.out" | head -n1)
done < <(import_flows)
finish
