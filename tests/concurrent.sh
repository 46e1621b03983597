#!/bin/sh
# Concurrency: two lumicert processes on one store, the second started at a random moment of the first. Both must
# succeed (a writer waits for the other's transaction: WAL mode and a busy timeout), or one may fail with a clear
# "busy"/"locked" message; the store must pass PRAGMA integrity_check and hold exactly the state of one of the two
# serial orders (A then B, B then A; with a busy failure, the state after the other command alone); each output must
# equal that of a serial run. A second part checks the busy message: a writer whose wait times out
# (LUMICERT_BUSY_TIMEOUT_MS) fails with exit 1 and says the store is busy, and changes nothing (store and outputs).
# Prints runs and failures. LC_CONC_RUNS=N (default 60) sets the number of runs; a new pair is one line in CASES.
cd "$(dirname "$0")/.." || exit 1
LC=${LC:-bin/lumicert}
RUNS=${LC_CONC_RUNS:-60}
# a sanitizer build (make asan) runs each command about 10x slower: fewer runs there, unless asked for
if [ -z "${LC_CONC_RUNS:-}" ] && nm "$LC" 2> /dev/null | grep -q __asan_init; then RUNS=20; fi
SEED=${LC_CONC_SEED:-$(date +%s)}
T=$(mktemp -d /tmp/lc-conc.XXXXXX)
trap 'rm -rf "$T"' EXIT
PIX=data/pixel-2017B/chargeInner_PXLayer_1.csv
ME=chargeInner_PXLayer_1
DQ=tests/data/dqmio-2023C/ZeroBias-Run2023C-PromptReco-v1-DQMIO-PixelPhase1-Tracks-PXBarrel-clusterposition_zphi_ontrack_PXLayer_1.converted.csv
O=$T/out

# Pairs, one a line: name | base store (none, half) | command A | command B | outputs in $O (an .lcm must load; other
# files must equal the output of B in one of the serial orders)
CASES="import+score|half|import \$DB $T/full.csv --label-columns good,y|score \$DB $T/ae.lcm -o \$O/s.csv --flagged \$O/f.json|s.csv f.json
import+train|half|import \$DB $T/full.csv --label-columns good,y|train \$DB -o \$O/m.lcm --me $ME --good y --hidden 20:sigmoid,10:tanh,20:sigmoid --epochs 30 --quiet|m.lcm
import+import|half|import \$DB $T/full.csv --label-columns good,y|import \$DB $DQ|
import+labels|half|import \$DB $T/full.csv --label-columns good,y|labels \$DB data/pixel-2017B/bad_pixel.json --source pixel_bad --bad|
new+new|none|import \$DB $T/half.csv --label-columns good,y|import \$DB $DQ|"

pass=0; fail=0
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
state() {
	[ -f "$1" ] || { echo none; return; }
	sqlite3 "$1" .dump | sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/TIME/g;
		s/"seconds": *[-0-9.eE+]+/"seconds":X/g' | md5sum | cut -c1-32
}
now_ms() { date +%s%3N; }
busy_msg() { grep -qiE 'busy|locked' "$1"; }

head -n 1551 $PIX > $T/half.csv
cp $PIX $T/full.csv
$LC import $T/half.db $T/half.csv --label-columns good,y > /dev/null || { echo "setup: import failed"; exit 1; }
$LC train $T/half.db -o $T/ae.lcm --me $ME --good y --runs 297050 > /dev/null || { echo "setup: train failed"; exit 1; }
sqlite3 $T/half.db 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null

