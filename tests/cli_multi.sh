#!/bin/sh
# Command-line tests of models over several MEs (issue 6): multiae on the real 2D DQMIO MEs, ensemble on the real HCAL
# maps, multihead with --channel patterns on a small synthetic store (anomalies in one channel at a time): score:<part>
# columns, explain naming the channel then its bins, evaluate --channels, reproducibility, and bad inputs (exit 1 or 2,
# a message naming what is wrong, nothing written or changed). Prints "N passed, M failed".
cd "$(dirname "$0")/.." || exit 1
LC=${LC:-bin/lumicert}
T=$(mktemp -d /tmp/lc-multi.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { d=$1; shift; if "$@" > "$T/out" 2> "$T/err"; then ok; else ko "$d"; sed 's/^/    /' "$T/err" | head -5; fi; }
expect_rc() { # expect_rc DESCRIPTION RC FRAGMENT COMMAND...
	d=$1; want=$2; frag=$3; shift 3
	"$@" > "$T/out" 2> "$T/err"; rc=$?
	if [ $rc -eq $want ] && grep -qF -- "$frag" "$T/err"; then ok; else ko "$d (exit $rc, wanted $want and '$frag')"; sed 's/^/    /' "$T/err" | head -3; fi
}
dump() { sqlite3 "$1" .dump | md5sum; }

# ---- multiae on the real 2D MEs of DQMIO 2023C (run 367129, LS 1-5)
D=tests/data/dqmio-2023C
DB=$T/d.db
check "import 2D MEs" $LC import $DB $D/*zphi*.csv $D/*xy*.csv
check "train multiae with globs" $LC train $DB -o $T/mae.lcm --me '*zphi*' --me '*xy_ontrack*' --min-entries 1
grep -q "(multiae) on 4 LS (1 held out" "$T/out" && ok || ko "multiae trained on 4 + 1 LS: $(cat $T/out)"
check "score multiae" $LC score $DB $T/mae.lcm -o $T/mae.csv
head -1 $T/mae.csv | grep -q "^run,lumi,score,flagged,entries,score:PixelPhase1_Tracks_PXBarrel_clusterposition_zphi_ontrack_PXLayer_1,score:PixelPhase1_Tracks_PXForward_clusterposition_xy_ontrack_PXDisk_+1$" \
	&& ok || ko "score:<ME> columns: $(head -1 $T/mae.csv)"
[ "$(wc -l < $T/mae.csv)" = 6 ] && ok || ko "5 LS scored"
awk -F, 'NR > 1 { d = $3 - $6 - $7; if (d < 0) d = -d; if (d > 1e-6 * $3) bad = 1 } END { exit bad }' $T/mae.csv && ok || ko "ME shares add up to the score"
check "model show" $LC model show $T/mae.lcm
grep -q '"kind": "multiae"' "$T/out" && grep -q '"parts"' "$T/out" && ok || ko "header names kind and parts"
check "explain multiae" $LC explain $DB $T/mae.lcm 367129:5 --top 3
grep -q "most visible in ME 'PixelPhase1_Tracks_PX" "$T/out" && [ "$(grep -c '^PixelPhase1' $T/out)" = 3 ] && ok || ko "explain names the ME then 3 bins"

# ---- ensemble on the real HCAL depth maps (converted from HDF5)
H=$T/h.db
check "import HCAL maps" $LC import $H tests/data/hcal-2017/hcal-digi-depth1-2.csv
check "train ensemble" $LC train $H -o $T/ens.lcm --kind ensemble --me 'DigiTask_*' --rebin 4,6 --val-frac 0.4
check "score ensemble" $LC score $H $T/ens.lcm -o $T/ens.csv
head -1 $T/ens.csv | grep -q ",score:DigiTask_Occupancy_depth_depth1,score:DigiTask_Occupancy_depth_depth2$" && ok || ko "ensemble columns"
awk -F, 'NR > 1 && ($3 < 0 || $6 < 0 || $7 < 0) { bad = 1 } END { exit bad }' $T/ens.csv && ok || ko "-log10 p-values are >= 0"

# ---- multihead on a synthetic store: muons_pt, muons_eta, jets_pt; every 4th LS bad, in the muons or the jets
python3 - "$T/syn.csv" <<'PY'
import math, random, sys
random.seed(4)
rows = []
with open(sys.argv[1], "w") as f:
    f.write("run,lumi,hname,xmin,xmax,xbins,global,sub_muons,sub_jets,histo\n")
    for i in range(240):
        run, ls = 1000 + i // 60, 1 + i % 60
        bad = i % 4 == 0; mu = bad and (i // 4) % 2 == 0; jet = bad and not mu
        a = [int(400 * math.exp(-0.5 * ((k - (7.5 if mu else 4.0)) / 2.0) ** 2) * random.uniform(0.9, 1.1)) for k in range(12)]
        b = [int(300 * random.uniform(0.9, 1.1)) for k in range(8)]
        c = [int((200 - 15 * k) * random.uniform(0.9, 1.1)) + (400 if jet and k == 6 else 0) for k in range(10)]
        lab = f"{0 if bad else 1},{0 if mu else 1},{0 if jet else 1}"
        for name, h in (("muons_pt", a), ("muons_eta", b), ("jets_pt", c)):
            f.write(f'{run},{ls},{name},0,{len(h)},{len(h)},{lab},"[{", ".join(map(str, h))}]"\n')
PY
S=$T/s.db
check "import synthetic" $LC import $S $T/syn.csv --label-columns global,sub_muons,sub_jets
MH="--kind multihead --channel muons=muons_* --channel jets=jets_pt --label global --hidden 8:tanh --epochs 60 --batch 32 --lr 1e-2 --quiet"
check "train multihead with channels" $LC train $S -o $T/mh.lcm $MH
grep -q "2 parts: muons jets" "$T/out" && ok || ko "channels muons, jets: $(cat $T/out)"
check "score multihead" $LC score $S $T/mh.lcm -o $T/mh.csv
head -1 $T/mh.csv | grep -q "^run,lumi,score,flagged,entries,score:muons,score:jets$" && ok || ko "score:<channel> columns"
# LS 1000:1 has the muon anomaly, 1000:5 the jet one
check "explain a muon anomaly" $LC explain $S $T/mh.lcm 1000:1 --top 4
grep -q "most visible in channel 'muons'" "$T/out" && grep -q "^muons_pt" "$T/out" && ok || ko "explain names channel muons, then muons_pt bins"
check "explain --json a jet anomaly" $LC explain $S $T/mh.lcm 1000:5 --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["channel"] == "jets" and j["bins"][0]["me"] == "jets_pt" and len(j["bins"]) == 10 else 1)' $T/out && ok || ko "JSON names channel jets and its bins"
check "evaluate --channels" $LC evaluate $T/mh.csv --channels --labels $S --source sub_muons,sub_jets --json
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
a, ex = j["auc"], j["exclusive"]
ok = a[0][0] > 0.9 and a[1][1] > 0.9 and ex[0]["n"] == 30 and ex[1]["n"] == 30 and ex[0]["caught"][0] >= 0.9 and ex[1]["caught"][1] >= 0.9
sys.exit(0 if ok else 1)' $T/out && ok || ko "channel x subsystem AUC and exclusive catches: $(cat $T/out)"
check "evaluate --channels text" $LC evaluate $T/mh.csv --channels --labels $S --source sub_muons --source sub_jets
grep -q "exclusive anomalies" "$T/out" && ok || ko "text output"
check "evaluate global" $LC evaluate $T/mh.csv --labels $S --source global
for c in logistic min; do
	check "train --comb $c" $LC train $S -o $T/mh-$c.lcm $MH --comb $c
done
check "train --inputs sqerr" $LC train $S -o $T/mh-sq.lcm $MH --inputs sqerr
check "score --inputs sqerr model" $LC score $S $T/mh-sq.lcm -o $T/mh-sq.csv
# same seed and threads: the same model, hence the same scores
check "train again" $LC train $S -o $T/mh2.lcm $MH
check "score again" $LC score $S $T/mh2.lcm -o $T/mh2.csv
cmp -s $T/mh.csv $T/mh2.csv && ok || ko "same seed: identical scores"
check "train --threads 2" $LC train $S -o $T/mh3.lcm $MH --threads 2
check "score" $LC score $S $T/mh3.lcm -o $T/mh3.csv
cmp -s $T/mh.csv $T/mh3.csv && ok || ko "channels dealt to threads: the same scores for 1 and 2 threads"
# a single ME: the one-ME path is untouched
check "single-ME train still works" $LC train $S -o $T/one.lcm --me jets_pt --good global
check "single-ME score" $LC score $S $T/one.lcm -o $T/one.csv
head -1 $T/one.csv | grep -q "^run,lumi,score,flagged,entries$" && ok || ko "single-ME CSV unchanged"

# ---- bad inputs: exit 1 (or 2 for usage) with a message; nothing written, store unchanged
before=$(dump $S)
expect_rc "channel without =" 2 "expected NAME=PATTERN" $LC train $S -o $T/x.lcm --kind multihead --channel muons --label global
expect_rc "unknown combination" 2 "--comb must be" $LC train $S -o $T/x.lcm $MH --comb product
expect_rc "unknown inputs" 2 "--inputs must be" $LC train $S -o $T/x.lcm $MH --inputs raw
expect_rc "pattern matching no ME" 1 "channel 'photons': 'photons_*' matches no ME" $LC train $S -o $T/x.lcm --kind multihead --channel 'photons=photons_*' --label global
expect_rc "multihead without label" 1 "give --label SOURCE" $LC train $S -o $T/x.lcm --kind multihead --me muons_pt --me jets_pt
expect_rc "unknown kind" 1 "expected ae (one ME), multiae, ensemble or multihead" $LC train $S -o $T/x.lcm --kind forest --me muons_pt --me jets_pt
expect_rc "ME in two channels" 1 "is in channels 'a' and 'b'" $LC train $S -o $T/x.lcm --kind multihead --channel a=muons_pt --channel 'b=muons_*' --label global
expect_rc "unknown label source" 1 "nolabel" $LC train $S -o $T/x.lcm --kind multihead --channel a=muons_pt --label nolabel
expect_rc "unknown ME" 1 "muons_phi" $LC train $S -o $T/x.lcm --me muons_phi --me jets_pt
expect_rc "--hidden auto for multihead" 1 "--hidden auto is for autoencoders" $LC train $S -o $T/x.lcm $MH --hidden auto
expect_rc "ensemble without held-out LS" 1 "--val-frac must be > 0" $LC train $S -o $T/x.lcm --kind ensemble --me 'muons_*' --val-frac 0
expect_rc "channel for an autoencoder" 1 "--channel is for --kind multihead" $LC train $S -o $T/x.lcm --kind multiae --channel a=muons_pt
[ ! -e $T/x.lcm ] && ok || ko "no model file after failures"
[ "$(dump $S)" = "$before" ] && ok || ko "store unchanged by failed trainings"
expect_rc "evaluate --channels on one-ME scores" 1 "no score:<channel> columns" $LC evaluate $T/one.csv --channels --labels $S --source sub_jets
expect_rc "evaluate --channels unknown source" 1 "sub_photons" $LC evaluate $T/mh.csv --channels --labels $S --source sub_muons,sub_photons
sed '3s/,[^,]*$/,abc/' $T/mh.csv > $T/badscore.csv
expect_rc "evaluate --channels bad value" 1 "badscore.csv:3: column 7: expected a score, found 'abc'" $LC evaluate $T/badscore.csv --channels --labels $S --source sub_jets
expect_rc "evaluate --channels without sources" 2 "expected SCORES.csv --channels" $LC evaluate $T/mh.csv --channels --labels $S
head -c 2000 $T/mh.lcm > $T/cut.lcm
expect_rc "truncated model" 1 "cut.lcm" $LC score $S $T/cut.lcm -o $T/cut.csv
size=$(wc -c < $T/mh.lcm)
head -c $((size - 9)) $T/mh.lcm > $T/short.lcm
expect_rc "model missing its last bytes" 1 "truncated" $LC score $S $T/short.lcm -o $T/short.csv
[ ! -e $T/cut.csv ] && [ ! -e $T/short.csv ] && ok || ko "no scores written from a damaged model"
expect_rc "explain an LS not in the store" 1 "in none of the model's 3 MEs" $LC explain $S $T/mh.lcm 5000:1
expect_rc "score a store without the MEs" 1 "muons_eta" $LC score $DB $T/mh.lcm -o $T/none.csv
expect_rc "report of a model over several MEs" 1 "spans several MEs" $LC report $S --model $T/mh.lcm -o $T/r.html
[ ! -e $T/r.html ] && ok || ko "no report written"
[ "$(dump $S)" = "$before" ] && ok || ko "store unchanged"

echo "cli_multi.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
