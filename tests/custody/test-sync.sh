#!/usr/bin/env bash
# Key custody over acmbridge sync of a fleet of 5 entries, one key each, in
# every form sync reads (PKCS#1 and SEC1 files, an encrypted PKCS#8 file
# with its passphrase file, a PKCS#12 bundle, a kubernetes.io/tls folder),
# imported over HTTPS into the local endpoint:
# - memory: zero copies of any of the 5 keys or of the passphrase at every
#   call of the key loader (acmb_sync_load#2..#5: the keys of the entries
#   done before must be gone; #1: the plan read only certificates), and of
#   those or the AWS secret (in use until the last call, in locked memory)
#   when the result is printed and at exit_group. Keys are searched in every
#   encoding and as OpenSSL's BIGNUM words; a probe at every acmb_import call
#   proves the scan sees the key in use there;
# - SIGINT and SIGTERM at the third entry's import: exit 130 / 143, zero
#   copies at exit_group;
# - the same fleet into two regions at once (a worker thread per region,
#   --max-parallel 2): zero copies at the result and at exit, at most one
#   other entry's key at each key load, SIGINT at the third import;
# - disk: nothing written to any descriptor or file but ciphertext;
# - logs: the --debug output holds no secret form and no credential header.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/flows.sh"
M=$WORK/mat
make_material "$M"

have_command sync || {
	fail "acmbridge has no sync command"
	finish
}

# fleet_cert KEY NAME: a self-signed certificate for KEY named NAME.
fleet_cert() {
	openssl req -new -x509 -key "$1" -out "$M/$2.crt" -days 30 -subj "/CN=$2.custody.example.com" \
		-addext "subjectAltName=DNS:$2.custody.example.com" 2>/dev/null
}
fleet_cert "$M/rsa-pkcs1.pem" s1
fleet_cert "$M/ec-sec1.pem" s2
fleet_cert "$M/enc-plain.pem" s3
fleet_cert "$M/p12-key.pem" s4
openssl pkcs12 -export -inkey "$M/p12-key.pem" -in "$M/s4.crt" -out "$M/s4.p12" \
	-passout file:"$M/pass.txt" 2>/dev/null
