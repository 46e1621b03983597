#!/bin/sh
# Command-line tests of `lumicert report` on the bundled pixel data: counts in the page against `lumicert score`'s
# CSV run by run, the default model, --runs, --certify (fixture in tests/data/report), caps, and bad input (exit 1
# or 2, a message naming the place, the output file and the store unchanged). Prints "N passed, M failed".
cd "$(dirname "$0")/.." || exit 1
LC=${LC:-bin/lumicert}
T=$(mktemp -d /tmp/lc-report-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
	d=$1; shift
	if "$@" > "$T/out" 2> "$T/err"; then ok; else ko "$d"; sed 's/^/    /' "$T/err" | head -5; fi
}
expect_rc() { # expect_rc DESCRIPTION RC FRAGMENT COMMAND...: exit RC and FRAGMENT in stderr
	d=$1; want=$2; frag=$3; shift 3
	"$@" > "$T/out" 2> "$T/err"; rc=$?
	if [ $rc -eq "$want" ] && grep -qF -- "$frag" "$T/err"; then ok; else ko "$d (exit $rc, wanted $want and '$frag')"; sed 's/^/    /' "$T/err" | head -3; fi
}
has() { grep -qF -- "$2" "$1"; }
# the number inside <b id="ID">N</b> of a page
num_of() { sed -n "s/.*<b id=\"$2\">\([0-9]*\)<.*/\1/p" "$1" | head -n 1; }

DB=$T/px.db
ME=chargeInner_PXLayer_1
$LC import $DB data/pixel-2017B/chargeInner_PXLayer_1.csv --label-columns y > /dev/null || { ko "import"; exit 1; }
$LC train $DB -o $T/ae.lcm --me $ME --runs 297050,297178 --good y > /dev/null || { ko "train"; exit 1; }
$LC score $DB $T/ae.lcm -o $T/scores.csv > /dev/null || { ko "score"; exit 1; }

check "report --help" $LC report --help
has "$T/out" "usage: lumicert report" && ok || ko "help shows the usage"
$LC --help | grep -q "^  report" && ok || ko "lumicert --help lists report"

# the page against the scores CSV: total and per-run counts of flagged LS
before=$(sqlite3 $DB .dump | md5sum)
check "report with labels" $LC report $DB --model $T/ae.lcm --labels y -o $T/r.html
[ -s $T/r.html ] && ok || ko "report written"
[ "$(sqlite3 $DB .dump | md5sum)" = "$before" ] && ok || ko "report leaves the store unchanged"
flagged=$(awk -F, 'NR > 1 && $4 == 1' $T/scores.csv | wc -l)
[ "$(num_of $T/r.html n-flag)" = "$flagged" ] && ok || ko "flagged count $(num_of $T/r.html n-flag) = $flagged of scores.csv"
[ "$(num_of $T/r.html n-good)" = "$(awk -F, 'NR > 1 && $4 == 0' $T/scores.csv | wc -l)" ] && ok || ko "good count"
grep -q "report of 3100 LS in 15 runs" $T/out && ok || ko "summary line: 3100 LS in 15 runs"
# per-run rows: run, LS, good, grey, flagged, not evaluable
awk -F, 'NR > 1 { n[$1]++; f[$1] += ($4 == 1); g[$1] += ($4 == 0) }
	END { for (r in n) printf "<tr><td><a href=\"#run-%s\">%s</a></td><td>%d</td><td>%d</td><td>0</td><td>%d</td><td>0</td>\n", r, r, n[r], g[r], f[r] }' \
	$T/scores.csv > $T/rows
bad_rows=0
while IFS= read -r row; do has $T/r.html "$row" || bad_rows=$((bad_rows + 1)); done < $T/rows
[ "$(wc -l < $T/rows)" -eq 15 ] && [ $bad_rows -eq 0 ] && ok || ko "run table matches scores.csv for all 15 runs ($bad_rows differ)"
# labelled bad per run: run 297047's 28 LS are all bad in y
has $T/r.html '<td>28</td><td>0</td><td>0</td><td>28</td><td>0</td><td>28</td><td>0</td>' && ok || ko "run 297047: 28 flagged, 28 labelled bad"
has $T/r.html 'id="ls-297047-' && ok || ko "details of a flagged LS of run 297047"
has $T/r.html 'id="auc"' && ok || ko "ROC AUC shown"
has $T/r.html "$T/ae.lcm" && ok || ko "model card names the model file"

