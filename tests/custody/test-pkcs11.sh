#!/usr/bin/env bash
# Key custody for keys exported from a PKCS#11 token (SoftHSM2, the fixture
# of tests/softhsm): `acmbridge import` and `acmbridge check` with a pkcs11: URI, PIN from a file
# and from the environment, a wrong PIN and a non-extractable key (exit 4),
# SIGTERM during the export, and the token failing mid-export (a read after
# the key's other components were read; the token pulled right after
# C_WrapKey). For each: zero copies of the key or the PIN
# in memory at the result moment and at exit, none written to any descriptor
# except the audit log's records (which must hold no secret either), and
# none in --debug output.
here=$(cd "$(dirname "$0")" && pwd)
FIXTURE_TYPES="rsa2048 p256"
# The fixture first: it turns on errexit and defines helpers of its own
# (finish among them) that ours must replace, not the other way round.
. "${ACMB_TESTS_DIR:?}/softhsm/fixture.sh" >/dev/null
set +e
. "$here/lib.sh"
. "$here/flows.sh"
trap 'rm -rf "$WORK" "$W"; endpoint_stop 2>/dev/null' EXIT
start_import_endpoint || { fail "endpoint did not start"; finish; }
CHECK=("$PY" "$here/custody-check.py")
TRACE=(strace -f -qq -s 1000000 -xx -yy
	-e trace=write,writev,pwrite64,pwritev,sendto,sendmsg,openat,creat,rename,renameat,renameat2,link,linkat,memfd_create)
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
printf 'wrong-%s\n' "$($PY -c 'import secrets; print(secrets.token_hex(6))')" >"$W/badpin"
BADPIN=$(head -n1 "$W/badpin")
uri() { echo "pkcs11:token=acmb-main;object=$1;type=cert"; }
EP=(--endpoint-url "$URL" --ca-bundle "$CA")

# name|exit|fd|secrets|env|args
p11_flows() {
	cat <<FLOWS
p11-pin-file|0|1|--key $P/rsa2048-sens.key --public-file $P/rsa2048-sens.pem --pin $FIXTURE_PIN --aws-secret $AWS_SECRET_ACCESS_KEY||import ${EP[*]} --module $MODULE --pin-file $W/pin --audit-log $W/audit.log --certificate $(uri rsa2048-sens)
p11-pin-env|0|1|--key $P/p256-plain.key --public-file $P/p256-plain.pem --pin $FIXTURE_PIN --aws-secret $AWS_SECRET_ACCESS_KEY|CUSTODY_PIN=$FIXTURE_PIN|import ${EP[*]} --module $MODULE --pin-env CUSTODY_PIN --audit-log $W/audit.log --certificate $(uri p256-plain)
p11-check|0|1|--key $P/rsa2048-plain.key --public-file $P/rsa2048-plain.pem --pin $FIXTURE_PIN||check --module $MODULE --pin-file $W/pin --audit-log $W/audit.log --certificate $(uri rsa2048-plain)
p11-wrong-pin|4|2|--key $P/rsa2048-plain.key --public-file $P/rsa2048-plain.pem --pin $BADPIN --pin $FIXTURE_PIN --aws-secret $AWS_SECRET_ACCESS_KEY||import ${EP[*]} --module $MODULE --pin-file $W/badpin --audit-log $W/audit.log --certificate $(uri rsa2048-plain)
p11-non-extractable|4|2|--key $P/p256-nonext.key --public-file $P/p256-nonext.pem --pin $FIXTURE_PIN --aws-secret $AWS_SECRET_ACCESS_KEY||import ${EP[*]} --module $MODULE --pin-file $W/pin --audit-log $W/audit.log --certificate $(uri p256-nonext)
FLOWS
}

