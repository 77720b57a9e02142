#!/bin/bash
# The JMESPath engine against python-jmespath (the AWS CLI's) on generated
# documents and expressions: tests/query/jmespath_diff.py, a fixed seed and
# count, so that a failure is the same failure on every run. Any difference
# that is not one of python-jmespath's named departures from the
# specification fails.
set -euo pipefail

: "${ACMB_TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${ACMB_BUILD_DIR:?ACMB_BUILD_DIR must name the build directory}"
: "${PYTHON3:=/usr/bin/python3}"

driver=$ACMB_BUILD_DIR/tests/query/jmespath-lines
if [ ! -x "$driver" ]; then
	echo "not ok - $driver is not built" >&2
	exit 1
fi
if ! "$PYTHON3" -c 'import jmespath' 2>/dev/null; then
	echo "not ok - python3-jmespath is not installed (scripts/deps.sh)" >&2
	exit 1
fi
"$PYTHON3" "$ACMB_TESTS_DIR/query/jmespath_diff.py" --driver "$driver" \
	--seed "${ACMB_JMESPATH_DIFF_SEED:-1}" --count "${ACMB_JMESPATH_DIFF_COUNT:-5000}"
