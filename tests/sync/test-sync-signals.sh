#!/bin/bash
# SIGINT and SIGTERM in the middle of acmbridge sync, against the local
# endpoint: a fleet of 6 entries in 2 regions whose imports each take a
# second (the endpoint's `slow` fault applies the import, then holds the
# answer), signalled once 3 certificates are in ACM. The run exits 130 / 143,
# prints per item what was done and what was not and the summary line, says
# why on stderr; a rerun completes the fleet without a duplicate (the import
# in flight when the signal came was applied: the rerun finds it by its
# tag). That the keys are wiped at exit is tests/custody/test-sync.sh's.
set -u

: "${ACMBRIDGE:?path of the built acmbridge}"
: "${ACMB_TESTS_DIR:?tests/ source dir}"
PY=${PYTHON3:-/usr/bin/python3}
PYTHON3=$PY
# shellcheck source=../lib/assert.sh
. "$ACMB_TESTS_DIR/lib/assert.sh"
# shellcheck source=../lib/material.sh
. "$ACMB_TESTS_DIR/lib/material.sh"
# shellcheck source=../lib/endpoint.sh
. "$ACMB_TESTS_DIR/lib/endpoint.sh"

mat_setup
D=$MAT_DIR
SYNC_PID=
trap '[ -z "$SYNC_PID" ] || kill -KILL "$SYNC_PID" 2>/dev/null; mat_cleanup; _endpoint_on_exit' EXIT
out=""
rc=0
ASSERT_STDERR=$D/stderr
ENTRIES="e1 e2 e3 e4 e5 e6"
PAIRS=12

sync_args() {
	echo sync --endpoint-url "$ACMB_ENDPOINT_URL" --ca-bundle "$ACMB_ENDPOINT_CA" --manifest "$D/fleet.yaml"
}
# pairs_held: "NAME/REGION=COUNT" for every acmbridge:name the endpoint holds.
pairs_held() {
	endpoint_certs | jq -r '[.certificates[] | "\([.tags[] | select(.Key == "acmbridge:name") | .Value][0] // "-")/\(.region)"]
		| group_by(.) | map("\(.[0])=\(length)") | .[]' | sort | tr '\n' ' ' | sed 's/ $//'
}
pairs_wanted() {
	local e r
	for e in $ENTRIES; do for r in us-east-1 eu-west-1; do echo "$e/$r=1"; done; done | sort | tr '\n' ' ' | sed 's/ $//'
}

endpoint_start --tls

mat_cert root --ca --subj "/CN=Signals Root" >/dev/null
mat_cert inter --ca --issuer root --subj "/CN=Signals Intermediate" >/dev/null
{
	echo "version: 1"
	echo "defaults:"
	echo "  destinations: [{region: us-east-1}, {region: eu-west-1}]"
	echo "certificates:"
	for e in $ENTRIES; do
		mat_cert "$e" --issuer inter --san "DNS:$e.signals.example.test" >/dev/null
		chmod 600 "$D/$e.key"
		echo "  - name: $e"
		echo "    files: {certificate: $e.pem, private-key: $e.key, certificate-chain: inter.pem}"
	done
} >"$D/fleet.yaml"

# interrupt SIG WANT: a sync run signalled with SIG once 3 certificates are
# in ACM; checks its exit code WANT, its report, then a rerun.
interrupt() {
	local sig=$1 want=$2 i held summary done_n not_done failed
	endpoint_reset
	endpoint_clear_faults
	endpoint_fault '{"operation": "ImportCertificate", "fault": "slow", "delay": 1, "rate": 1.0}'
	# shellcheck disable=SC2046
	"$ACMBRIDGE" $(sync_args) --output text >"$D/out" 2>"$D/stderr" &
	SYNC_PID=$!
	for ((i = 0; i < 600; i++)); do
		held=$(endpoint_cert_count)
		[ "$held" -ge 3 ] && break
		kill -0 "$SYNC_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! kill -"$sig" "$SYNC_PID" 2>/dev/null; then
		fail "SIG$sig: the run ended before it could be signalled" "$(head -c 400 "$D/stderr")"
		SYNC_PID=
		return
	fi
	wait "$SYNC_PID"
	rc=$?
	SYNC_PID=
	out=$(cat "$D/out")
	expect_rc "SIG$sig mid-run: exit $want" "$want" "interrupted by signal"
	summary=$(grep '^sync: ' "$D/out")
	expect_in "SIG$sig: the summary line is printed" "ImportCertificate calls planned;" "$summary"
	done_n=$(sed -n 's/.*; \([0-9]*\) done, \([0-9]*\) failed, \([0-9]*\) not done$/\1/p' <<<"$summary")
	failed=$(sed -n 's/.*; \([0-9]*\) done, \([0-9]*\) failed, \([0-9]*\) not done$/\2/p' <<<"$summary")
	not_done=$(sed -n 's/.*; \([0-9]*\) done, \([0-9]*\) failed, \([0-9]*\) not done$/\3/p' <<<"$summary")
	if [ -n "$done_n" ] && [ "$done_n" -ge 2 ] && [ "$not_done" -ge 1 ] &&
		[ $((done_n + failed + not_done)) -eq "$PAIRS" ]; then
		ok "SIG$sig: summary counts what was done ($done_n) and not done ($not_done) of $PAIRS"
	else
		fail "SIG$sig: summary counts" "'$summary'"
	fi
	# The item in flight names the call it was in; the others "not done".
	expect_eq "SIG$sig: one line per item not done, naming the signal" \
		"$(grep -c "FAILED: .*interrupted by signal $(kill -l "$sig")" "$D/out")" "$not_done"
	expect_eq "SIG$sig: no item failed for another reason" "$(grep -c 'FAILED' "$D/out")" "$not_done"
	[ "$ASSERT_FAILED" -eq 0 ] || sed 's/^/    /' "$D/out" "$D/stderr"
	expect_eq "SIG$sig: no duplicate in ACM after the signal" \
		"$(pairs_held | tr ' ' '\n' | grep -c '=[2-9]')" 0
	held=$(endpoint_cert_count)
	if [ "$held" -ge "$done_n" ] && [ "$held" -lt "$PAIRS" ]; then
		ok "SIG$sig: ACM holds what was done ($held certificates; in flight: applied or not)"
	else
		fail "SIG$sig: ACM holds $held certificates, $done_n reported done"
	fi

	endpoint_clear_faults
	# shellcheck disable=SC2046
	out=$("$ACMBRIDGE" $(sync_args) --output json 2>"$D/stderr")
	rc=$?
	expect_rc "SIG$sig: the rerun completes" 0
	expect_eq "SIG$sig: rerun: nothing failed" "$(jq -r '.Failed' <<<"$out"):$(jq -r '.NotDone' <<<"$out")" "0:0"
	expect_eq "SIG$sig: rerun: what ACM held is unchanged, the rest created" \
		"$(jq -r '[.Items[] | select(.Action == "unchanged")] | length' <<<"$out"):$(jq -r '[.Items[] | select(.Action == "create")] | length' <<<"$out")" \
		"$held:$((PAIRS - held))"
	expect_eq "SIG$sig: one certificate per (entry, region) after the rerun" "$(pairs_held)" "$(pairs_wanted)"
}

echo "# SIGINT"
interrupt INT 130
echo "# SIGTERM"
interrupt TERM 143

finish
