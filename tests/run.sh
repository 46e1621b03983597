#!/bin/sh
# Runs the unit-test binaries given as arguments, then the command-line tests, and prints "N passed, M failed".
cd "$(dirname "$0")/.." || exit 1
pass=0; fail=0; log=$(mktemp); times=$(mktemp)
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" -v n="$2" 'BEGIN { printf "%7.1f s  %s\n", b - a, n }' >> "$times"; }
for t in "$@"; do
	t0=$(now)
	"$t" > "$log" 2>&1; rc=$?
	took "$t0" "$t"
	cat "$log"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	[ -n "$line" ] || { p=0; f=1; echo "$t: no summary line (crashed?), exit $rc"; }
	[ $rc -ne 0 ] && [ "$f" = 0 ] && { f=1; echo "$t: exit $rc"; }
	pass=$((pass + p)); fail=$((fail + f))
done
for s in tests/cli_*.sh tests/report_cli.sh tests/report_dom.sh tests/root_cli.sh tests/extract_cli.sh tests/kill.sh tests/concurrent.sh; do
	[ -f "$s" ] || continue
	t0=$(now)
	sh "$s" > "$log" 2>&1; rc=$?
	took "$t0" "$s"
	cat "$log"
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	[ -n "$line" ] || { p=0; f=1; echo "$s: no summary line, exit $rc"; }
	pass=$((pass + p)); fail=$((fail + f))
done
echo "time per test program:"; cat "$times"
rm -f "$log" "$times"
echo "TOTAL: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
