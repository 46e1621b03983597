#!/bin/sh
# The demo on bundled real data (data/pixel-2017B, CMS 2017 pixel cluster charge, 3100 LS of 15 runs):
# import with label columns, train on good (y) LS of runs 297050 and 297178, score every LS, evaluate against y on
# the 13 other runs, export the flagged LS as golden-style JSON, explain the worst LS, certify with a grey zone and
# replay the labelling loop in time order.
set -eu
cd "$(dirname "$0")/.."
[ -x bin/lumicert ] || make -s -j2
LC=bin/lumicert
OUT=${OUT:-out}
rm -rf "$OUT"; mkdir -p "$OUT"
DB=$OUT/pixel.db
ME=chargeInner_PXLayer_1
HELD_OUT=297047,297048,297049,297056,297170,297171,297281,297284,297286,297664,297671,297672,297675

echo "== import"
$LC import $DB data/pixel-2017B/chargeInner_PXLayer_1.csv --label-columns good,good_pixel,y
$LC labels $DB data/pixel-2017B/bad_pixel.json --source pixel_bad --bad
$LC info $DB

echo "== train (default model) on good LS of runs 297050,297178"
$LC train $DB -o $OUT/ae.lcm --me $ME --runs 297050,297178 --good y

echo "== score every LS"
$LC score $DB $OUT/ae.lcm -o $OUT/scores.csv --flagged $OUT/flagged.json --passed $OUT/passed.json

echo "== evaluate against y on the 13 held-out runs"
$LC evaluate $OUT/scores.csv --labels $DB --source y --runs $HELD_OUT

echo "== the ML4DQM architecture for comparison (20:sigmoid,10:tanh,20:sigmoid, sigmoid output, 300 epochs)"
$LC train $DB -o $OUT/ml4dqm.lcm --me $ME --runs 297050,297178 --good y --hidden 20:sigmoid,10:tanh,20:sigmoid \
	--output sigmoid --val-frac 0.2 --quiet
$LC score $DB $OUT/ml4dqm.lcm -o $OUT/scores-ml4dqm.csv
$LC evaluate $OUT/scores-ml4dqm.csv --labels $DB --source y --runs $HELD_OUT

echo "== the most anomalous LS, bin by bin"
worst=$(awk -F, 'NR > 1 && $3 != "" { if ($3 > m) { m = $3; w = $1 ":" $2 } } END { print w }' $OUT/scores.csv)
$LC explain $DB $OUT/ae.lcm "$worst" --top 5

echo "== certify with a grey zone: XGBoost on the y labels of five runs certifies the ten others (caps 1%/1%)"
$LC certify $DB --me $ME --label y --train-runs 297047-297050,297178 \
	--runs 297056,297170,297171,297281,297284,297286,297664,297671,297672,297675 -o $OUT/cert

echo "== the labelling loop in time order (lumicert stream, label y)"
$LC stream $DB --me $ME --label y


echo "== the HTML report (open $OUT/report.html in a browser; docs/report.md)"
$LC report $DB --model $OUT/ae.lcm --labels y --certify $OUT/cert --max-loss 0.01 --max-pollution 0.01 -o $OUT/report.html
echo "== outputs in $OUT/: scores.csv, flagged.json ($(grep -c '": \[' $OUT/flagged.json) runs), passed.json, ae.lcm, cert/, report.html"

