#!/bin/sh
# Command-line tests of `lumicert root` and of `lumicert import` on ROOT files: listings, dumps and histograms against
# upstream expected values (tests/root_expected.py, skipped without python3), the per-LS ROOT import equal bin for bin
# to the import of the CSV conversion, and bad inputs (exit 1, a message naming the place, nothing changed).
# Data: ../shared/data/root and ../shared/data/dqmio-2023C. Prints "N passed, M failed".
cd "$(dirname "$0")/.." || exit 1
LC=${LC:-bin/lumicert}
D=../shared/data/root
Q=../shared/data/dqmio-2023C
T=$(mktemp -d /tmp/lc-root.XXXXXX)
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
has() { grep -qF -- "$1" "$T/out" && ok || ko "$2"; }

check "root --help" $LC root --help
has "usage: lumicert root" "root --help prints its usage"
check "ls HZZ" $LC root ls $D/uproot-HZZ-zstd.root
has "events;1" "ls names the tree with its cycle"
has "2421 entries" "ls gives the entry count"
grep -E "^  Muon_Px +float32\[NMuon\] +TBranch/TLeafF 2421 entries, 2 baskets" "$T/out" > /dev/null && ok || ko "ls: jagged type, counter, baskets"
check "ls nested dirs" $LC root ls $D/uproot-nesteddirs.root one/two
grep -E "^TTree +tree;1" "$T/out" > /dev/null && ok || ko "ls PATH lists that directory"
check "ls a tree path" $LC root ls $D/uproot-nesteddirs.root one/two/tree
grep -E "^TTree one/two/tree 100 entries" "$T/out" > /dev/null && grep -qE "^  Float32 +float32 " "$T/out" && ok || ko "ls TREE lists its branches"
check "ls unsupported branches" $LC root ls $D/uproot-stl_containers.root
has "(unsupported: object of class map<string,string> in branch map_string_string)" "ls says why a branch cannot be read"
check "dump jagged range" $LC root dump $D/uproot-HZZ-lzma.root events Muon_Charge --entries 0:3
[ "$(cat "$T/out")" = "$(printf '[1, -1]\n[1]\n[1, -1]')" ] && ok || ko "dump Muon_Charge 0:3"
check "dump open-ended range" $LC root dump $D/uproot-HZZ.root events NJet --entries 2419:
[ "$(wc -l < "$T/out")" -eq 2 ] && ok || ko "--entries A: runs to the end"
check "dump doubles exactly" $LC root dump $D/uproot-Zmumu-lz4.root events px1 --entries :1
[ "$(cat "$T/out")" = "-41.1952876442" ] && ok || ko "px1[0] printed so it reads back exactly"
check "dump string" $LC root dump $D/uproot-simple.root tree three
[ "$(tr '\n' ' ' < "$T/out")" = '"uno" "dos" "tres" "quatro" ' ] && ok || ko "strings"
check "hist" $LC root hist $D/uproot-histograms.root one
has '"cells": [0, 68, 285, 755, 1580, 2296, 2286, 1570, 795, 289, 76, 0]' "hist cells with under/overflow"

if command -v python3 > /dev/null; then
	python3 tests/root_expected.py "$LC" "$D" > "$T/py" 2>&1
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$T/py" | tail -n 1)
	p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	[ -n "$line" ] || { p=0; f=1; cat "$T/py" | tail -5; }
	grep FAIL "$T/py" | head -10
	pass=$((pass + p)); fail=$((fail + f))
else
	echo "root_cli.sh: python3 missing, upstream expected values not checked"
fi

# bad input: exit 1 with the place named; usage errors exit 2
expect_fail "not a ROOT file" 1 "not a ROOT file" $LC root ls $D/EXPECTED.md
expect_fail "missing file" 1 "cannot open" $LC root ls $T/nothere.root
expect_fail "missing branch" 1 "no branch 'nope'" $LC root dump $D/uproot-HZZ.root events nope
expect_fail "missing key" 1 "no key 'nope'" $LC root hist $D/uproot-HZZ.root nope
expect_fail "unsupported branch" 1 "unsupported: object of class map<string,string> in branch map_string_string" \
	$LC root dump $D/uproot-stl_containers.root tree map_string_string
head -c 150000 $D/uproot-HZZ-zlib.root > "$T/cut.root"
expect_fail "truncated file" 1 "cut.root" $LC root dump "$T/cut.root" events NJet
grep -qE "byte|offset" "$T/err" && ok || ko "truncation message gives a byte or offset"
expect_fail "bad range" 2 "--entries" $LC root dump $D/uproot-HZZ.root events NJet --entries 5:2
expect_fail "no subcommand" 2 "expected a subcommand" $LC root

# import: ROOT per-LS keys equal the CSV conversions bin for bin; a bad ROOT file changes nothing
q="SELECT m.name, m.metype, m.dim, m.nx, m.ny, m.xmin, m.xmax, m.ymin, m.ymax, h.run, h.ls, h.entries, h.has_flow,
   hex(h.cells) FROM hist h JOIN me m ON m.id = h.me_id ORDER BY m.name, h.run, h.ls"
if command -v sqlite3 > /dev/null; then
	check "import ROOT" $LC import $T/r.db $Q/*.root
	has "imported 55 histograms from 3 files" "55 histograms from the three ROOT files"
	check "import CSV" $LC import $T/c.db tests/data/dqmio-2023C/*.converted.csv
	[ "$(sqlite3 $T/r.db "$q" | md5sum)" = "$(sqlite3 $T/c.db "$q" | md5sum)" ] && ok || ko "ROOT import = CSV import, bin for bin"
	[ "$(sqlite3 $T/r.db 'SELECT count(*) FROM hist')" = 55 ] && ok || ko "55 stored"
	before=$(sqlite3 $T/r.db .dump | md5sum)
	expect_fail "import truncated ROOT" 1 "cut.root" $LC import $T/r.db $Q/*charge_PXLayer_1.root "$T/cut.root"
	[ "$(sqlite3 $T/r.db .dump | md5sum)" = "$before" ] && ok || ko "failed ROOT import leaves the store unchanged"
	check "import --me" $LC import $T/m.db $Q/*.root --me '*_zphi_*'
	[ "$(sqlite3 $T/m.db 'SELECT count(*) FROM hist')" = 5 ] && ok || ko "--me keeps only the matching ME"
	expect_fail "--me on CSV" 1 "--me applies to ROOT files only" $LC import $T/m2.db tests/data/dqmio-2023C/*PXLayer_1.converted.csv --me x
	expect_fail "DQMIO without Value objects" 1 "Indices entry 1 (run 1, lumi 1, type 3): DQMIO tree TH1Fs has no branch Value" \
		$LC import $T/d.db tests/data/root/dqmio-indices-only.root
	[ ! -e $T/d.db ] && ok || ko "a failed import into a new store leaves no store"
fi
echo "root_cli.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