# default model: the one `score` recorded last
check "report without --model" $LC report $DB -o $T/d.html
has $T/d.html "$T/ae.lcm" && ok || ko "default model is the scored one"
has $T/d.html 'No label source given' && ok || ko "without labels: no curves, said so"

# --runs
check "report --runs" $LC report $DB --model $T/ae.lcm --runs 297047,297048 -o $T/s.html
grep -q "report of 43 LS in 2 runs" $T/out && ok || ko "--runs 297047,297048: 43 LS in 2 runs"

# caps: a grey zone, counted in the page and in the caps table
check "report with caps" $LC report $DB --model $T/ae.lcm --labels y --max-loss 0.01 --max-pollution 0.01 -o $T/c.html
grey=$(num_of $T/c.html n-grey)
[ -n "$grey" ] && [ "$grey" -gt 0 ] && ok || ko "caps give a grey zone ($grey)"
has $T/c.html 'id="caps"' && ok || ko "caps table"

# --certify: review LS grey, auto-bad flagged, reasons escaped, summary shown
check "report --certify" $LC report $DB --model $T/ae.lcm --labels y --certify tests/data/report/certify -o $T/k.html
[ "$(num_of $T/k.html n-grey)" = 11 ] && ok || ko "11 LS to review are the grey zone"
has $T/k.html 'id="ls-297056-30"' && ok || ko "a review LS is shown in detail"
has $T/k.html 'score between caps, &lt;check&gt;' && ! has $T/k.html '<check>' && ok || ko "review reason escaped"
has $T/k.html 'id="certify-summary"' && has $T/k.html '&lt;not a real certification&gt;' && ok || ko "summary.json shown, escaped"

# bad input: exit 1 with the place named, the existing output untouched
cp $T/r.html $T/keep.html
expect_rc "malformed review.csv" 1 "review.csv:3:8" $LC report $DB --model $T/ae.lcm --certify tests/data/report/certify-bad -o $T/r.html
cmp -s $T/r.html $T/keep.html && ok || ko "failed report leaves the output unchanged"
ls $T | grep -q tmp && ko "temporary file left behind" || ok
expect_rc "missing store" 1 "no such store" $LC report $T/none.db --model $T/ae.lcm -o $T/x.html
[ ! -e $T/none.db ] && ok || ko "missing store not created"
expect_rc "unknown label source" 1 "nope" $LC report $DB --model $T/ae.lcm --labels nope -o $T/r.html
cmp -s $T/r.html $T/keep.html && ok || ko "output unchanged after unknown label source"
expect_rc "missing model file" 1 "no.lcm" $LC report $DB --model $T/no.lcm -o $T/x.html
expect_rc "missing certify dir" 1 "auto-good.json" $LC report $DB --model $T/ae.lcm --certify $T/nodir -o $T/x.html
expect_rc "unwritable output" 1 "cannot write" $LC report $DB --model $T/ae.lcm -o $T/nodir/x.html
expect_rc "cap out of range" 2 "[0, 1)" $LC report $DB --model $T/ae.lcm --max-loss 1.5 -o $T/x.html
expect_rc "no output" 2 "expected DB -o" $LC report $DB --model $T/ae.lcm
expect_rc "unknown option" 2 "unknown option --frob" $LC report $DB --frob -o $T/x.html
expect_rc "runs without LS" 1 "no LS" $LC report $DB --model $T/ae.lcm --runs 1 -o $T/x.html
[ ! -e $T/x.html ] && ok || ko "no output after failures"
# a store that records no model and no --model
$LC import $T/empty.db data/pixel-2017B/chargeInner_PXLayer_1.csv > /dev/null
expect_rc "no model recorded" 1 "records no model" $LC report $T/empty.db -o $T/x.html

echo "report_cli.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
