#!/bin/sh
# Command-line tests of `lumicert extract`: NanoAOD and AOD-layout extraction equal to the uproot+numpy reference
# (tests/data/extract/*.reference.csv, made by make_reference.py), threads, batch size, skipping, shards and their
# merge, the store, bad configs (exit 1 naming the field, nothing written), failing inputs, http:// through a
# loopback range server (tests/range_server.py) and root:// through Debian's xrootd server, both equal to the local
# files, also when the HTTP server drops the connection mid-file or the XRootD server is gone.
# Prints "N passed, M failed".
cd "$(dirname "$0")/.." || exit 1
LC=${LC:-bin/lumicert}
X=tests/data/extract
T=$(mktemp -d /tmp/lc-extract.XXXXXX)
SRV=
XRD=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; [ -n "$XRD" ] && kill $XRD 2>/dev/null; rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { d=$1; shift; if "$@" > "$T/out" 2> "$T/err"; then ok; else ko "$d"; sed 's/^/    /' "$T/err" | head -5; fi; }
expect_fail() { # expect_fail DESCRIPTION CODE FRAGMENT COMMAND...
	d=$1; code=$2; frag=$3; shift 3
	"$@" > "$T/out" 2> "$T/err"; rc=$?
	if [ $rc -eq "$code" ] && grep -qF -- "$frag" "$T/err"; then ok; else ko "$d (exit $rc, wanted $code and '$frag')"; sed 's/^/    /' "$T/err" | head -3; fi
}
same() { cmp -s "$1" "$2" && ok || ko "$3"; }

NANO1=$X/nanoAOD_2015_CMS_Open_Data_ttbar.root
NANO2=$X/NanoAODv5_sample.root
printf '# two NanoAOD samples\n%s\n\n%s\n' "$NANO1" "$NANO2" > "$T/nano.txt"
echo "$X/uproot-mc10events.root" > "$T/aod.txt"

check "extract --help" $LC extract --help
grep -qF "usage: lumicert extract CONFIG URLLIST OUTDIR" "$T/out" && ok || ko "extract --help prints its usage"

# --- equal to the independent reference
check "extract NanoAOD" $LC extract $X/nanoaod.json "$T/nano.txt" "$T/a"
grep -qF "2 inputs: 2 extracted (1200 events), 0 already done, 0 failed; 17 LS" "$T/out" && ok || ko "summary line: $(cat "$T/out")"
if command -v python3 > /dev/null; then
	check "NanoAOD features equal the uproot+numpy reference" python3 tests/extract_compare.py "$T/a/features.csv" $X/nanoaod.reference.csv
	check "extract AOD split branches" $LC extract $X/mc10-aod.json "$T/aod.txt" "$T/aod"
	check "AOD-layout features equal the reference" python3 tests/extract_compare.py "$T/aod/features.csv" $X/mc10-aod.reference.csv
else
	echo "SKIP: python3 missing: reference comparisons not run"
fi
[ "$(head -n 1 "$T/a/features.csv" | cut -d, -f1-5)" = "run,lumi,n_events,muons_nonzero,muons_count_mean" ] && ok || ko "CSV header"
grep -q "^1,2272916,45," "$T/a/features.csv" && ok || ko "LS 1:2272916 has 45 events"
[ -s "$T/a/failed.txt" ] && ko "failed.txt is empty when nothing failed" || ok
[ "$(ls "$T/a/events" | wc -l)" -eq 2 ] && ok || ko "one event file per input"

