#!/bin/sh
# Compares the metrics of build/tests/test_metrics with scikit-learn (tests/sklearn_metrics.py) and forwards its
# "N passed, M failed" line. Needs Debian's python3-sklearn at /usr/bin/python3 (CI installs it).
cd "$(dirname "$0")/.." || exit 1
bin=${BUILD:-build}/tests/test_metrics
if ! /usr/bin/python3 -c 'import sklearn, numpy' 2>/dev/null; then
	echo "cli_sklearn: python3-sklearn is not importable by /usr/bin/python3 (apt-get install python3-sklearn)"
	echo "cli_sklearn: 0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$bin" ]; then
	echo "cli_sklearn: $bin not built"
	echo "cli_sklearn: 0 passed, 1 failed"
	exit 1
fi
out=$(/usr/bin/python3 tests/sklearn_metrics.py "$bin" 2>&1); rc=$?
echo "$out" | grep -v 'passed, .* failed'
line=$(echo "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
if [ -z "$line" ]; then
	echo "cli_sklearn: no summary from sklearn_metrics.py (exit $rc)"
	echo "cli_sklearn: 0 passed, 1 failed"
	exit 1
fi
echo "$line"
exit $rc
