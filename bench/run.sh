#!/bin/sh
# Benchmarks of issue 2: lumicert beside its Python peers on the same real data, in one go, printing the ratios.
#   1. training: the ML4DQM autoencoder (100-20-10-20-100, sigmoid/tanh), L1 bins without flow, MSE, 300 epochs,
#      batch 128, lr 1e-3, one thread each, vs ../shared/bench/peer_torch_ae.py (PyTorch)
#   2. scoring throughput (LS/s, forward + per-LS MSE on prepared rows), same models' shapes
#   3. import of the long CSV layout (MB/s) vs pandas.read_csv + ast.literal_eval (peer_csv_import.py)
#   4. detection: ROC AUC against y on the 13 held-out runs, default model vs the PyTorch ML4DQM autoencoder
# Needs: make, python3-torch python3-pandas python3-sklearn (LC_BENCH=1 make deps).
set -eu
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
PY=/usr/bin/python3
LC=bin/lumicert
CSV=data/pixel-2017B/chargeInner_PXLayer_1.csv
W=${BENCH_DIR:-/tmp/lumicert-bench}
rm -rf "$W"; mkdir -p "$W"
make -s -j2 all build/bench/bench_score >/dev/null
ME=chargeInner_PXLayer_1
HELD_OUT=297047,297048,297049,297056,297170,297171,297281,297284,297286,297664,297671,297672,297675
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

$LC import $W/px.db $CSV --label-columns good,good_pixel,y >/dev/null

echo "== 1. training, ML4DQM architecture, 300 epochs, batch 128, 1 thread"
# the peer runs three times and keeps its best times (its single scoring pass is noisy: 3 to 25 ms seen here)
for i in 1 2 3; do $PY $SHARED/bench/peer_torch_ae.py $CSV --epochs 300 --threads 1; done > $W/peer.txt
cat $W/peer.txt
peer_train=$(awk '/train_seconds/ { print $2 }' $W/peer.txt | sort -g | head -1)
peer_mse=$(awk '/final_train_mse/ { print $8 }' $W/peer.txt | head -1)
peer_score=$(awk '/score_seconds/ { print $4 }' $W/peer.txt | sort -g | head -1)
peer_auc=$(awk '/auc_y/ { print $2 }' $W/peer.txt | head -1)
$LC train $W/px.db -o $W/ml4dqm.lcm --me $ME --runs 297050,297178 --good y --hidden 20:sigmoid,10:tanh,20:sigmoid \
	--output sigmoid --normalize l1 --flow drop --loss mse --epochs 300 --batch 128 --lr 1e-3 --threads 1 \
	--val-frac 0 --quiet > $W/lc-train.txt
lc_train=$($LC model show $W/ml4dqm.lcm | awk -F': ' '/"seconds"/ { gsub(/[ ,]/, "", $2); print $2 }')
lc_mse=$($LC model show $W/ml4dqm.lcm | awk -F': ' '/"train_loss"/ { gsub(/[ ,]/, "", $2); print $2 }')
echo "lumicert: train_seconds $lc_train final_train_mse $lc_mse"
echo "RESULT training: PyTorch ${peer_train}s, lumicert ${lc_train}s, speed-up $(ratio $peer_train $lc_train)x (target >= 10x);" \
	"final MSE PyTorch $peer_mse, lumicert $lc_mse, ratio $(ratio $lc_mse $peer_mse) (target within 10%)"

echo "== 2. scoring throughput (3100 LS, prepared rows in memory, forward + per-LS MSE)"
build/bench/bench_score $W/px.db $W/ml4dqm.lcm > $W/score.txt
cat $W/score.txt
lc_lsps=$(awk '{ for (i = 1; i < NF; i++) if ($i == "ls_per_s") print $(i + 1) }' $W/score.txt)
peer_lsps=$(awk -v s="$peer_score" 'BEGIN { printf "%.0f", 3100 / s }')
echo "RESULT scoring: PyTorch $peer_lsps LS/s, lumicert $lc_lsps LS/s, ratio $(ratio $lc_lsps $peer_lsps)x (target >= 5x)"
lc_lsps2=$(build/bench/bench_score $W/px.db $W/ml4dqm.lcm 2 | awk '{ for (i = 1; i < NF; i++) if ($i == "ls_per_s") print $(i + 1) }')
echo "lumicert with --threads 2: $lc_lsps2 LS/s, ratio $(ratio $lc_lsps2 $peer_lsps)x"
t0=$(date +%s.%N); $LC score $W/px.db $W/ml4dqm.lcm -o $W/s.csv >/dev/null; t1=$(date +%s.%N)
echo "end to end (read store, prepare, score, write CSV, record scores): $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.0f", 3100 / (b - a) }') LS/s"

echo "== 3. import of the long CSV layout (62 000 LS, ~37 MB)"
$PY $SHARED/bench/make_long_csv.py $CSV $W/long.csv --copies 20
$PY $SHARED/bench/peer_csv_import.py $W/long.csv > $W/peer-import.txt
cat $W/peer-import.txt
peer_mbs=$(awk '{ for (i = 1; i < NF; i++) if ($i == "MB_per_s") print $(i + 1) }' $W/peer-import.txt)
bytes=$(stat -c %s $W/long.csv)
t0=$(date +%s.%N); $LC import $W/long.db $W/long.csv >/dev/null; t1=$(date +%s.%N)
lc_mbs=$(awk -v a=$t0 -v b=$t1 -v n=$bytes 'BEGIN { printf "%.1f", n / 1e6 / (b - a) }')
echo "RESULT import: pandas+literal_eval $peer_mbs MB/s, lumicert import (parse + SQLite store) $lc_mbs MB/s, ratio $(ratio $lc_mbs $peer_mbs)x (target >= 20x)"

echo "== 4. detection: ROC AUC against y on the 13 held-out runs"
$LC train $W/px.db -o $W/default.lcm --me $ME --runs 297050,297178 --good y --quiet >/dev/null
$LC score $W/px.db $W/default.lcm -o $W/default.csv >/dev/null
lc_auc=$($LC evaluate $W/default.csv --labels $W/px.db --source y --runs $HELD_OUT --json | sed 's/.*"auc": \([0-9.]*\).*/\1/')
$LC score $W/px.db $W/ml4dqm.lcm -o $W/ml4dqm.csv >/dev/null
lc_ml_auc=$($LC evaluate $W/ml4dqm.csv --labels $W/px.db --source y --runs $HELD_OUT --json | sed 's/.*"auc": \([0-9.]*\).*/\1/')
echo "RESULT detection: PyTorch ML4DQM AE $peer_auc, lumicert ML4DQM AE $lc_ml_auc, lumicert default model $lc_auc (target >= 0.90)"

echo "== 5. synthetic anomalies injected into real good LS of the held-out runs (default vs ML4DQM architecture)"
$PY bench/synthetic.py $LC $W/px.db $W/default.lcm $W/ml4dqm.lcm
