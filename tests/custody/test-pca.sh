#!/usr/bin/env bash
# acmbridge issue (AWS Private CA) with the key in memory: the key that the
# test build's ACMB_TEST_KEYGEN_FILE hook "generates" is the one searched for.
# Zero hits at the result and at exit_group after issue, CSR, IssueCertificate,
# GetCertificate, import and verify; and SIGINT / SIGTERM while waiting for
# the certificate (the endpoint answers RequestInProgressException) exit
# 130 / 143 with zero hits at exit_group. The same with the key made inside
# a SoftHSM2 token (the harness learns that key after the run), and both
# flows under strace (nothing written) and with --debug (nothing logged).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
M=$WORK/mat
make_material "$M"
. "$ACMB_TESTS_DIR/lib/endpoint.sh"
. "$ACMB_TESTS_DIR/pca/pca.sh"
endpoint_start --tls >/dev/null || { fail "endpoint did not start"; finish; }
pca_wait_ready || { fail "Private CA keys not ready"; finish; }
CA_ARN=$(pca_ca_arn ecp256)
ISSUE=("$ACMBRIDGE" issue --endpoint-url "$ACMB_ENDPOINT_URL" --pca-endpoint-url
	"$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" --certificate-authority-arn "$CA_ARN"
	--dns-name custody.example.com --validity 30d)
SECRETS=(--key "$M/ec-pkcs8.pem" --aws-secret "$AWS_SECRET_ACCESS_KEY")

# The whole flow, key in memory.
pca_pending_polls 0
scan pca-memory "${SECRETS[@]}" --env "ACMB_TEST_KEYGEN_FILE=$M/ec-pkcs8.pem" \
	--result-fd 1 --expect-exit 0 --origin -- "${ISSUE[@]}"
case $? in
0) ok "issue, key in memory: zero hits at result and exit, exit code 0" ;;
*) fail "issue, key in memory: secret copies found or exit code not 0 (above)" ;;
esac

# A signal while the certificate is pending: the wait stops, the key is wiped.
signal_wait() {
	local name=$1 sig=$2 want=$3
	pca_pending_polls 1000
	scan "$name" "${SECRETS[@]}" --env "ACMB_TEST_KEYGEN_FILE=$M/ec-pkcs8.pem" \
		--signal "$sig@break:acmb_pca_get_certificate" --expect-exit "$want" --origin \
		-- "${ISSUE[@]}" --wait-timeout 120
	judge_signal_run "$name" $? "$want" "$name: SIG$sig while waiting"
	pca_release
}
signal_wait sig-pca-int-in-wait INT 130
signal_wait sig-pca-term-in-wait TERM 143

CHECK=("$PY" "$here/custody-check.py")
# LeakSanitizer (ASan builds) cannot run under a tracer such as strace.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
TRACE=(strace -f -qq -s 1000000 -xx -yy
	-e trace=write,writev,pwrite64,pwritev,sendto,sendmsg,openat,creat,rename,renameat,renameat2,link,linkat,memfd_create)
# disk_and_logs NAME EXPECTED_EXIT ALLOW-CREATE-REGEX SECRETS... -- ARGS...:
# the flow under strace (no secret written to any descriptor, no file
# created but those allowed), then with --debug (no secret in its output).
# Each run's secrets are given by a function, so a key learnt after the
# run can be part of them: $learn_cmd is run after each of the two runs.
disk_and_logs() {
	local name=$1 want=$2 allow=$3 rc crc out sec=() args
	shift 3
	while [ "$1" != -- ]; do sec+=("$1"); shift; done
	shift
	args=("$@")
	env "${UNSET_TEST_SECRETS[@]}" "${TRACE[@]}" -o "$WORK/$name.strace" "$ACMBRIDGE" "${args[@]}" \
		</dev/null >"$WORK/$name.out" 2>&1
	rc=$?
	learn_run || { fail "$name: disk: the token's key could not be learnt after the run"; return; }
	out=$("${CHECK[@]}" strace "$WORK/$name.strace" --allow-create "$allow" "${sec[@]}" $(learnt_secrets))
	crc=$?
	sed 's/^/    /' <<<"$out"
	if [ "$rc" -ne "$want" ]; then
		fail "$name: disk: exit code $rc, expected $want: $(head -c 400 "$WORK/$name.out")"
	elif [ "$crc" -eq 0 ]; then
		ok "$name: disk: no secret written to any descriptor, no file created but $allow"
	else
		fail "$name: disk: secret on a descriptor or a file created (above)"
	fi
	# A token flow needs a new key label for its second run.
	next_label
	[ -n "$LABEL" ] && args=("${args[@]/object=$LABEL_PREV/object=$LABEL}")
	env "${UNSET_TEST_SECRETS[@]}" "$ACMBRIDGE" --debug "${args[@]}" </dev/null >"$WORK/$name.log" 2>&1
	rc=$?
	learn_run || { fail "$name: logs: the token's key could not be learnt after the run"; return; }
	judge_debug_log "$name: logs" "$WORK/$name.log" "$rc" "$want" "${sec[@]}" $(learnt_secrets)
}

