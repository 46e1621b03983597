#!/bin/sh
# ROOT reader throughput (issue 4): uncompressed MB/s of `lc_root_branch_read` on the large-array files (zlib, lz4,
# lzma) and the HZZ jagged branches (every compression), next to the bound: the same compressed basket payloads
# decompressed by zlib/lz4/lzma/zstd alone. Prints both and the ratio (target >= 0.8). "open+read" includes opening
# the file and parsing the tree; "read" is the branch reads alone. Best of REPEAT runs (default 20).
# With uproot installed (pip install uproot; a cross-check peer only, never a dependency) it also times uproot
# reading the same branches into numpy/awkward arrays and prints lumicert's speed-up over it.
set -eu
cd "$(dirname "$0")/.."
D=${SHARED:-../shared}/data/root
make -s -j2 build/bench/root_bench >/dev/null
export REPEAT=${REPEAT:-20}
HZ="Jet_Px Jet_Py Jet_Pz Jet_E Muon_Px Muon_Py Muon_Pz Muon_E Electron_Px Electron_Py Electron_Pz Electron_E Photon_Px Photon_Py Photon_Pz Photon_E"
echo "== large arrays (tree t1, int32_array + float_array, 100000 entries)"
for f in tree_with_large_array tree_with_large_array_lz4 tree_with_large_array_lzma; do
	./build/bench/root_bench $D/unroot/$f.root t1 int32_array float_array
done
echo "== HZZ jagged branches (16 branches [NJet], [NMuon], [NElectron], [NPhoton], 2421 entries)"
for v in "" -zlib -lz4 -lzma -zstd -uncompressed; do
	./build/bench/root_bench $D/uproot-HZZ$v.root events $HZ
done
PY=${PY:-python3}
if $PY -c "import uproot" 2>/dev/null; then
	echo "== peer: uproot (best of $REPEAT), same branches, seconds for open+read; lumicert open+read"
	for spec in "unroot/tree_with_large_array.root t1 int32_array float_array" \
		    "unroot/tree_with_large_array_lzma.root t1 int32_array float_array" \
		    "uproot-HZZ.root events $HZ" "uproot-HZZ-lzma.root events $HZ" "uproot-HZZ-zstd.root events $HZ"; do
		set -- $spec
		f=$1; t=$2; shift 2
		peer=$($PY - "$D/$f" "$t" "$REPEAT" "$@" <<'PYEOF'
import sys, time, uproot
path, tree, rep, names = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
best = 1e30
for _ in range(rep):
    t0 = time.perf_counter()
    with uproot.open(path) as f:
        f[tree].arrays(names, library="ak")
    best = min(best, time.perf_counter() - t0)
print(best)
PYEOF
)
		lc=$(./build/bench/root_bench $D/$f $t "$@" | sed -E 's/.* ([0-9.]+) MB \| open\+read +([0-9.]+) MB\/s.*/\1 \2/')
		echo "$f $peer $lc" | awk '{ s = $3 / $4; printf "%-34s uproot %.5f s  lumicert %.5f s  speed-up %.1fx\n", $1, $2, s, $2 / s }'
	done
else
	echo "== peer: uproot not installed (pip install uproot awkward), skipped"
fi