while IFS='|' read -r name want fd secrets envs args; do
	read -r -a sec <<<"$secrets"
	read -r -a ev <<<"$envs"
	read -r -a argv <<<"$args"
	env_opts=()
	for e in "${ev[@]}"; do env_opts+=(--env "$e"); done

	# The fixture's own copy of the PIN (FIXTURE_PIN) stays out of the
	# program's environment: it is the test's, not acmbridge's.
	scan "mem-$name" "${sec[@]}" "${env_opts[@]}" --unset-env FIXTURE_PIN --unset-env FIXTURE_SO_PIN --result-fd "$fd" --expect-exit "$want" \
		--origin -- "$ACMBRIDGE" "${argv[@]}"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name: memory: zero hits at result and exit, exit code $want"
	elif [ "$rc" -eq 1 ]; then
		fail "$name: memory: secret copies found (HIT and ORIGIN lines above)"
	else
		fail "$name: memory: moment missing or exit code not $want (harness status $rc)"
	fi

	env "${UNSET_TEST_SECRETS[@]}" -u FIXTURE_PIN -u FIXTURE_SO_PIN "${ev[@]}" "${TRACE[@]}" -o "$WORK/$name.strace" \
		"$ACMBRIDGE" "${argv[@]}" </dev/null >"$WORK/$name.out" 2>&1
	# SoftHSM's file object store rewrites its token files on login.
	out=$("${CHECK[@]}" strace "$WORK/$name.strace" --allow-create "^$W/audit\\.log\$" \
		--allow-create "^$W/tokens/" "${sec[@]}")
	crc=$?
	sed 's/^/    /' <<<"$out"
	[ "$crc" -eq 0 ] && ok "$name: disk: nothing secret written, no file but the audit log created" ||
		fail "$name: disk: secret written or unexpected file (above)"

	env "${UNSET_TEST_SECRETS[@]}" "${ev[@]}" "$ACMBRIDGE" --debug "${argv[@]}" </dev/null \
		>"$WORK/$name.log" 2>&1
	out=$("${CHECK[@]}" text "$WORK/$name.log" "$W/audit.log" "${sec[@]}")
	crc=$?
	sed 's/^/    /' <<<"$out"
	[ "$crc" -eq 0 ] && ok "$name: logs: --debug output and audit log hold no secret" ||
		fail "$name: logs: secret in --debug output or audit log (above)"
done < <(p11_flows)

line=$(p11_flows | grep '^p11-pin-file|')
IFS='|' read -r name want fd secrets envs args <<<"$line"
read -r -a sec <<<"$secrets"
read -r -a argv <<<"$args"
# SIGTERM as the export starts; SIGINT once the exported key is in memory
# (as the ACM rules start judging it): exit 128 + the signal, zero hits at
# exit_group (on a signal the result is never written).
for spec in "term-in-export|TERM@break:acmb_p11_export_key|143" "int-after-export|INT@break:acmb_rules_judge|130"; do
	IFS='|' read -r sname where want <<<"$spec"
	scan "sig-p11-$sname" "${sec[@]}" --unset-env FIXTURE_PIN --unset-env FIXTURE_SO_PIN \
		--signal "$where" --expect-exit "$want" --origin -- "$ACMBRIDGE" "${argv[@]}"
	judge_signal_run "sig-p11-$sname" $? "$want" "p11 $where"
done

