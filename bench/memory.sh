#!/bin/sh
# Peak memory (maximum resident set size, /usr/bin/time -v) of import, train and score against the number of LS.
# Input: N LS of a 100-bin ME, each a Poisson resampling of one of the 3100 real pixel histograms of
# data/pixel-2017B (bench/gen_ls.c), for N in LC_MEM_SIZES (default 10^4 10^5 10^6); and 2D LS of 300x200 bins
# resampled from the 5 real DQMIO LS of tests/data/dqmio-2023C (clusterposition_zphi_ontrack_PXLayer_1), for N in
# LC_MEM_SIZES_2D (default 10^3 3x10^3). Training uses a fixed sample (the first 10 runs = 10^4 LS in 1D, the first
# run = 10^3 LS in 2D), so train should be flat; import and score should be flat too.
# Peer (1D only): the Python workflow's first step on the same CSV, pandas.read_csv (as the ML4DQM notebooks load
# these files); the ratio is the peer's peak over lumicert import's. LC_MEM_PEER=0 skips it.
# Work files go to LC_MEM_DIR (default a temporary directory; 10^6 LS need about 1 GB). Prints a table.
set -eu
cd "$(dirname "$0")/.."
SIZES=${LC_MEM_SIZES:-"10000 100000 1000000"}
SIZES_2D=${LC_MEM_SIZES_2D:-"1000 3000"}
W=$(mktemp -d "${LC_MEM_DIR:-/tmp}/lc-mem.XXXXXX")
trap 'rm -rf "$W"' EXIT
# make asan leaves a sanitizer build at bin/lumicert that make alone does not replace: measure the plain build
if nm bin/lumicert 2> /dev/null | grep -q __asan_init; then rm -f bin/lumicert; fi
make -s bin/lumicert build/bench/gen_ls
LC=bin/lumicert

# templates: one line of binning, then "label cells..." per real LS (flow cells included)
python3 - "$W" <<'EOF'
import csv, sys
w = sys.argv[1]
csv.field_size_limit(1 << 30)
rows = list(csv.DictReader(open('data/pixel-2017B/chargeInner_PXLayer_1.csv')))
with open(w + '/t1.txt', 'w') as f:
    f.write('1 100 1 0 80000 0 1 102 %d\n' % len(rows))
    for r in rows:
        f.write(r['y'] + ' ' + ' '.join(r['bin_%d' % i] for i in range(102)) + '\n')
p = ('tests/data/dqmio-2023C/ZeroBias-Run2023C-PromptReco-v1-DQMIO-PixelPhase1-Tracks-PXBarrel-'
     'clusterposition_zphi_ontrack_PXLayer_1.converted.csv')
rows = list(csv.DictReader(open(p)))
r0 = rows[0]
with open(w + '/t2.txt', 'w') as f:
    f.write('2 %s %s %s %s %s %s %d %d\n' % (r0['Xbins'], r0['Ybins'], r0['Xmin'], r0['Xmax'], r0['Ymin'], r0['Ymax'],
                                          (int(r0['Xbins']) + 2) * (int(r0['Ybins']) + 2), len(rows)))
    for r in rows:
        f.write('1 ' + r['histo'].strip('[]').replace(',', ' ') + '\n')
EOF

# peak RSS in MB of a command (its output goes to $W/log)
peak() {
	/usr/bin/time -v "$@" > "$W/log" 2> "$W/time" || { cat "$W/log" "$W/time" >&2; exit 1; }
	awk '/Maximum resident set size/ { printf "%.1f", $NF / 1024 }' "$W/time"
}
secs() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$W/time"; }

printf '%-22s %10s %12s %12s %12s %10s %10s %7s\n' "ME" "LS" "import MB" "train MB" "score MB" "store MB" \
	"pandas MB" "ratio"
run() { # run DIM N TEMPLATES ME TRAIN_RUNS TRAIN_OPTS...
	dim=$1 n=$2 t=$3 me=$4 tr=$5; shift 5
	db=$W/s.db; rm -f "$db" "$db-wal" "$db-shm"
	./build/bench/gen_ls "$t" "$n" "$me" 7 > "$W/in.csv"
	mi=$(peak $LC import "$db" "$W/in.csv" --label-columns y); ti=$(secs)
	mp=-; ratio=-
	if [ "$dim" != "${dim#1D}" ] && [ "${LC_MEM_PEER:-1}" = 1 ]; then
		mp=$(peak /usr/bin/python3 -c 'import sys, pandas; pandas.read_csv(sys.argv[1])' "$W/in.csv")
		ratio=$(awk -v a="$mp" -v b="$mi" 'BEGIN { printf "%.1f", a / b }')
	fi
	rm -f "$W/in.csv"
	mt=$(peak $LC train "$db" -o "$W/m.lcm" --me "$me" --runs "$tr" --good y "$@"); tt=$(secs)
	ms=$(peak $LC score "$db" "$W/m.lcm" -o "$W/scores.csv"); ts=$(secs)
	[ "$(wc -l < "$W/scores.csv")" -eq $((n + 1)) ] || { echo "score: expected $n rows" >&2; exit 1; }
	sz=$(du -m "$db" | cut -f1)
	printf '%-22s %10d %12s %12s %12s %10s %10s %7s   (%ss %ss %ss)\n' "$dim" "$n" "$mi" "$mt" "$ms" "$sz" "$mp" \
		"$ratio" "$ti" "$tt" "$ts"
}
for n in $SIZES; do
	run "1D 100 bins" "$n" "$W/t1.txt" pixel_charge_100 300000-300009
done
for n in $SIZES_2D; do
	run "2D 300x200 bins" "$n" "$W/t2.txt" pixel_zphi_300x200 300000 --rebin 10,10
done
echo "(import, train, score wall seconds in parentheses; lumicert $(sed -n 's/^#define LC_VERSION "\(.*\)"/\1/p' include/lumicert.h), $(nproc) cores)"