# --- threads, batch size and resuming do not change the result
check "extract --threads 2" $LC extract $X/nanoaod.json "$T/nano.txt" "$T/t2" --threads 2
same "$T/a/features.csv" "$T/t2/features.csv" "--threads 2 gives the same CSV"
echo "$NANO2" > "$T/one.txt"
check "one file, --threads 1" $LC extract $X/nanoaod.json "$T/one.txt" "$T/o1"
check "one file split over 2 threads" $LC extract $X/nanoaod.json "$T/one.txt" "$T/o2" --threads 2
same "$T/o1/features.csv" "$T/o2/features.csv" "a file split into two entry ranges gives the same CSV"
sed 's/"batch": 100000/"batch": 7/g' $X/nanoaod.json > "$T/batch7.json"
check "extract with batch 7" $LC extract "$T/batch7.json" "$T/nano.txt" "$T/b7"
same "$T/a/features.csv" "$T/b7/features.csv" "batch 7 gives the same CSV"
check "extract again" $LC extract $X/nanoaod.json "$T/nano.txt" "$T/a"
grep -qF "0 extracted (0 events), 2 already done" "$T/out" && ok || ko "processed files are skipped: $(cat "$T/out")"
same "$T/t2/features.csv" "$T/a/features.csv" "a resumed run gives the same CSV"

# --- shards and their merge
check "shard 1/2" $LC extract $X/nanoaod.json "$T/nano.txt" "$T/s" --shard 1/2
check "shard 2/2" $LC extract $X/nanoaod.json "$T/nano.txt" "$T/s" --shard 2/2
[ -f "$T/s/features.shard-1-of-2.csv" ] && [ -f "$T/s/features.shard-2-of-2.csv" ] && ok || ko "shard CSVs named by shard"
[ "$(grep -c '^1,' "$T/s/features.shard-1-of-2.csv")" -eq 6 ] && [ "$(grep -c '^1,' "$T/s/features.shard-2-of-2.csv")" -eq 11 ] && ok || ko "each shard has its own LS"
check "merge of shards" $LC extract $X/nanoaod.json "$T/nano.txt" "$T/s"
grep -qF "0 extracted (0 events), 2 already done" "$T/out" && ok || ko "the merge extracts nothing again"
same "$T/a/features.csv" "$T/s/features.csv" "merge of shards equals one run over all"
expect_fail "bad shard" 2 "--shard: expected I/N" $LC extract $X/nanoaod.json "$T/nano.txt" "$T/x" --shard 3/2

# --- store
check "extract --db" $LC extract $X/nanoaod.json "$T/nano.txt" "$T/a" --db "$T/lc.db"
if command -v sqlite3 > /dev/null; then
	n=$(sqlite3 "$T/lc.db" "SELECT COUNT(*) FROM feature")
	cols=$(head -n 1 "$T/a/features.csv" | tr ',' '\n' | wc -l)
	[ "$n" -eq $((17 * (cols - 2))) ] && ok || ko "feature rows: $n, want 17 LS x $((cols - 2))"
	[ "$(sqlite3 "$T/lc.db" "SELECT value FROM feature WHERE run=1 AND ls=2272916 AND name='n_events'")" = "45.0" ] && ok || ko "n_events in the store"
	[ "$(sqlite3 "$T/lc.db" "SELECT COUNT(DISTINCT channel) FROM feature")" -eq 6 ] && ok || ko "features grouped by channel (event + 5)"
	check "store still opens for info" $LC info "$T/lc.db"
fi

