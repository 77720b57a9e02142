#!/bin/bash
# The --output formatters against the AWS CLI's own formatter code (Debian's
# awscli: awscli.formatter, text.py, table.py, ruamel.yaml) on generated
# results and queries, byte for byte: tests/query/output_diff.py with a fixed
# seed and count. tests/query/test-output-awscli.sh does the same end to end
# with the real `aws` against the local endpoint.
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${ACMB_BUILD_DIR:?ACMB_BUILD_DIR must name the build directory}"

driver=$ACMB_BUILD_DIR/tests/query/output-lines
if [ ! -x "$driver" ]; then
	echo "not ok - $driver is not built" >&2
	exit 1
fi
# The AWS CLI's own Python: /usr/bin/python3 with Debian's awscli.
if ! /usr/bin/python3 -c 'import awscli.formatter, jmespath' 2>/dev/null; then
	echo "not ok - Debian's awscli and python3-jmespath are needed (scripts/deps.sh)" >&2
	exit 1
fi
/usr/bin/python3 "$ACMB_TESTS_DIR/query/output_diff.py" --driver "$driver" \
	--seed "${ACMB_OUTPUT_DIFF_SEED:-1}" --count "${ACMB_OUTPUT_DIFF_COUNT:-3000}"
