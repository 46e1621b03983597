#!/bin/sh
# Command-line tests: every subcommand on the bundled real data, re-import without duplicates, label sources and
# their JSON round trip, not-evaluable LS, bad inputs (exit 1, message naming the place, store unchanged),
# reproducibility of training. Prints "N passed, M failed".
cd "$(dirname "$0")/.." || exit 1
LC=${LC:-bin/lumicert}
T=$(mktemp -d /tmp/lc-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
	d=$1; shift
	if "$@" > "$T/out" 2> "$T/err"; then ok; else ko "$d"; sed 's/^/    /' "$T/err" | head -5; fi
}
expect_fail() { # expect_fail DESCRIPTION FRAGMENT COMMAND...: exit 1 and FRAGMENT in stderr
	d=$1; frag=$2; shift 2
	"$@" > "$T/out" 2> "$T/err"; rc=$?
	if [ $rc -eq 1 ] && grep -qF -- "$frag" "$T/err"; then ok; else ko "$d (exit $rc, wanted 1 and '$frag')"; sed 's/^/    /' "$T/err" | head -3; fi
}
dump() { sqlite3 "$1" .dump | md5sum; }
integrity() { [ "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok ]; }
count() { sqlite3 "$1" "$2"; }

PIX=data/pixel-2017B/chargeInner_PXLayer_1.csv
ME=chargeInner_PXLayer_1
DB=$T/px.db

# help and usage
check "lumicert --help" $LC --help
for c in import labels train score evaluate explain model info; do
	check "$c --help" $LC $c --help
	grep -q "usage: lumicert $c" "$T/out" && ok || ko "$c --help prints its usage"
done
$LC frobnicate > /dev/null 2>&1; [ $? -eq 2 ] && ok || ko "unknown command exits 2"
$LC train > /dev/null 2>&1; [ $? -eq 2 ] && ok || ko "missing arguments exit 2"

# import: wide CSV with labels, then again (replaces, never duplicates)
check "import wide CSV with label columns" $LC import $DB $PIX --label-columns good,good_pixel,y
[ "$(count $DB 'SELECT count(*) FROM hist')" = 3100 ] && ok || ko "3100 histograms"
[ "$(count $DB "SELECT count(*) FROM label l JOIN label_source s ON s.id = l.source_id WHERE s.name = 'y' AND good = 0")" = 312 ] && ok || ko "y: 312 bad"
[ "$(count $DB "SELECT count(*) FROM label l JOIN label_source s ON s.id = l.source_id WHERE s.name = 'good' AND good = 1")" = 2685 ] && ok || ko "good: 2685 good"
check "re-import" $LC import $DB $PIX --label-columns y
[ "$(count $DB 'SELECT count(*) FROM hist')" = 3100 ] && ok || ko "re-import keeps 3100 histograms"
[ "$(count $DB 'SELECT count(*) FROM ls')" = 3100 ] && ok || ko "3100 LS"
# a cell survives the round trip: run 297056 LS 17 bin_1 = 31, bin_101 (overflow) = 860
check "info" $LC info $DB
grep -q "100 bins on \[0, 80000\] + under/overflow, 3100 LS" "$T/out" && ok || ko "info shows the ME"
python3 - "$DB" <<'PY' && ok || ko "cells of run 297056 LS 17 read back"
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
c, = db.execute("SELECT cells FROM hist WHERE run = 297056 AND ls = 17").fetchone()
v = struct.unpack("<102i" if len(c) == 4 * 102 else "<102d", c)
sys.exit(0 if (v[0], v[1], v[2], v[101]) == (0, 31, 167, 860) else 1)
PY

# long layout: the DIALS CSV with repeated header names, DQMIO conversions 1D (all empty) and 2D
DB2=$T/long.db
check "import DIALS long CSV" $LC import $DB2 tests/data/dials/ZeroBias_2018A_DataFrame_1D_2.csv
[ "$(count $DB2 'SELECT count(*) FROM me')" = 9 ] && ok || ko "9 MEs from the DIALS CSV"
check "import DQMIO 1D and 2D conversions" $LC import $DB2 tests/data/dqmio-2023C/*.converted.csv
[ "$(count $DB2 "SELECT nx || 'x' || ny FROM me WHERE name LIKE '%zphi%'")" = 300x200 ] && ok || ko "2D ME 300x200"
[ "$(count $DB2 "SELECT count(*) FROM hist h JOIN me ON me.id = h.me_id WHERE me.dim = 2")" = 10 ] && ok || ko "10 2D LS"

# DIALS JSON
cat > $T/dials.json <<'J'
[{"run_number": 315488, "ls_number": 229, "me": "Test/h1", "x_min": 0, "x_max": 3, "x_bin": 3, "entries": 6, "data": [1, 2, 3]},
 {"run_number": 315488, "ls_number": 230, "me": "Test/h1", "x_min": 0, "x_max": 3, "x_bin": 3, "entries": 6, "data": [3, 2, 1]}]
J
check "import DIALS JSON" $LC import $DB2 $T/dials.json
[ "$(count $DB2 "SELECT has_flow FROM me WHERE name = 'Test/h1'")" = 0 ] && ok || ko "DIALS JSON without flow cells: has_flow 0"

# labels: golden JSON, --rest bad, export round trip, set operations
check "labels golden JSON" $LC labels $DB tests/data/certification/json_GOLDEN_2017.txt --source golden --rest bad
check "labels DCS JSON" $LC labels $DB tests/data/certification/json_DCSONLY_2017.txt --source dcs
check "labels golden and dcs" $LC labels $DB --source gd --and golden,dcs
check "labels bad list" $LC labels $DB data/pixel-2017B/bad_pixel.json --source pixbad --bad
check "export golden" $LC labels $DB --export golden -o $T/golden-out.json
check "re-read export" $LC labels $DB $T/golden-out.json --source golden2
check "export again" $LC labels $DB --export golden2 -o $T/golden-out2.json
cmp -s $T/golden-out.json $T/golden-out2.json && ok || ko "golden JSON export round trip is exact"
check "labels --list" $LC labels $DB --list
grep -q "^gd " "$T/out" && ok || ko "--list shows the combined source"

# training, scoring, evaluation, export, explanation
check "train default model" $LC train $DB -o $T/ae.lcm --me $ME --runs 297050,297178 --good y --quiet
check "model show" $LC model show $T/ae.lcm
grep -q '"format": "lumicert-model"' "$T/out" && grep -q '"good_source": "y"' "$T/out" && ok || ko "model header self-describing"
check "score" $LC score $DB $T/ae.lcm -o $T/scores.csv --flagged $T/flagged.json --passed $T/passed.json
[ "$(wc -l < $T/scores.csv)" = 3101 ] && ok || ko "3100 scored LS + header"
head -1 $T/scores.csv | grep -q '^run,lumi,score,flagged,entries$' && ok || ko "scores header"
check "flagged JSON is a label file" $LC labels $DB $T/flagged.json --source flagged --bad
check "evaluate" $LC evaluate $T/scores.csv --labels $DB --source y --runs 297047-297049,297056,297170-297171,297281-297286,297664-297675 --json
python3 -c "import json,sys; d=json.load(open('$T/out')); sys.exit(0 if d['n_bad']+d['n_good']==946 and 0<=d['auc']<=1 else 1)" && ok || ko "evaluate counts the 946 held-out LS"
worst=$(awk -F, 'NR > 1 && $3 != "" { if ($3 > m) { m = $3; w = $1 ":" $2 } } END { print w }' $T/scores.csv)
check "explain" $LC explain $DB $T/ae.lcm "$worst" --top 3
grep -q FLAGGED "$T/out" && ok || ko "worst LS is flagged"
expect_fail "explain unknown LS" "no histogram for run 1 LS 1" $LC explain $DB $T/ae.lcm 1:1

# the seeds' architectures by flags; same seed and threads give identical parameters
check "train ML4DQM architecture" $LC train $DB -o $T/a1.lcm --me $ME --runs 297050 --good y --hidden 20:sigmoid,10:tanh,20:sigmoid --output sigmoid --epochs 5 --quiet
check "train again" $LC train $DB -o $T/a2.lcm --me $ME --runs 297050 --good y --hidden 20:sigmoid,10:tanh,20:sigmoid --output sigmoid --epochs 5 --quiet
check "train seed architecture, top-k loss, 2 threads" $LC train $DB -o $T/a3.lcm --me $ME --runs 297050 --good y --hidden 10:relu,2:relu,10:relu --batch 128 --loss topk:10 --epochs 3 --threads 2 --quiet
params() { python3 -c "import struct,sys; b=open(sys.argv[1],'rb').read(); h=struct.unpack('<I', b[19:23])[0]; sys.stdout.buffer.write(b[23+h:-8])" "$1" | md5sum; }
[ "$(params $T/a1.lcm)" = "$(params $T/a2.lcm)" ] && ok || ko "same seed, same threads: identical parameters"

# not evaluable: the all-empty DQMIO ME scores as empty, never as a number
check "train on 2D ME" $LC train $DB2 -o $T/2d.lcm --me PixelPhase1_Tracks_PXForward_clusterposition_xy_ontrack_PXDisk_+1 --val-frac 0 --quiet
expect_fail "train on an all-empty ME" "evaluable" $LC train $DB2 -o $T/e.lcm --me PixelPhase1_Tracks_PXBarrel_charge_PXLayer_1

# bad inputs: exit 1, the place named, the store unchanged
before=$(dump $DB)
while IFS='|' read -r f frag; do
	f=$(echo "$f" | tr -d ' '); frag=$(echo "$frag" | sed 's/^ *//; s/ *$//')
	case "$f" in *.csv|*.json) ;; *) continue ;; esac
	lab=""; [ "$f" = bad-label.csv ] && lab="--label-columns good"
	expect_fail "import bad/$f" "$frag" $LC import $DB tests/data/bad/$f $lab