# --- bad configs: exit 1, naming the field, before any file is read (OUTDIR not created)
bad() { # bad NAME FRAGMENT JSON
	printf '%s\n' "$3" > "$T/$1.json"
	expect_fail "config $1" 1 "$2" $LC extract "$T/$1.json" "$T/nano.txt" "$T/bad-$1"
	[ -e "$T/bad-$1" ] && ko "config $1: OUTDIR was created" || ok
}
bad notjson "notjson.json:2:" '{"per_lumisection": ["run",'
bad nople "per_lumisection: missing" '{"per_event": {"m": {"branches": ["Muon_pt"]}}}'
bad pletype "per_lumisection[1]: expected a branch name" '{"per_lumisection": ["run", 3], "per_event": {"m": {"branches": ["Muon_pt"]}}}'
bad noevent "per_event: missing" '{"per_lumisection": ["run", "luminosityBlock"]}'
bad nobranches "per_event.m.branches: missing" '{"per_lumisection": ["run", "luminosityBlock"], "per_event": {"m": {"read_each": 1}}}'
bad readeach "per_event.m.read_each: expected an integer" '{"per_lumisection": ["run", "luminosityBlock"], "per_event": {"m": {"branches": ["Muon_pt"], "read_each": "2"}}}'
bad batch0 "per_event.m.batch: expected an integer" '{"per_lumisection": ["run", "luminosityBlock"], "per_event": {"m": {"branches": ["Muon_pt"], "batch": 0}}}'
bad unknownkey "unknown key 'branch'" '{"per_lumisection": ["run", "luminosityBlock"], "per_event": {"m": {"branch": ["Muon_pt"]}}}'
bad dupfeat "gives feature name 'pt'" '{"per_lumisection": ["run", "luminosityBlock"], "per_event": {"m": {"branches": ["Muon_pt", "Jet_pt"]}}}'
bad unknownbranch "per_event.m.branches[1]: no branch 'Muon_ptt'" '{"per_lumisection": ["run", "luminosityBlock"], "per_event": {"m": {"branches": ["Muon_pt", "Muon_ptt"]}}}'
bad multiplicity "does not have the multiplicity" '{"per_lumisection": ["run", "luminosityBlock"], "per_event": {"m": {"branches": ["Muon_pt", "Jet_eta"]}}}'
bad jaggedls "per_lumisection[1]: branch 'Muon_pt' is not a scalar" '{"per_lumisection": ["run", "Muon_pt"], "per_event": {"m": {"branches": ["Jet_pt"]}}}'
bad notree "tree: " '{"tree": "Evts", "per_lumisection": ["run", "luminosityBlock"], "per_event": {"m": {"branches": ["Muon_pt"]}}}'
expect_fail "missing URL list" 1 "nolist.txt: cannot open" $LC extract $X/nanoaod.json "$T/nolist.txt" "$T/x"
expect_fail "missing config" 1 "none.json: cannot open" $LC extract "$T/none.json" "$T/nano.txt" "$T/x"

# --- failing inputs: listed at the end and in failed.txt, the others go on
printf '%s\n%s\nftp://example.org/x.root\n%s\n' "$T/missing.root" "$X/nanoaod.json" "$NANO1" > "$T/mixed.txt"
expect_fail "failing inputs" 1 "3 inputs failed" $LC extract $X/nanoaod.json "$T/mixed.txt" "$T/m"
grep -qF "missing.root: cannot open" "$T/m/failed.txt" && ok || ko "missing file in failed.txt"
grep -qF "not a ROOT file" "$T/m/failed.txt" && ok || ko "non-ROOT file in failed.txt"
grep -qF "ftp://example.org/x.root: unsupported URL scheme" "$T/m/failed.txt" && ok || ko "other URL schemes refused clearly"
[ "$(wc -l < "$T/m/features.csv")" -eq 7 ] && ok || ko "the good input was extracted (6 LS)"

# --- http:// through a loopback range server
if command -v python3 > /dev/null; then
	python3 tests/range_server.py $X > "$T/port" 2> "$T/srv.err" &
	SRV=$!
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do grep -q PORT "$T/port" && break; sleep 0.2; done
	P=$(sed -n 's/^PORT //p' "$T/port")
	U=http://127.0.0.1:$P
	printf '%s\n%s\n' "$U/$(basename $NANO1)" "$U/$(basename $NANO2)" > "$T/http.txt"
	check "extract over http" $LC extract $X/nanoaod.json "$T/http.txt" "$T/h" --threads 2
	same "$T/a/features.csv" "$T/h/features.csv" "http:// gives the CSV of the local files"
	printf '%s\n%s\n%s\n' "$U/drop/$(basename $NANO1)" "$U/nothere.root" "$U/$(basename $NANO2)" > "$T/drop.txt"
	expect_fail "connection dropped mid-file" 1 "2 inputs failed" $LC extract $X/nanoaod.json "$T/drop.txt" "$T/d"
	grep -F "/drop/" "$T/d/failed.txt" | grep -qE "connection ended after|received" && ok || ko "dropped connection named in failed.txt: $(cat "$T/d/failed.txt")"
	grep -qF "nothere.root: HTTP status 404" "$T/d/failed.txt" && ok || ko "404 in failed.txt"
	same "$T/o1/features.csv" "$T/d/features.csv" "the rest goes on: the third file's features"
	check "retry after the server recovers" $LC extract $X/nanoaod.json "$T/http.txt" "$T/d"
	grep -qF "1 extracted (1000 events)" "$T/out" || grep -qF "1 extracted (200 events)" "$T/out" && ok || ko "only the failed file is extracted again: $(cat "$T/out")"
	kill $SRV; SRV=