ncases=$(echo "$CASES" | wc -l)
per=$(( (RUNS + ncases - 1) / ncases ))
echo "tests/concurrent.sh: $RUNS runs ($per per pair), seed $SEED"
total=0; nboth=0; nbusy=0; ci=0
echo "$CASES" | {
while IFS='|' read -r name base ca cb outs; do
	ci=$((ci + 1))
	DB=$T/run.db
	setup() {
		rm -rf "$O" $DB $DB-wal $DB-shm; mkdir -p "$O"
		[ "$base" = none ] || cp $T/$base.db $DB
	}
	a=$(eval "echo $ca"); b=$(eval "echo $cb")
	# the serial orders and each command alone (for busy failures)
	setup; t0=$(now_ms); $LC $a > /dev/null 2>&1 || { ko "$name: A alone failed"; continue; }
	dur=$(( $(now_ms) - t0 )); s_a=$(state $DB)
	$LC $b > /dev/null 2>&1 || { ko "$name: A then B failed"; continue; }
	s_ab=$(state $DB); rm -rf $T/ref_ab; cp -r $O $T/ref_ab
	setup; $LC $b > /dev/null 2>&1 || { ko "$name: B alone failed"; continue; }
	s_b=$(state $DB); rm -rf $T/ref_b; cp -r $O $T/ref_b
	$LC $a > /dev/null 2>&1 || { ko "$name: B then A failed"; continue; }
	s_ba=$(state $DB)
	# start B after A by r^2 x (A's duration), r uniform: the start of A, where a new store is created, gets more runs
	delays=$(awk -v s=$((SEED + ci)) -v n=$per -v d=$dur 'BEGIN { srand(s); for (i = 0; i < n; i++) { r = rand(); printf "%.4f\n", r * r * d / 1000 } }')
	both=0; busy=0
	for dl in $delays; do
		total=$((total + 1))
		setup
		$LC $a > $T/a.log 2>&1 &
		pa=$!
		sleep "$dl"
		$LC $b > $T/b.log 2>&1; rb=$?
		wait $pa; ra=$?
		bad=""
		[ $ra -eq 0 ] || busy_msg $T/a.log || bad="$bad A exit $ra: $(head -c 300 $T/a.log)"
		[ $rb -eq 0 ] || busy_msg $T/b.log || bad="$bad B exit $rb: $(head -c 300 $T/b.log)"
		[ $ra -eq 0 ] || [ $rb -eq 0 ] || bad="$bad both failed"
		[ "$(sqlite3 $DB 'PRAGMA integrity_check' 2>&1)" = ok ] || bad="$bad integrity_check failed"
		s=$(state $DB)
		if [ $ra -eq 0 ] && [ $rb -eq 0 ]; then
			both=$((both + 1))
			[ "$s" = "$s_ab" ] || [ "$s" = "$s_ba" ] || bad="$bad store in neither serial state"
		else
			busy=$((busy + 1))
			if [ $ra -eq 0 ]; then [ "$s" = "$s_a" ] || bad="$bad B failed but the store is not A's state";
			else [ "$s" = "$s_b" ] || bad="$bad A failed but the store is not B's state"; fi
		fi
		for f in $outs; do
			[ $rb -eq 0 ] || continue
			case $f in
			*.lcm) $LC model show "$O/$f" > /dev/null 2>&1 || bad="$bad $f does not load" ;;
			*) cmp -s "$O/$f" "$T/ref_ab/$f" || cmp -s "$O/$f" "$T/ref_b/$f" || bad="$bad $f equals no serial output" ;;
			esac
		done
		if [ -n "$bad" ]; then ko "$name run $total (B started after ${dl}s):$bad"; else pass=$((pass + 1)); fi
	done
	nboth=$((nboth + both)); nbusy=$((nbusy + busy))
	echo "  $name: A alone ${dur} ms; $per runs, both succeeded $both, one failed busy $busy"
done

# the busy message: a transaction held by sqlite3 outlasts a 200 ms busy timeout
DB=$T/run.db; rm -f $DB $DB-wal $DB-shm; cp $T/half.db $DB
s0=$(state $DB)
mkfifo $T/hold
(echo "BEGIN IMMEDIATE; INSERT INTO meta VALUES('lock', 'held');"; cat $T/hold; echo "ROLLBACK;") | sqlite3 $DB &
hp=$!
exec 9> $T/hold
sleep 0.3
for c in "import $DB $T/full.csv" "labels $DB data/pixel-2017B/bad_pixel.json --source pb --bad" \
	"score $DB $T/ae.lcm -o $O/busy.csv"; do
	total=$((total + 1))
	LUMICERT_BUSY_TIMEOUT_MS=200 $LC $c > $T/busy.log 2>&1; rc=$?
	cmd=${c%% *}
	if [ $rc -eq 1 ] && grep -q "lumicert $cmd: .*busy" $T/busy.log; then pass=$((pass + 1)); nbusy=$((nbusy + 1));
	else ko "$cmd against a held write lock: exit $rc, wanted 1 and a busy message: $(cat $T/busy.log)"; fi
done
exec 9>&-
wait $hp
[ "$(state $DB)" = "$s0" ] && pass=$((pass + 1)) || ko "busy failures changed the store"
# ... nor the outputs: score writes them only once the store has its scores
[ -z "$(ls $O | grep busy)" ] && pass=$((pass + 1)) || ko "a score that failed busy left outputs: $(ls $O)"
echo "  busy message: $(head -n 1 $T/busy.log)"
echo "concurrent runs: $total, both succeeded: $nboth, one failed with a busy message: $nbusy, failures: $fail"
echo "tests/concurrent.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
}
