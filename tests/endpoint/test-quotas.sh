#!/bin/bash
# ACM's per-operation request quotas in the local endpoint (quotas.py):
# per account and region, a scale factor for fleet tests, throttlingReasons,
# and the call counts tests read.
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export PYTHON3=${PYTHON3:-/usr/bin/python3}
source "$ACMB_TESTS_DIR/lib/endpoint.sh"

endpoint_start
"$PYTHON3" "$ACMB_TESTS_DIR/endpoint/quota_check.py" "$ACMB_ENDPOINT_URL"
