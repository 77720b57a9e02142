#!/bin/bash
# The local ACM endpoint as a strict judge: SigV4 refusals, botocore-model
# validation, JSON 1.1 framing, ACM's import, tag and pagination rules
# (tests/endpoint/protocol_check.py, signing with botocore).
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export PYTHON3=${PYTHON3:-/usr/bin/python3}
source "$ACMB_TESTS_DIR/lib/endpoint.sh"

endpoint_start
"$PYTHON3" "$ACMB_TESTS_DIR/endpoint/protocol_check.py"