else
	echo "SKIP: python3 missing: http tests not run"
fi

# --- root:// through Debian's xrootd server on loopback (it refuses to run as root: dropped to nobody)
XRD=
if command -v xrootd > /dev/null; then
	mkdir -p "$T/xrd" && chmod 777 "$T/xrd" && chmod 711 "$T" # the server runs as nobody
	XP=$((20000 + $$ % 20000))
	AX=$(cd "$X" && pwd)
	if [ "$(id -u)" -eq 0 ]; then DROP="setpriv --reuid=nobody --regid=nogroup --clear-groups"; else DROP=; fi
	(cd "$T/xrd" && exec $DROP xrootd -p $XP -l "$T/xrd/log" -n lctest "$AX") > "$T/xrd/out" 2>&1 & # log: xrd/lctest/log
	XRD=$!
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do grep -rqs "initialization completed" "$T/xrd" && break; sleep 0.2; done
	if grep -rqs "initialization completed" "$T/xrd"; then
		R=root://127.0.0.1:$XP/$AX
		printf '%s\n%s\n' "$R/$(basename $NANO1)" "$R/$(basename $NANO2)" > "$T/xrd.txt"
		check "extract over root://" $LC extract $X/nanoaod.json "$T/xrd.txt" "$T/r" --threads 2
		same "$T/a/features.csv" "$T/r/features.csv" "root:// gives the CSV of the local files"
		echo "$R/uproot-mc10events.root" > "$T/xrd-aod.txt"
		check "AOD layout over root://" $LC extract $X/mc10-aod.json "$T/xrd-aod.txt" "$T/ra"
		same "$T/aod/features.csv" "$T/ra/features.csv" "root:// AOD-layout CSV equals the local one"
		printf '%s\n%s\n' "$R/nothere.root" "$R/$(basename $NANO2)" > "$T/xrd-bad.txt"
		expect_fail "missing file over root://" 1 "1 inputs failed" $LC extract $X/nanoaod.json "$T/xrd-bad.txt" "$T/rb"
		grep -qF "nothere.root: cannot open" "$T/rb/failed.txt" && ok || ko "root:// missing file in failed.txt: $(cat "$T/rb/failed.txt")"
		same "$T/o1/features.csv" "$T/rb/features.csv" "the rest goes on over root://"
		kill $XRD; wait $XRD 2>/dev/null; XRD=
		echo "$R/$(basename $NANO1)" > "$T/xrd-down.txt"
		XRD_CONNECTIONRETRY=1 XRD_CONNECTIONWINDOW=2 expect_fail "server gone" 1 "cannot open" $LC extract $X/nanoaod.json "$T/xrd-down.txt" "$T/rd"
	else
		echo "SKIP: xrootd did not start: root:// tests not run"; cat "$T/xrd/out" "$T"/xrd/*/log 2>/dev/null | tail -4
	fi
	[ -n "$XRD" ] && kill $XRD 2>/dev/null; XRD=
else
	echo "SKIP: xrootd missing (apt-get install xrootd-server): root:// tests not run"
fi

echo "extract_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