# make_material's PKCS#1 and PKCS#8 files hold one key: s5 gets its own.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$M/s5.key" 2>/dev/null
fleet_cert "$M/s5.key" s5
mkdir -p "$M/s5-secret"
cp "$M/s5.crt" "$M/s5-secret/tls.crt"
cp "$M/s5.key" "$M/s5-secret/tls.key"
chmod 600 "$M"/*.pem "$M/s5-secret/tls.key" "$M/pass.txt"
cat >"$M/fleet.yaml" <<YAML
version: 1
defaults:
  destinations: [{region: us-east-1}]
certificates:
  - name: s1
    files: {certificate: s1.crt, private-key: rsa-pkcs1.pem}
  - name: s2
    files: {certificate: s2.crt, private-key: ec-sec1.pem}
  - name: s3
    files: {certificate: s3.crt, private-key: rsa-enc.pem, passphrase-file: pass.txt}
  - name: s4
    pkcs12: {path: s4.p12, passphrase-file: pass.txt}
  - name: s5
    dir: s5-secret
YAML

start_import_endpoint || {
	fail "endpoint did not start"
	finish
}
# key1..key5 in the harness's report are the entries s1..s5, in this order.
CHECK_SECRETS=(--key "$M/rsa-pkcs1.pem" --key "$M/ec-sec1.pem" --key "$M/enc-plain.pem"
	--key "$M/p12-key.pem" --key "$M/s5.key"
	--passphrase-file "$M/pass.txt" --secret-file "$M/rsa-enc.pem" --secret-file "$M/s4.p12"
	--aws-secret "$AWS_SECRET_ACCESS_KEY"
	--public-file "$M/s1.crt" --public-file "$M/s2.crt" --public-file "$M/s3.crt"
	--public-file "$M/s4.crt" --public-file "$M/s5.crt")
# In memory, also as OpenSSL holds a key's numbers.
SECRETS=("${CHECK_SECRETS[@]}" --bn-words)
SYNC=("$ACMBRIDGE" sync --manifest "$M/fleet.yaml" --output json --endpoint-url "$URL" --ca-bundle "$CA")

echo "# memory: after each entry, at the result and at exit"
scan mem-sync "${SECRETS[@]}" --probe-at break:acmb_sync_load --probe-at break:acmb_import \
	--result-fd 1 --expect-exit 0 --origin -- "${SYNC[@]}"
rc=$?
case $rc in
0) ok "sync of 5 entries: zero hits at the result and at exit, exit 0" ;;
1) fail "sync of 5 entries: secret copies found (see HIT and ORIGIN lines above)" ;;
2) fail "sync of 5 entries: a moment was not reached or the exit code was not 0" ;;
*) fail "sync of 5 entries: harness failure" ;;
esac
# What the report says moment by moment: the loader's calls, and the key of
# the entry being imported found at each acmb_import (the scan sees a key
# where one is, so its zeros elsewhere mean something).
judged=$("$PY" - "$WORK/run-mem-sync/report.json" <<'PYEOF'
import json, sys
rep = json.load(open(sys.argv[1]))["moments"]
loads = [k for k in rep if k.startswith("acmb_sync_load#")]
imports = [k for k in rep if k.startswith("acmb_import#")]
seen = []
for i, k in enumerate(imports, 1):
    forms = {h["form"].split(" ")[0] for h in rep[k]["hits"]}
    seen.append("key%d" % i in forms)
# At a key load the run's AWS credentials are rightly in its locked memory.
print(len(loads), sum(1 for k in loads for h in rep[k]["hits"]
                      if h["form"] != "AWS secret"), len(imports), sum(seen))
PYEOF
)
read -r nloads load_hits nimports seen <<<"$judged"
expect_eq "the key loader was called once per entry (5 moments)" "$nloads" 5
expect_eq "zero key or passphrase hits at every key load (the entries before wiped)" "$load_hits" 0
expect_eq "acmb_import was called once per entry (5 probes)" "$nimports" 5
expect_eq "control: each probe found that entry's key in use" "$seen" 5
expect_eq "5 certificates in ACM" "$(endpoint_cert_count)" 5

echo "# memory, two destinations at once: worker threads, at most 2 keys"
endpoint_reset
sed 's/destinations: \[{region: us-east-1}\]/destinations: [{region: us-east-1}, {region: eu-west-1}]/' \
	"$M/fleet.yaml" >"$M/fleet2.yaml"
SYNC2=("$ACMBRIDGE" sync --manifest "$M/fleet2.yaml" --output json --endpoint-url "$URL" --ca-bundle "$CA")
scan mem-sync2 "${SECRETS[@]}" --probe-at break:acmb_sync_load --probe-at break:acmb_import \
	--result-fd 1 --expect-exit 0 --origin -- "${SYNC2[@]}"
case $? in
0) ok "sync of 5 entries into 2 regions at once: zero hits at the result and at exit, exit 0" ;;
*) fail "sync of 5 entries into 2 regions at once: secret copies found, a moment not reached or a bad exit" ;;
esac
# --max-parallel defaults to the 2 destinations: at a key load at most one
# other entry's key may still be in memory (the one being loaded is not yet).
judged=$("$PY" - "$WORK/run-mem-sync2/report.json" <<'PYEOF'
import json, sys
rep = json.load(open(sys.argv[1]))["moments"]
loads = [k for k in rep if k.startswith("acmb_sync_load#")]
imports = [k for k in rep if k.startswith("acmb_import#")]
most = max((len({h["form"].split(" ")[0] for h in rep[k]["hits"] if h["form"] != "AWS secret"})
            for k in loads), default=0)
print(len(loads), most, len(imports))
PYEOF
)
read -r nloads most nimports <<<"$judged"
expect_eq "  the key loader was called once per entry (5 moments)" "$nloads" 5
if [ "$most" -le 1 ]; then
	ok "  at every key load at most one other entry's key is in memory (most: $most)"
else
	fail "  at every key load at most one other entry's key is in memory" "most: $most"
fi
expect_eq "  acmb_import was called once per entry and region (10 probes)" "$nimports" 10
expect_eq "  10 certificates in ACM" "$(endpoint_cert_count)" 10
endpoint_reset
scan "sig-sync2-INT" "${SECRETS[@]}" --signal "INT@break:acmb_import:3" \
	--expect-exit 130 --origin -- "${SYNC2[@]}"
judge_signal_run "sig-sync2-INT" $? 130 "sync of 5 entries into 2 regions at once: SIGINT at the third import"

echo "# SIGINT / SIGTERM at the third entry's import"
for s in INT:130 TERM:143; do
	sig=${s%%:*}
	endpoint_reset
	scan "sig-sync-$sig" "${SECRETS[@]}" --signal "$sig@break:acmb_import:3" \
		--expect-exit "${s#*:}" --origin -- "${SYNC[@]}"
	judge_signal_run "sig-sync-$sig" $? "${s#*:}" "sync of 5 entries: SIG$sig at the third import"
done

# LeakSanitizer (ASan builds) cannot run under a tracer such as strace.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
echo "# disk: nothing but ciphertext written, no file created"
endpoint_reset
env "${UNSET_TEST_SECRETS[@]}" strace -f -qq -s 1000000 -xx -yy \
	-e trace=write,writev,pwrite64,pwritev,sendto,sendmsg,openat,creat,rename,renameat,renameat2,link,linkat,memfd_create \
	-o "$WORK/sync.strace" "${SYNC[@]}" </dev/null >"$WORK/sync.out" 2>&1
rc=$?
out=$("$PY" "$here/custody-check.py" strace "$WORK/sync.strace" "${CHECK_SECRETS[@]}")
crc=$?
sed 's/^/    /' <<<"$out"
if [ "$rc" -ne 0 ]; then
	fail "sync under strace: exit code $rc: $(head -c 300 "$WORK/sync.out")"
elif [ "$crc" -eq 0 ]; then
	ok "sync of 5 entries: no secret written to any descriptor, no file created"
else
	fail "sync of 5 entries: secret on a descriptor or a file created (above)"
fi

echo "# logs: --debug output"
endpoint_reset
env "${UNSET_TEST_SECRETS[@]}" "${SYNC[@]}" --debug </dev/null >"$WORK/sync.log" 2>&1
judge_debug_log "sync of 5 entries" "$WORK/sync.log" $? 0 "${CHECK_SECRETS[@]}"
finish
