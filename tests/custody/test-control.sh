#!/usr/bin/env bash
# The harness can see: a key copy left in the plain heap, left unwiped in the
# secure heap, or left on a worker thread's stack is found at both moments; a
# copy still in the vector registers is found at the result moment; and the
# correct twin of each (wiped, freed, scrubbed) shows zero hits; the same for
# a key the harness learns only after the run.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
LEAK=${ACMB_BUILD_DIR:?}/tests/custody/custody-leak

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/key.pem" 2>/dev/null

# mode, mapping regex where the copy must be found (an ASan build has its
# heap in anonymous mappings)
for spec in "heap|^\[(heap|anon)\]$" "secure|^\[anon\]$" "stack|^\[anon\]$"; do
	mode=${spec%%|*}
	where=${spec#*|}
	scan "control-$mode" --key "$WORK/key.pem" --expect-exit 0 -- "$LEAK" "$mode" "$WORK/key.pem"
	rc=$?
	r=$(hits_at "control-$mode" result "$where")
	e=$(hits_at "control-$mode" exit "$where")
	if [ "$rc" -eq 1 ] && [ "$r" -ge 1 ] && [ "$e" -ge 1 ]; then
		ok "control $mode: leaked copy found at result ($r) and exit ($e) in $where"
	else
		fail "control $mode: leaked copy not found (harness rc $rc, result $r, exit $e)"
	fi
	scan "control-$mode-ok" --key "$WORK/key.pem" --expect-exit 0 -- "$LEAK" "$mode-ok" "$WORK/key.pem"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "control $mode-ok: correct twin shows zero hits at both moments"
	else
		fail "control $mode-ok: twin should show zero hits (harness rc $rc)"
	fi
done

scan control-registers --key "$WORK/key.pem" --expect-exit 0 -- "$LEAK" registers "$WORK/key.pem"
rc=$?
r=$(hits_at control-registers result "vector registers")
e=$(hits_at control-registers exit)
if [ "$rc" -eq 1 ] && [ "$r" -ge 1 ] && [ "$e" -eq 0 ]; then
	ok "control registers: key bytes found in the vector registers ($r), none at exit"
else
	fail "control registers: expected register hits at result only (rc $rc, result $r, exit $e)"
fi

# A key known only after the run (as one made inside a token): the memory
# kept from each moment is searched once the key is learnt. The leaked heap
# copy is found; its wiped twin shows zero hits.
scan control-late --late-key "$WORK/late.pem" --late-key-cmd "cp '$WORK/key.pem' '$WORK/late.pem'" \
	--expect-exit 0 -- "$LEAK" heap "$WORK/key.pem"
rc=$?
r=$(hits_at control-late result)
e=$(hits_at control-late exit)
if [ "$rc" -eq 1 ] && [ "$r" -ge 1 ] && [ "$e" -ge 1 ] && grep -q "HIT .*late key" "$WORK/control-late.out"; then
	ok "control late key: a copy of a key learnt after the run is found at result ($r) and exit ($e)"
else
	fail "control late key: leaked copy not found (harness rc $rc, result $r, exit $e)"
fi
rm -f "$WORK/late.pem"
scan control-late-ok --late-key "$WORK/late.pem" --late-key-cmd "cp '$WORK/key.pem' '$WORK/late.pem'" \
	--expect-exit 0 -- "$LEAK" heap-ok "$WORK/key.pem"
if [ $? -eq 0 ] && grep -q "late key learnt" "$WORK/control-late-ok.out"; then
	ok "control late key ok: the wiped twin shows zero hits"
else
	fail "control late key ok: twin should show zero hits"
fi
scan control-late-fails --late-key "$WORK/none.pem" --late-key-cmd "false" \
	--expect-exit 0 -- "$LEAK" heap-ok "$WORK/key.pem"
if [ $? -eq 3 ] && grep -q "HARNESS FAILURE: the late key could not be learnt" "$WORK/control-late-fails.out"; then
	ok "control late key: a key that cannot be learnt is a harness failure, not a pass"
else
	fail "control late key: a failed late-key command must fail the run"
fi

# A short secret (under 16 bytes) is searched whole: the PIN-sized needle
# "done stack-ok" (13 bytes) is in the stdio buffer at exit.
scan control-short --pin "done stack-ok" --expect-exit 0 -- "$LEAK" stack-ok "$WORK/key.pem"
rc=$?
e=$(hits_at control-short exit)
if [ "$rc" -eq 1 ] && [ "$e" -ge 1 ]; then
	ok "control short secret: a 13-byte needle is found whole ($e)"
else
	fail "control short secret: 13-byte needle not found (rc $rc, exit $e)"
fi
finish
