#!/usr/bin/env bash
# Hardening at start, read from the stopped process: not dumpable
# (prctl(PR_GET_DUMPABLE) called in the process), core size limit 0, the
# secure heap locked (VmFlags lo) and excluded from dumps (dd). With mlock
# impossible (RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK), --debug says the secure
# heap is NOT locked, the heap is still excluded from dumps, and the run still
# leaves no secret behind.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
M=$WORK/mat
make_material "$M"
args=(check --certificate "$M/rsa-pkcs1.crt" --private-key "$M/rsa-pkcs1.pem")
NOLOCK=(setpriv --bounding-set=-ipc_lock --inh-caps=-ipc_lock prlimit --memlock=0:0)

report() { "$PY" -c 'import json,sys; h=json.load(open(sys.argv[1]))["hardening"]; print(h["dumpable"], "/".join(h["core_limit"]), "|".join(h["secure_heap_vmflags"]))' "$WORK/run-$1/report.json"; }

scan hardening --hardening --key "$M/rsa-pkcs1.pem" --public-file "$M/rsa-pkcs1.crt" \
	--expect-exit 0 -- "$ACMBRIDGE" "${args[@]}"
rc=$?
read -r dumpable core flags <<<"$(report hardening)"
[ "$dumpable" = 0 ] && ok "process is not dumpable (PR_GET_DUMPABLE 0)" ||
	fail "process is dumpable ($dumpable)"
[ "$core" = 0/0 ] && ok "core size limit 0/0" || fail "core size limit $core, want 0/0"
case " $flags " in
*" lo "*" dd "* | *" dd "*" lo "*) ok "secure heap locked and excluded from dumps ($flags)" ;;
*) fail "secure heap VmFlags '$flags': want lo and dd" ;;
esac
[ "$rc" -eq 0 ] && ok "hardened run: zero hits" || fail "hardened run: harness status $rc"

"${NOLOCK[@]}" "$ACMBRIDGE" --debug "${args[@]}" >/dev/null 2>"$WORK/nolock.err"
if grep -q "secure heap NOT locked" "$WORK/nolock.err"; then
	ok "--debug reports the mlock failure under ulimit -l 0"
else
	fail "--debug did not report the mlock failure: $(head -n1 "$WORK/nolock.err")"
fi
"$ACMBRIDGE" --debug "${args[@]}" >/dev/null 2>"$WORK/lock.err"
grep -q "secure heap locked" "$WORK/lock.err" && ok "--debug reports the secure heap locked normally" ||
	fail "--debug does not report a locked heap: $(head -n1 "$WORK/lock.err")"

# The harness itself runs inside the limits so the program inherits them.
SCAN=("${NOLOCK[@]}" "${SCAN[@]}")
scan hardening-nolock --hardening --key "$M/rsa-pkcs1.pem" --public-file "$M/rsa-pkcs1.crt" \
	--expect-exit 0 -- "$ACMBRIDGE" "${args[@]}"
rc=$?
read -r dumpable core flags <<<"$(report hardening-nolock)"
case " $flags " in
*" lo "*) fail "secure heap locked although mlock was impossible ($flags)" ;;
*" dd "*) ok "unlocked secure heap still excluded from dumps ($flags)" ;;
*) fail "unlocked secure heap VmFlags '$flags': want dd" ;;
esac
[ "$rc" -eq 0 ] && ok "unlocked run: zero hits" || fail "unlocked run: harness status $rc"
finish
