#!/bin/sh
# Crash safety: runs lumicert commands on copies of a store and kills them with SIGKILL at random moments, many times.
# After every run: PRAGMA integrity_check is ok; the store holds exactly the state before or after the command (a
# canonical dump compared with the dumps of an untouched copy and of an uninterrupted run); every output file is
# absent or whole; when the store was left before, running the command again completes and gives the after state.
# Prints runs and failures.
# LC_KILL_RUNS=N (default 200, the CI size) sets the number of kills; LC_KILL_SEED the random seed.
# A new command is one line in CASES below.
cd "$(dirname "$0")/.." || exit 1
LC=${LC:-bin/lumicert}
RUNS=${LC_KILL_RUNS:-200}
# a sanitizer build (make asan) runs each command about 10x slower: fewer runs there, unless asked for
if [ -z "${LC_KILL_RUNS:-}" ] && nm "$LC" 2> /dev/null | grep -q __asan_init; then RUNS=40; fi
SEED=${LC_KILL_SEED:-$(date +%s)}
T=$(mktemp -d /tmp/lc-kill.XXXXXX)
trap 'rm -rf "$T"' EXIT
PIX=data/pixel-2017B/chargeInner_PXLayer_1.csv
ME=chargeInner_PXLayer_1
O=$T/out            # outputs of the command under test (fixed path: stores record output paths)

# Cases, one a line: name | base store (none, half, full, trained) | command, with $DB the store and $O the output
# directory | outputs in $O that must be absent or whole (an .lcm must load; any other file must equal the output of
# the uninterrupted run byte for byte)
CASES="import|half|import \$DB $T/full.csv --label-columns good,y|
import-new|none|import \$DB $T/full.csv --label-columns good,y|
labels|full|labels \$DB data/pixel-2017B/bad_pixel.json --source pixel_bad --bad|
train|full|train \$DB -o \$O/m.lcm --me $ME --good y --hidden 20:sigmoid,10:tanh,20:sigmoid --epochs 60 --quiet|m.lcm
score|trained|score \$DB $T/ae.lcm -o \$O/s.csv --flagged \$O/f.json --passed \$O/p.json|s.csv f.json p.json
certify|trained|certify \$DB --me $ME --label y --kind knn --train-runs 297047-297050,297178 --runs 297056-297675 -o \$O/cert|cert/auto-good.json cert/auto-bad.json cert/review.csv cert/summary.json
report|trained|report \$DB --model $T/ae.lcm --labels y -o \$O/r.html|r.html"

pass=0; fail=0
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }

# Canonical content of a store: the SQL dump with creation times and training wall times masked (they differ from
# one run to the next), as a hash. A store file that does not exist hashes as "none".
state() {
	[ -f "$1" ] || { echo none; return; }
	sqlite3 "$1" .dump | sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/TIME/g;
		s/"seconds": *[-0-9.eE+]+/"seconds":X/g' | md5sum | cut -c1-32
}
# 1 if the store holds no data: absent, an empty file, or only the schema (an import that created it was killed)
empty_store() {
	[ -f "$1" ] || return 0
	[ "$(sqlite3 "$1" .dump | grep '^INSERT INTO' | grep -vc '^INSERT INTO meta ')" = 0 ]
}
now_ms() { date +%s%3N; }

# base stores
head -n 1551 $PIX > $T/half.csv
cp $PIX $T/full.csv
$LC import $T/half.db $T/half.csv --label-columns good,y > /dev/null || { echo "setup: import failed"; exit 1; }
$LC import $T/full.db $T/full.csv --label-columns good,y > /dev/null || { echo "setup: import failed"; exit 1; }
cp $T/full.db $T/trained.db
$LC train $T/trained.db -o $T/ae.lcm --me $ME --good y --runs 297050,297178 > /dev/null ||
	{ echo "setup: train failed"; exit 1; }
for b in half full trained; do sqlite3 $T/$b.db 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null; done