# Token failures mid-export, through the fault-injecting module
# (tests/softhsm/faulty-p11.c, forwarding to SoftHSM).
# (a) Components path (non-sensitive key): every C_GetAttributeValue after
# the first N fails. N is found as the number of reads a whole run needs,
# less one, so the read that fails is the last component (RSA: the CRT
# coefficient, after d, p, q, dp and dq are in memory; EC: the private
# value, the only secret component): exit 4, zero hits at both moments.
p11_fault_run() {
	ACMB_FAULT_P11=$1 "$ACMBRIDGE" check --module "$FAULTY" --pin-file "$W/pin" \
		--audit-log "$W/audit.log" --certificate "$(uri "$2")" >/dev/null 2>&1
}
for obj in rsa2048-plain p256-plain; do
	lo=0 hi=512
	# The smallest N for which the run succeeds: every read it makes.
	while [ $lo -lt $hi ]; do
		mid=$(((lo + hi) / 2))
		if p11_fault_run "C_GetAttributeValue:CKR_DEVICE_REMOVED:$mid" "$obj"; then
			hi=$mid
		else
			lo=$((mid + 1))
		fi
	done
	if [ $lo -lt 2 ] || [ $lo -ge 512 ]; then
		fail "$obj: cannot find how many token reads an export makes ($lo)"
		continue
	fi
	skip=$((lo - 1))
	scan "fault-$obj" --key "$P/$obj.key" --public-file "$P/$obj.pem" --pin "$FIXTURE_PIN" \
		--unset-env FIXTURE_PIN --unset-env FIXTURE_SO_PIN \
		--env "ACMB_FAULT_P11=C_GetAttributeValue:CKR_DEVICE_REMOVED:$skip" \
		--result-fd 2 --expect-exit 4 --origin -- "$ACMBRIDGE" check --module "$FAULTY" \
		--pin-file "$W/pin" --audit-log "$W/audit.log" --certificate "$(uri "$obj")"
	if [ $? -eq 0 ] && grep -q "CKR_DEVICE_REMOVED" "$WORK/run-fault-$obj/stderr"; then
		ok "$obj: token gone at read $lo of $lo: exit 4, zero hits at result and exit ($(grep -m1 CKR_DEVICE_REMOVED "$WORK/run-fault-$obj/stderr"))"
	else
		fail "$obj: token gone at read $lo: secret copies found, or not exit 4 with CKR_DEVICE_REMOVED (above)"
	fi
done

# (b) Wrap path (sensitive key): the token is pulled right after C_WrapKey
# handed over the wrapped key; every later call fails. The wrapping key was
# a session object (gone with the token), the export completes from the
# wrapped bytes and the import goes on: exit 0, zero hits, audited.
scan fault-after-wrap --key "$P/p256-sens.key" --public-file "$P/p256-sens.pem" --pin "$FIXTURE_PIN" \
	--aws-secret "$AWS_SECRET_ACCESS_KEY" --unset-env FIXTURE_PIN --unset-env FIXTURE_SO_PIN \
	--env "ACMB_FAULT_P11=after:C_WrapKey:CKR_DEVICE_REMOVED" --result-fd 1 --expect-exit 0 \
	--origin -- "$ACMBRIDGE" import "${EP[@]}" --module "$FAULTY" --pin-file "$W/pin" \
	--audit-log "$W/audit.log" --certificate "$(uri p256-sens)"
if [ $? -eq 0 ] && [ "$(tail -n1 "$W/audit.log" | grep -c '"result":"imported"')" -eq 1 ]; then
	ok "token pulled after C_WrapKey: export completes, imported, zero hits at result and exit"
else
	fail "token pulled after C_WrapKey: secret copies found, or not imported (above)"
fi

# A token that refuses a wrapping key from outside: the wrapping key is
# generated in the token and its value read into the secure heap for the
# unwrap; the exported key leaves no copy either.
scan fault-generated-wrapping-key --key "$P/rsa2048-sens.key" --public-file "$P/rsa2048-sens.pem" \
	--pin "$FIXTURE_PIN" --aws-secret "$AWS_SECRET_ACCESS_KEY" --unset-env FIXTURE_PIN \
	--unset-env FIXTURE_SO_PIN --env "ACMB_FAULT_P11=C_CreateObject:CKR_ACTION_PROHIBITED" \
	--result-fd 1 --expect-exit 0 --origin -- "$ACMBRIDGE" import "${EP[@]}" --module "$FAULTY" \
	--pin-file "$W/pin" --audit-log "$W/audit.log" --certificate "$(uri rsa2048-sens)"
if [ $? -eq 0 ]; then
	ok "wrapping key generated in the token (placing refused): imported, zero hits at result and exit"
else
	fail "wrapping key generated in the token: secret copies found or exit code not 0 (above)"
fi
finish
