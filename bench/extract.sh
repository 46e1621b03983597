#!/bin/sh
# Extraction throughput (issue 5), events/s:
#  1. per-event step (bench/extract_bench.c, CPU time, best of REPEAT): plain read of the branches the config names
#     next to the extraction (the same reads + features), local file, over loopback HTTP (tests/range_server.py) and
#     over loopback XRootD (Debian's xrootd, run as nobody when root); target: extraction >= 0.7 of the plain read.
#  2. the whole command (`lumicert extract`: reads, features, event files, per-LS statistics, CSV), 4 inputs, with
#     --threads 1 and --threads 2, best wall time of REPEAT_CMD runs (default 3): wall, CPU time (user+sys), CPU/wall
#     (near 2 when both cores work), events/s of wall time, next to the plain read of step 1 (events/s of CPU time,
#     one thread) and the ratio.
#  3. peer: the independent uproot+numpy implementation (tests/data/extract/make_reference.py) on the same input as
#     `lumicert extract`, and uproot's plain read of the same branches; ratio printed.
# The input is NanoAODv5_sample.root repeated 50 times (50000 events, written by bench/make_big_nanoaod.py with uproot;
# without uproot the 1000-event sample itself is used). Needs python3; uproot (pip install uproot awkward) for 3.
set -eu
cd "$(dirname "$0")/.."
make -s -j2 bin/lumicert build/bench/extract_bench >/dev/null
export REPEAT=${REPEAT:-5}
CFG=bench/extract-nanoaod.json
X=tests/data/extract
T=$(mktemp -d /tmp/lc-bench-extract.XXXXXX)
SRV=
XRD=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; [ -n "$XRD" ] && kill $XRD 2>/dev/null; rm -rf "$T"' EXIT
PY=${PY:-python3}
if $PY -c "import uproot, awkward" 2>/dev/null; then
	$PY bench/make_big_nanoaod.py $X/NanoAODv5_sample.root "$T/big.root" 50
	IN="$T/big.root"
else
	echo "(uproot not installed: using the 1000-event sample; timings of small files are dominated by opening)"
	cp $X/NanoAODv5_sample.root "$T/big.root"
	IN="$T/big.root"
fi
NEV=$(./bin/lumicert root ls "$IN" | sed -n 's/^TTree .* \([0-9]*\) entries$/\1/p')
echo "== 1. per-event step, $NEV events, CPU time best of $REPEAT"
plain() { sed -n 's/.*plain read *\([0-9]*\) ev\/s.*/\1/p' "$T/b-$1"; }
./build/bench/extract_bench $CFG "$IN" | tee "$T/b-local"
$PY tests/range_server.py "$T" > "$T/port" &
SRV=$!
for i in 1 2 3 4 5 6 7 8 9 10; do grep -q PORT "$T/port" && break; sleep 0.3; done
P=$(sed -n 's/^PORT //p' "$T/port")
./build/bench/extract_bench $CFG "http://127.0.0.1:$P/$(basename "$IN")" | tee "$T/b-http"
if command -v xrootd > /dev/null; then
	mkdir -p "$T/xrd" && chmod 777 "$T/xrd" && chmod 755 "$T" && chmod 644 "$IN"
	XP=$((20000 + $$ % 20000))
	if [ "$(id -u)" -eq 0 ]; then DROP="setpriv --reuid=nobody --regid=nogroup --clear-groups"; else DROP=; fi
	(cd "$T/xrd" && exec $DROP xrootd -p $XP -l "$T/xrd/log" -n lcbench "$T") > "$T/xrd/out" 2>&1 &
	XRD=$!
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do grep -rqs "initialization completed" "$T/xrd" && break; sleep 0.2; done
	./build/bench/extract_bench $CFG "root://127.0.0.1:$XP/$IN" | tee "$T/b-xrootd"
else
	echo "   xrootd missing (apt-get install xrootd-server): root:// not measured"
fi
echo "   (remote: the plain read and the extraction both fetch the file's blocks over loopback; the servers' CPU is not counted)"

RC=${REPEAT_CMD:-3}
echo "== 2. lumicert extract, 4 inputs x $NEV events, best wall time of $RC runs; plain read from 1 (CPU time, one thread)"
for k in 1 2 3 4; do ln -s "$IN" "$T/in$k.root"; echo "$T/in$k.root"; done > "$T/urls.txt"
for k in 1 2 3 4; do echo "http://127.0.0.1:$P/in$k.root"; done > "$T/urls-http.txt"
run() { # run LABEL URLLIST THREADS
	: > "$T/times"
	for i in $(seq "$RC"); do
		rm -rf "$T/out"
		/usr/bin/env time -f "%e %U %S" -o "$T/time" ./bin/lumicert extract $CFG "$2" "$T/out" --threads "$3" > /dev/null
		cat "$T/time" >> "$T/times"
	done
	sort -n "$T/times" | head -n 1 | awk -v n=$((4 * NEV)) -v l="$1" -v th="$3" -v pl="$(plain "$1")" '{
		c = $2 + $3; r = n / $1
		printf "   %-6s --threads %s: wall %5.2f s  CPU %5.2f s  CPU/wall %.2f  %4.0f k events/s | plain read %4.0f k events/s | ratio %.2f\n",
		       l, th, $1, c, c / $1, r / 1000, pl / 1000, (pl > 0 ? r / pl : 0) }'
}
if command -v time > /dev/null 2>&1 || [ -x /usr/bin/time ]; then
	run local "$T/urls.txt" 1
	run local "$T/urls.txt" 2
	run http "$T/urls-http.txt" 1
	run http "$T/urls-http.txt" 2
	if [ -n "$XRD" ]; then
		for k in 1 2 3 4; do echo "root://127.0.0.1:$XP/$T/in$k.root"; done > "$T/urls-xrd.txt"
		run xrootd "$T/urls-xrd.txt" 1
		run xrootd "$T/urls-xrd.txt" 2
	fi
	echo "   (the loopback servers run on the same 2 cores: their CPU is not in CPU above, yet takes from the wall time)"
else
	echo "   /usr/bin/time missing (apt-get install time): skipped"
fi

echo "== 3. peer: uproot + numpy (make_reference.py) and uproot's plain read, on NanoAODv5_sample.root (1000 events)"
if $PY -c "import uproot, awkward, numpy" 2>/dev/null; then
	echo $X/NanoAODv5_sample.root > "$T/one.txt"
	best() { # best wall seconds of 3 runs of a command
		b=; for i in 1 2 3; do s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); t=$(echo "$e - $s" | bc); if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi; done; echo $b; }
	lc=$(best sh -c "rm -rf $T/o1; ./bin/lumicert extract $CFG $T/one.txt $T/o1")
	peer=$(best $PY $X/make_reference.py $CFG "$T/peer.csv" $X/NanoAODv5_sample.root)
	BR=$($PY -c "import json; c = json.load(open('$CFG')); print(' '.join(c['per_lumisection'] + [b for ch in c['per_event'].values() for b in ch['branches']]))")
	rd=$(best $PY -c "import sys, uproot; uproot.open(sys.argv[1])['Events'].arrays(sys.argv[2:], library='ak')" $X/NanoAODv5_sample.root $BR)
	echo "$lc $peer $rd" | awk '{ printf "   lumicert extract %.3f s | uproot+numpy peer %.3f s (%.0fx slower) | uproot plain read alone %.3f s\n", $1, $2, $2 / $1, $3 }'
	$PY tests/extract_compare.py "$T/o1/features.csv" "$T/peer.csv" | sed 's/^/   same output: /'
else
	echo "   uproot/awkward/numpy not installed: skipped"
fi
