#!/usr/bin/env bash
# SIGINT and SIGTERM during key export/decoding and during the HTTP request:
# the process must exit with 128 + the signal (130/143) and hold no secret at
# exit_group. The harness delivers the signal at a chosen point (a
# breakpoint in the key decoder; the return of connect() to the endpoint,
# whose `slow` fault holds the request open) and scans at exit_group.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/flows.sh"
M=$WORK/mat
make_material "$M"

# signal_run NAME SIG@WHERE EXPECTED_EXIT FLOW_LINE
signal_run() {
	local name=$1 sig=$2 want=$3 e env_opts=()
	flow_fields "$4"
	flow_setup
	for e in "${F_ENV[@]}"; do env_opts+=(--env "$e"); done
	scan "sig-$name" "${F_SECRETS[@]}" "${env_opts[@]}" --signal "$sig" \
		--expect-exit "$want" --origin -- "${F_PROG[@]}" "${F_ARGS[@]}"
	# What the signal must guarantee is judged at exit_group; the result
	# moment (if the run got that far) is test-memory.sh's business.
	judge_signal_run "sig-$name" $? "$want" "$name: $sig"
}

check_line=$(check_flows | grep '^check-encrypted-file|')
signal_run check-term-in-decoder "TERM@break:OSSL_DECODER_from_data" 143 "$check_line"
signal_run check-int-in-decoder "INT@break:OSSL_DECODER_from_data" 130 "$check_line"

start_import_endpoint || { fail "endpoint did not start"; finish; }
import_line=$(import_flows | grep '^import-new|' | sed 's/|||import/||{"operation":"ImportCertificate","fault":"slow","delay":3}|import/')
signal_run import-term-in-request "TERM@syscall:connect" 143 "$import_line"
signal_run import-int-in-request "INT@syscall:connect" 130 "$import_line"
# SIGINT/SIGTERM while waiting for a Private CA certificate: test-pca.sh.
finish