ncases=$(echo "$CASES" | wc -l)
per=$(( (RUNS + ncases - 1) / ncases ))
echo "tests/kill.sh: $RUNS runs ($per per command), seed $SEED"
total=0; nkilled=0; nbefore=0; nafter=0; ntmp=0
ci=0
echo "$CASES" | {
while IFS='|' read -r name base cmd outs; do
	ci=$((ci + 1))
	DB=$T/run.db
	setup() {
		rm -rf "$O" $T/run.db $T/run.db-wal $T/run.db-shm; mkdir -p "$O"
		[ "$base" = none ] || cp $T/$base.db $DB
	}
	# reference: the state before, an uninterrupted run (its duration sets the kill window), the state after
	setup
	before=$(state $DB)
	t0=$(now_ms)
	c=$(eval "echo $cmd")
	$LC $c > $T/ref.log 2>&1 || { ko "$name: uninterrupted run failed"; cat $T/ref.log; continue; }
	dur=$(( $(now_ms) - t0 ))
	after=$(state $DB)
	rm -rf $T/ref; cp -r "$O" $T/ref
	# certify and report only read the store: their outputs are what must never be half-written
	case $name in certify|report) ;; *) [ "$before" != "$after" ] || { ko "$name: the command does not change the store"; continue; } ;; esac
	# kill delays uniform on [0, 1.2 x duration] (some runs finish), in seconds
	delays=$(awk -v s=$((SEED + ci)) -v n=$per -v d=$dur 'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%.4f\n", rand() * 1.2 * d / 1000 }')
	k=0; b=0; a=0
	for dl in $delays; do
		total=$((total + 1))
		setup
		$LC $c > $T/run.log 2>&1 &
		pid=$!
		sleep "$dl"
		kill -9 $pid 2> /dev/null
		{ wait $pid; } 2> /dev/null; rc=$?
		bad=""
		if [ $rc -eq 137 ]; then k=$((k + 1));
		elif [ $rc -ne 0 ]; then bad="exit $rc: $(head -c 300 $T/run.log)"; fi
		if [ -f $DB ] && [ "$(sqlite3 $DB 'PRAGMA integrity_check' 2>&1)" != ok ]; then
			bad="$bad integrity_check: $(sqlite3 $DB 'PRAGMA integrity_check' 2>&1 | head -3)"
		fi
		s=$(state $DB)
		if [ "$s" = "$after" ]; then a=$((a + 1));
		elif [ "$s" = "$before" ] || { [ "$base" = none ] && empty_store $DB; }; then b=$((b + 1));
		else bad="$bad store neither before nor after"; fi
		[ $rc -eq 0 ] && [ "$s" != "$after" ] && bad="$bad completed but store not in the after state"
		for f in $outs; do
			[ -f "$O/$f" ] || continue
			case $f in
			*.lcm) $LC model show "$O/$f" > /dev/null 2>&1 || bad="$bad $f half-written" ;;
			*.html) [ "$(sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z//g' "$O/$f" | md5sum)" = \
				"$(sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z//g' "$T/ref/$f" | md5sum)" ] || bad="$bad $f differs from the uninterrupted output" ;;
			*) cmp -s "$O/$f" "$T/ref/$f" || bad="$bad $f differs from the uninterrupted output" ;;
			esac
		done
		ntmp=$((ntmp + $(find "$O" -name '*.tmp.*' | wc -l)))
		# recovery from an interrupted command: the same command again completes and leaves the after state (only
		# then: train records a new model each time it runs, so a second run after a completed one adds a row)
		if [ "$s" != "$after" ]; then
			if ! $LC $c > $T/rerun.log 2>&1; then bad="$bad re-run failed: $(head -c 300 $T/rerun.log)";
			elif [ "$(state $DB)" != "$after" ]; then bad="$bad re-run: store not in the after state"; fi
			for f in $outs; do [ -f "$O/$f" ] || bad="$bad re-run: $f missing"; done
		fi
		if [ -n "$bad" ]; then ko "$name run $total (kill after ${dl}s):$bad"; cp -r $T "/tmp/lc-kill-fail-$name-$total" 2>/dev/null; else pass=$((pass + 1)); fi
	done
	nkilled=$((nkilled + k)); nbefore=$((nbefore + b)); nafter=$((nafter + a))
	echo "  $name: uninterrupted ${dur} ms; $per runs, $k killed, store before $b / after $a"
done
echo "kill runs: $total, killed mid-command: $nkilled, store before: $nbefore, after: $nafter, failures: $fail"
echo "temporary files left by killed writers (never at an output's name): $ntmp"
echo "tests/kill.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
}
