#!/bin/sh
# Command-line tests of the grey zone on the bundled real pixel data: `stream` (time order and shuffled, JSON keys,
# rates recomputed from its per-LS decisions, caps held), `certify` (outputs, every automatic decision checked
# against the label, review list format), bad inputs (one class only, caps outside [0, 1), unknown source or ME:
# exit 1 or 2 with a clear message, no output written). Prints "N passed, M failed".
cd "$(dirname "$0")/.." || exit 1
LC=${LC:-bin/lumicert}
T=$(mktemp -d /tmp/lc-gz.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { d=$1; shift; if "$@" > "$T/out" 2> "$T/err"; then ok; else ko "$d"; sed 's/^/    /' "$T/err" | head -5; fi; }
expect_fail() { # expect_fail DESCRIPTION CODE FRAGMENT COMMAND...
	d=$1; code=$2; frag=$3; shift 3
	"$@" > "$T/out" 2> "$T/err"; rc=$?
	if [ $rc -eq "$code" ] && grep -qF -- "$frag" "$T/err"; then ok; else ko "$d (exit $rc, wanted $code and '$frag')"; sed 's/^/    /' "$T/err" | head -3; fi
}
json() { sed -n "s/.*\"$2\": \([-0-9.e]*\).*/\1/p" "$1"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

PIX=data/pixel-2017B/chargeInner_PXLayer_1.csv
ME=chargeInner_PXLayer_1
DB=$T/px.db
$LC import $DB $PIX --label-columns good,good_pixel,y > /dev/null || ko "import"
$LC train $DB -o $T/ae.lcm --me $ME --runs 297050 --good y --quiet > /dev/null || ko "train ae"
for c in stream certify; do
	check "$c --help" $LC $c --help
	grep -q "usage: lumicert $c" "$T/out" && ok || ko "$c --help prints its usage"
done

# stream, time order, label y (fast kNN and the default XGBoost): caps hold, the JSON has the documented keys
for k in knn xgb; do
	check "stream y $k" $LC stream $DB --me $ME --label y --kind $k --json --decisions $T/dec-$k.csv
	cp $T/out $T/s-$k.json
	for key in manual_work saved rejection loss pollution; do
		[ -n "$(json $T/s-$k.json $key)" ] && ok || ko "stream --json has $key ($k)"
	done
	le "$(json $T/s-$k.json loss)" 0.01 && ok || ko "stream y $k: loss $(json $T/s-$k.json loss) <= 0.01"
	le "$(json $T/s-$k.json pollution)" 0.01 && ok || ko "stream y $k: pollution $(json $T/s-$k.json pollution) <= 0.01"
	# the totals recomputed from the decisions file (chunks 3..9)
	awk -F, -v want="$(json $T/s-$k.json manual_work)" -v wl="$(json $T/s-$k.json loss)" \
		-v wp="$(json $T/s-$k.json pollution)" 'NR > 1 && $5 >= 3 { n++; r += $4 == "review"; g += $3 == 1;
		lost += ($4 == "bad" && $3 == 1); ag += $4 == "good"; pol += ($4 == "good" && $3 == 0) }
		END { d = (r / n - want); l = lost / g - wl; p = (ag ? pol / ag : 0) - wp;
		      exit !(d * d < 1e-11 && l * l < 1e-11 && p * p < 1e-11 && n == 2170) }' $T/dec-$k.csv \
		&& ok || ko "stream $k: totals equal those recomputed from --decisions"
	[ "$(awk -F, 'NR > 1 && $5 < 3 && $4 != "review"' $T/dec-$k.csv | wc -l)" = 0 ] && ok || ko "first chunks all by hand ($k)"
done
check "stream shuffled" $LC stream $DB --me $ME --label y --kind knn --shuffle --json
le "$(json $T/out pollution)" 0.01 && ok || ko "shuffled pollution <= 0.01"
# in time order no LS lies inside its run's labelled span: --inside off changes nothing there
check "stream --inside off" $LC stream $DB --me $ME --label y --kind knn --inside off --json
cmp -s $T/out $T/s-knn.json && ok || ko "time order: --inside off gives the same totals"
check "stream table shuffled" $LC stream $DB --me $ME --label y --shuffle
awk '$1 ~ /^[3-9]$/ && $11 > 0 { n++ } END { exit n != 7 }' $T/out && ok || ko "shuffled: LS inside their run's labelled span in every later chunk"
tot=$(grep '^total' $T/out)
l=$(echo "$tot" | sed 's/.*loss \([0-9.]*\).*/\1/'); p=$(echo "$tot" | sed 's/.*pollution \([0-9.]*\).*/\1/')
le "$l" 0.01 && le "$p" 0.01 && ok || ko "shuffled xgb: loss $l and pollution $p <= 0.01"
expect_fail "bad --inside" 2 "--inside must be on or off" $LC stream $DB --me $ME --label y --inside maybe
expect_fail "negative --refit" 2 "--refit must be >= 0" $LC stream $DB --me $ME --label y --refit -1
head -1 $T/dec-knn.csv | grep -qx 'run,lumi,label,decision,chunk,p_good,inside' && ok || ko "decisions header"
awk -F, 'NR > 1 && $5 >= 3 && ($6 == "" || $6 < 0 || $6 > 1) { bad++ } END { exit bad > 0 }' $T/dec-knn.csv \
	&& ok || ko "decisions: p_good in [0, 1] for every scored LS"
check "stream table" $LC stream $DB --me $ME --label good --kind knn
grep -q "^total after the first 3 chunks: 2170 LS" $T/out && ok || ko "stream prints the total line"
[ "$(grep -c '(labelled by hand)' $T/out)" = 3 ] && ok || ko "three chunks by hand"
check "stream with luminosity" $LC stream $DB --me $ME --label y --kind knn --lumi data/pixel-2017B/oms_runs_2017B.csv --weight lumi
grep -q "luminosity-weighted" $T/out && ok || ko "rejection is luminosity-weighted with --lumi"

# certify: train on the labels of five runs, certify the ten others; every automatic decision is right for y
check "certify" $LC certify $DB --me $ME --label y --train-runs 297047-297050,297178 \
	--runs 297056,297170,297171,297281,297284,297286,297664,297671,297672,297675 -o $T/cert
for f in auto-good.json auto-bad.json review.csv summary.json; do [ -s $T/cert/$f ] && ok || ko "certify wrote $f"; done
[ "$(ls -A $T/cert | grep -c tmp)" = 0 ] && ok || ko "no temporary files left"
head -1 $T/cert/review.csv | grep -qx 'run,lumi,p_bad,reason' && ok || ko "review.csv header"
$LC labels $DB --export y -o $T/y-good.json > /dev/null && $LC labels $DB --export y --bad -o $T/y-bad.json > /dev/null
$LC labels $DB $T/cert/auto-good.json --source ag > /dev/null && $LC labels $DB $T/cert/auto-bad.json --source ab > /dev/null
wrong_good=$(sqlite3 $DB "SELECT count(*) FROM label a JOIN label b ON a.run = b.run AND a.ls = b.ls
	WHERE a.source_id = (SELECT id FROM label_source WHERE name = 'ag')
	  AND b.source_id = (SELECT id FROM label_source WHERE name = 'y') AND b.good = 0" 2>&1)
wrong_bad=$(sqlite3 $DB "SELECT count(*) FROM label a JOIN label b ON a.run = b.run AND a.ls = b.ls
	WHERE a.source_id = (SELECT id FROM label_source WHERE name = 'ab')
	  AND b.source_id = (SELECT id FROM label_source WHERE name = 'y') AND b.good = 1" 2>&1)
[ "$wrong_good" = 0 ] && ok || ko "no y-bad LS certified good ($wrong_good)"
[ "$wrong_bad" = 0 ] && ok || ko "no y-good LS certified bad ($wrong_bad)"
n_ag=$(json $T/cert/summary.json auto_good); n_ab=$(json $T/cert/summary.json auto_bad); n_rv=$(json $T/cert/summary.json review)
[ $((n_ag + n_ab + n_rv)) = 888 ] && ok || ko "certified LS add up to the 888 LS of the ten runs ($n_ag + $n_ab + $n_rv)"
[ "$(($(wc -l < $T/cert/review.csv) - 1))" = "$n_rv" ] && ok || ko "review.csv has one line per LS to review"


# certifier models: train --kind, certify MODEL gives what certify trains on the fly; model show; the loop
R10=297056,297170,297171,297281,297284,297286,297664,297671,297672,297675
check "train --kind xgb" $LC train $DB -o $T/c.lcm --kind xgb --me $ME --label y --runs 297047-297050,297178
check "certify MODEL" $LC certify $DB $T/c.lcm --runs $R10 -o $T/certm
diff -r $T/cert $T/certm > /dev/null && ok || ko "certify MODEL equals certify --me --label (same training)"
check "model show certifier" $LC model show $T/c.lcm
grep -q '"kind": "xgb"' $T/out && grep -q '"threshold_high"' $T/out && ok || ko "model show prints the certifier's header"
for k in mlp knn; do
	check "train --kind $k" $LC train $DB -o $T/c-$k.lcm --kind $k --me $ME --label y --runs 297047-297050,297178
	check "certify with $k" $LC certify $DB $T/c-$k.lcm --runs $R10 -o $T/cert-$k
	$LC train $DB -o $T/c-$k-2.lcm --kind $k --me $ME --label y --runs 297047-297050,297178 > /dev/null
	$LC certify $DB $T/c-$k-2.lcm --runs $R10 -o $T/cert-$k-2 > /dev/null
	diff -r $T/cert-$k $T/cert-$k-2 > /dev/null && ok || ko "$k retrained with the same seed certifies the same"
	$LC model show $T/c-$k.lcm | grep -v -e created -e seconds > $T/h1
	$LC model show $T/c-$k-2.lcm | grep -v -e created -e seconds > $T/h2
	cmp -s $T/h1 $T/h2 && ok || ko "$k retrained with the same seed: same header"
done
printf 'run,lumi,verdict,who\n297056,14,good,alice\n297056,17,bad,alice\n297170,3,0,bob\n' > $T/verdicts.csv
check "labels: verdicts" $LC labels $DB $T/verdicts.csv --source expert
grep -q "2 good and 1 bad verdicts\|1 good and 2 bad verdicts" $T/out && ok || ko "verdict counts"
[ "$(sqlite3 $DB "SELECT good FROM label JOIN label_source ON id = source_id WHERE name = 'expert' AND run = 297056 AND ls = 17")" = 0 ] && ok || ko "bad verdict stored as bad"
before=$(sqlite3 $DB .dump | md5sum)
printf 'run,lumi,verdict\n297056,14,good\n999999,5,bad\n' > $T/v-missing.csv
expect_fail "verdict for an LS not in the store" 1 "run 999999 LS 5 is not in the store" $LC labels $DB $T/v-missing.csv --source expert
printf 'run,lumi,verdict\n297056,14,maybe\n' > $T/v-bad.csv
expect_fail "unknown verdict" 1 "v-bad.csv:2:" $LC labels $DB $T/v-bad.csv --source expert
printf 'run,lumi,verdict\n297056,14,good\n297056,14,bad\n' > $T/v-both.csv
expect_fail "both verdicts for one LS" 1 "both a good and a bad verdict" $LC labels $DB $T/v-both.csv --source expert
[ "$(sqlite3 $DB .dump | md5sum)" = "$before" ] && ok || ko "failed verdict imports leave the store unchanged"
$LC labels $DB --source y2 --or y,expert > /dev/null
check "train --from (warm start)" $LC train $DB -o $T/c2.lcm --from $T/c-mlp.lcm --label y2 --runs 297047-297056,297178
$LC model show $T/c2.lcm | grep -q '"updates": 1' && ok || ko "continued model counts its update"
expect_fail "certify with an autoencoder model" 1 "not a classifier" $LC certify $DB $T/ae.lcm -o $T/c5

# bad inputs
$LC labels $DB $T/y-good.json --source onlygood > /dev/null
expect_fail "one class only" 1 "need both classes" $LC stream $DB --me $ME --label onlygood
expect_fail "certify one class only" 1 "one class only" $LC certify $DB --me $ME --label onlygood -o $T/c2
[ ! -e $T/c2 ] && ok || ko "failed certify leaves no output directory"
expect_fail "caps outside [0, 1)" 2 "must lie in [0, 1)" $LC stream $DB --me $ME --label y --max-loss 1
expect_fail "negative cap" 2 "must lie in [0, 1)" $LC certify $DB --me $ME --label y --max-pollution -0.1 -o $T/c3
expect_fail "unknown source" 1 "nosuch" $LC stream $DB --me $ME --label nosuch
expect_fail "unknown ME" 1 "nosuch" $LC certify $DB --me nosuch --label y -o $T/c4
printf 'run_number,recorded_lumi\n297050,abc\n' > $T/oms.csv
expect_fail "bad OMS table" 1 "oms.csv:2: recorded_lumi" $LC stream $DB --me $ME --label y --lumi $T/oms.csv
expect_fail "too many manual chunks" 1 "first manual chunks" $LC stream $DB --me $ME --label y --chunks 3 --first-manual 3
echo "tests/cli_greyzone.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
