#!/bin/sh
# Runs every libFuzzer target (tests/fuzz/fuzz_*.c) for SECONDS each (default 60), accumulates the fuzzing time per
# target in a log, and prints hours, runs and crashes per target. Crash inputs are kept in build-fuzz/crashes/<target>/;
# a crash is "open" while its input still crashes the current build (fixed ones belong in tests/fuzz/regress/<name>/,
# which tests/test_regress.c replays in make check and make asan).
# usage: bench/fuzz.sh [SECONDS] [TARGET...]     log: LC_FUZZ_LOG (default bench/fuzz.log, one line per run:
# "UTC-time target seconds runs crashes"); LC_FUZZ_JOBS=N runs N targets at a time (default 1).
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-60}
[ $# -gt 0 ] && shift
LOG=${LC_FUZZ_LOG:-bench/fuzz.log}
JOBS=${LC_FUZZ_JOBS:-1}
# build every target (make fuzz builds them, then runs each for FUZZ_SECONDS: 1 s here, not logged; a target that
# crashes at once stops make, so its status is ignored: the sessions below log the crash)
make -s fuzz FUZZ_SECONDS=1 > /dev/null 2>&1 || true
targets=${*:-$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)}
mkdir -p build-fuzz/crashes
touch "$LOG"

fuzz_one() { # fuzz_one TARGET: runs it for SECS, appends a log line
	t=$1; c=${t#fuzz_}
	mkdir -p "build-fuzz/corpus-$c" "build-fuzz/crashes/$t"
	seeds="tests/fuzz/corpus/$c"; [ -d "$seeds" ] || seeds=""
	start=$(date +%s)
	# -fork=1 keeps fuzzing after a crash (each crash input is saved), until the time is up
	./build-fuzz/$t -fork=1 -ignore_crashes=1 -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="build-fuzz/crashes/$t/" "build-fuzz/corpus-$c" $seeds > "build-fuzz/$t.fuzz.log" 2>&1 || true
	el=$(( $(date +%s) - start ))
	# fork mode status lines: "#RUNS: cov: ... oom/timeout/crash: A/B/C time: ..."
	last=$(grep '^#[0-9]*: cov:' "build-fuzz/$t.fuzz.log" | tail -n 1)
	runs=$(echo "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')
	crashes=$(echo "$last" | sed -n 's/.*oom\/timeout\/crash: \([0-9]*\)\/\([0-9]*\)\/\([0-9]*\).*/\1 \2 \3/p' | awk '{ print $1 + $2 + $3 }')
	crashes=${crashes:-0}
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $t $el ${runs:-0} $crashes" >> "$LOG"
}

n=0
for t in $targets; do
	[ -x "build-fuzz/$t" ] || { echo "fuzz.sh: no target build-fuzz/$t" >&2; exit 1; }
	fuzz_one "$t" &
	n=$((n + 1))
	[ $((n % JOBS)) -eq 0 ] && wait
done
wait

# open crashes: saved crash inputs that still crash the current build
echo "target            hours (total)   runs (total)   crashes found (total)   open now"
fail=0
for t in $targets; do
	open=0
	for f in build-fuzz/crashes/$t/crash-* build-fuzz/crashes/$t/leak-* build-fuzz/crashes/$t/oom-* \
		build-fuzz/crashes/$t/timeout-*; do
		[ -f "$f" ] || continue
		./build-fuzz/$t -rss_limit_mb=2048 -timeout=10 "$f" > /dev/null 2>&1 || open=$((open + 1))
	done
	awk -v t="$t" -v open="$open" '$2 == t { s += $3; r += $4; c += $5 }
		END { printf "%-17s %13.3f %14d %23d %10d\n", t, s / 3600, r, c, open }' "$LOG"
	[ "$open" -eq 0 ] || fail=1
done
echo "(log: $LOG; this session $SECS s per target; crash inputs in build-fuzz/crashes/)"
exit $fail