done < tests/data/bad/README.md
while IFS='|' read -r f frag; do
	f=$(echo "$f" | tr -d ' '); frag=$(echo "$frag" | sed 's/^ *//; s/ *$//')
	case "$f" in golden-*|list-*) ;; *) continue ;; esac
	expect_fail "labels bad/$f" "$frag" $LC labels $DB tests/data/bad/$f --source broken
done < tests/data/bad/README-labels.md
# a good file followed by a bad one: nothing of either is imported
expect_fail "good then bad file in one import" "truncated.csv" $LC import $DB tests/data/dials/ZeroBias_2018A_DataFrame_1D_2.csv tests/data/bad/truncated.csv
expect_fail "missing file" "cannot open" $LC import $DB /nonexistent.csv
expect_fail "missing ME" "no ME named 'nope'" $LC train $DB -o $T/x.lcm --me nope
expect_fail "missing label source" "no label source named 'nope'" $LC train $DB -o $T/x.lcm --me $ME --good nope
expect_fail "bad run list" "not a run number" $LC train $DB -o $T/x.lcm --me $ME --runs 297050,abc
[ "$(dump $DB)" = "$before" ] && ok || ko "store unchanged after bad inputs"
integrity $DB && ok || ko "integrity_check ok"
[ ! -e $T/x.lcm ] && ok || ko "no model written on failure"
expect_fail "new store not left behind" "no rows" $LC import $T/new.db tests/data/bad/empty.csv
[ ! -e $T/new.db ] && ok || ko "failed import leaves no new store"

# model files: unknown version, truncated, not a model
python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[15]=2; open(sys.argv[2],'wb').write(b)" $T/ae.lcm $T/v2.lcm
expect_fail "model of an unknown version" "model format version 2" $LC score $DB $T/v2.lcm -o $T/s2.csv
head -c 100 $T/ae.lcm > $T/trunc.lcm
expect_fail "truncated model" "trunc.lcm" $LC model show $T/trunc.lcm
expect_fail "not a model" "not a lumicert model" $LC model show $PIX
[ ! -e $T/s2.csv ] && ok || ko "no scores written on failure"

echo "tests/cli_basic.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
