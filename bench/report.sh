#!/bin/sh
# Benchmark of `lumicert report` beside its peer (bench/report_peer.py: the same score plots drawn with matplotlib
# from lumicert's scores.csv, what people do today) on (1) the bundled pixel data, 3100 LS of 15 runs, and (2) a
# 102 300-LS store made by importing the pixel CSV 33 times with run numbers shifted by 1000 (495 runs). Prints
# wall times (best of 3; the peer once at 100k), the ratio, and the sizes of the HTML files.
# Needs python3-matplotlib (LC_BENCH=1 make deps). Usage: bench/report.sh [WORKDIR]
set -eu
cd "$(dirname "$0")/.."
[ -x bin/lumicert ] || make -s -j2
LC=bin/lumicert
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
W=${1:-$(mktemp -d /tmp/lc-bench-report.XXXXXX)}
mkdir -p "$W"
CSV=data/pixel-2017B/chargeInner_PXLayer_1.csv
ME=chargeInner_PXLayer_1

now() { date +%s.%N; }
# best N CMD...: the best wall time of N runs, in seconds
best() {
	n=$1; shift; b=""
	for i in $(seq "$n"); do
		t0=$(now); "$@" > /dev/null; t1=$(now)
		b=$(echo "$t0 $t1 ${b:-1e9}" | awk '{ d = $2 - $1; print (d < $3 ? d : $3) }')
	done
	echo "$b"
}
size() { wc -c < "$1" | awk '{ printf "%.2f MB", $1 / 1e6 }'; }
thr() { $LC model show "$1" | $PY -c 'import json, sys; print(json.load(sys.stdin)["threshold"]["value"])'; }

bench() { # bench NAME DB
	name=$1; db=$2
	$LC train "$db" -o "$W/$name.lcm" --me $ME --runs 297050,297178 --good y > /dev/null
	$LC score "$db" "$W/$name.lcm" -o "$W/$name.csv" > /dev/null
	t_lc=$(best 3 $LC report "$db" --model "$W/$name.lcm" --labels y --max-loss 0.01 --max-pollution 0.01 \
		-o "$W/$name.html")
	$LC report "$db" --model "$W/$name.lcm" --labels y --max-loss 0.01 --max-pollution 0.01 -o "$W/$name.html"
	reps=3
	[ "$name" = big ] && reps=1
	t_peer=$(best $reps $PY bench/report_peer.py "$W/$name.csv" "$db" y "$(thr "$W/$name.lcm")" "$W/$name-peer.html")
	echo "$name: lumicert report ${t_lc}s ($(size "$W/$name.html")), matplotlib peer ${t_peer}s ($(size "$W/$name-peer.html")):" \
		"$(echo "$t_peer $t_lc" | awk '{ printf "%.1f", $1 / $2 }')x"
}

echo "== 3100 LS (data/pixel-2017B)"
rm -f "$W/small.db"*
$LC import "$W/small.db" $CSV --label-columns y > /dev/null
bench small "$W/small.db"

echo "== 102300 LS (the pixel CSV 33 times, runs shifted by 1000)"
if [ ! -s "$W/big.db" ]; then
	$PY - $CSV "$W/big.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
head, body = rows[0], rows[1:]
run = head.index('run')
with open(sys.argv[2], 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(head)
    for k in range(33):
        for r in body:
            r2 = list(r)
            r2[run] = str(int(r[run]) + 1000 * k)
            w.writerow(r2)
PY
	$LC import "$W/big.db" "$W/big.csv" --label-columns y > /dev/null
	rm -f "$W/big.csv"
fi
bench big "$W/big.db"
echo "files in $W"
