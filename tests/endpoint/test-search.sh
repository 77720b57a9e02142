#!/bin/bash
# The local ACM endpoint's SearchCertificates (newest model), DeleteCertificate
# with InUse, ImportedAt, and the fault kinds and visibility lag that the
# import flow's convergence tests use (search_check.py, signing with botocore).
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export PYTHON3=${PYTHON3:-/usr/bin/python3}
source "$ACMB_TESTS_DIR/lib/endpoint.sh"

endpoint_start
rc=0
"$PYTHON3" "$ACMB_TESTS_DIR/endpoint/search_check.py" | tee "$ACMB_ENDPOINT_DIR/search.out" || rc=$?
summary=$(tail -1 "$ACMB_ENDPOINT_DIR/search.out")
if ! [[ "$summary" =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
	echo "search_check.py did not pass (exit $rc): $summary" >&2
	exit 1
fi
if [ -s "$ACMB_ENDPOINT_LOG" ] && grep -q Traceback "$ACMB_ENDPOINT_LOG"; then
	echo "the endpoint logged a traceback:" >&2
	cat "$ACMB_ENDPOINT_LOG" >&2
	exit 1
fi
exit "$rc"