# Key in memory: nothing written, nothing logged.
learn_run() { :; }
learnt_secrets() { :; }
next_label() { LABEL=; }
pca_pending_polls 0
export ACMB_TEST_KEYGEN_FILE=$M/ec-pkcs8.pem
disk_and_logs pca-memory 0 '^$' "${SECRETS[@]}" -- "${ISSUE[@]:1}"
unset ACMB_TEST_KEYGEN_FILE

# Key made inside a SoftHSM2 token (sensitive, extractable), the CSR signed
# there, the certificate stored next to it, then exported for the import.
# The key exists only in the token: after the run the test exports it
# (tests/softhsm/p11-export-driver --write-key) and searches for it in the
# memory the harness kept from both moments, in the writes and in the logs.
export SOFTHSM2_CONF=$WORK/softhsm2.conf
mkdir "$WORK/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	"$WORK" >"$SOFTHSM2_CONF"
PIN=$("$PY" -c 'import secrets; print("pin-" + secrets.token_hex(8))')
softhsm2-util --init-token --free --label custody --pin "$PIN" --so-pin 56781234 >/dev/null ||
	{ fail "cannot make a SoftHSM2 token"; finish; }
printf '%s\n' "$PIN" >"$WORK/pin"
chmod 600 "$WORK/pin"
MODULE=/usr/lib/softhsm/libsofthsm2.so
DRIVER=$ACMB_BUILD_DIR/tests/softhsm/p11-export-driver
# learn_cmd LABEL TYPE: the shell command that writes the token's key LABEL
# to $WORK/LABEL.key (and its certificate, if stored, to $WORK/LABEL.crt),
# found through the certificate (TYPE cert) or the key itself (TYPE private).
learn_cmd() {
	printf "'%s' --module '%s' --pin-file '%s' --audit-log '%s' --%s 'pkcs11:token=custody;object=%s;type=%s' --write-key '%s' --write-cert '%s' >/dev/null" \
		"$DRIVER" "$MODULE" "$WORK/pin" "$WORK/learn-audit.log" \
		"$([ "$2" = cert ] && echo certificate || echo private-key)" "$1" "$2" \
		"$WORK/$1.key" "$WORK/$1.crt"
}
TOKEN_OPTS=(--module "$MODULE" --pin-file "$WORK/pin" --audit-log "$WORK/audit.log")
TSECRETS=(--pin "$PIN" --aws-secret "$AWS_SECRET_ACCESS_KEY")

pca_pending_polls 0
scan pca-token "${TSECRETS[@]}" --late-key "$WORK/t1.key" --late-key-cmd "$(learn_cmd t1 cert)" \
	--late-public "$WORK/t1.crt" --result-fd 1 --expect-exit 0 --origin \
	-- "${ISSUE[@]}" --key-store "pkcs11:token=custody;object=t1" "${TOKEN_OPTS[@]}"
case $? in
0) ok "issue, key in the token: zero hits of the token's key, the PIN and the AWS secret at result and exit, exit code 0" ;;
*) fail "issue, key in the token: secret copies found, key not learnt or exit code not 0 (above)" ;;
esac

# A signal while the certificate is pending: nothing was exported yet, the
# PIN is wiped; the key stays in the token (learnt through its own URI).
token_signal_wait() {
	local name=$1 sig=$2 want=$3 label=$4
	pca_pending_polls 1000
	scan "$name" "${TSECRETS[@]}" --late-key "$WORK/$label.key" \
		--late-key-cmd "$(learn_cmd "$label" private)" \
		--signal "$sig@break:acmb_pca_get_certificate" --expect-exit "$want" --origin \
		-- "${ISSUE[@]}" --wait-timeout 120 --key-store "pkcs11:token=custody;object=$label" \
		"${TOKEN_OPTS[@]}"
	judge_signal_run "$name" $? "$want" "$name: SIG$sig while waiting (key in the token)"
	pca_release
}
token_signal_wait sig-pca-token-int-in-wait INT 130 t2
token_signal_wait sig-pca-token-term-in-wait TERM 143 t3

# Disk and logs with the key in the token: SoftHSM's own object store (its
# token files, private attributes encrypted under the token key) and the
# audit log are the only files written.
pca_pending_polls 0
n=10
next_label() { LABEL_PREV=t$n; n=$((n + 1)); LABEL=t$n; }
learn_run() { eval "$(learn_cmd "t$n" cert)" && [ -s "$WORK/t$n.key" ]; }
learnt_secrets() { echo "--key $WORK/t$n.key --public-file $WORK/t$n.crt"; }
disk_and_logs pca-token 0 "^$WORK/(tokens/|audit\.log\$)" "${TSECRETS[@]}" -- \
	"${ISSUE[@]:1}" --key-store "pkcs11:token=custody;object=t$n" "${TOKEN_OPTS[@]}"
finish
