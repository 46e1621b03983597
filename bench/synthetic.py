#!/usr/bin/python3
"""Synthetic anomalies injected into real good LS, to check that a model detects more than the one benchmark.
Takes the good (y = 1) LS of the held-out runs 297056 and 297675 of the real pixel data, and writes a wide ML4DQM CSV
of new runs: run 1xxxxxx = the clean LS (label inj = 1), 2xxxxxx dead bins (1-3 random bins set to 0), 3xxxxxx gain
shift (charge axis scaled by 0.8-0.85 or 1.15-1.2, counts moved to the new bins), 4xxxxxx noisy bin (one bin gains
0.5-2% of the LS's entries), 5xxxxxx a low-charge shoulder (3% of the entries spread over bins 1-15).
Then imports it into a copy of a store, scores it with the given models and prints the ROC AUC of each anomaly type
against the clean copies (lumicert evaluate).
Usage: synthetic.py LUMICERT STORE MODEL... (seeded; numpy only)"""
import csv, os, shutil, subprocess, sys, tempfile
import numpy as np

lc, store, models = sys.argv[1], sys.argv[2], sys.argv[3:]
src = os.path.join(os.path.dirname(__file__), '..', 'data', 'pixel-2017B', 'chargeInner_PXLayer_1.csv')
rows = [r for r in csv.DictReader(open(src)) if r['run'] in ('297056', '297675') and r['y'] == '1']
bins = [f'bin_{i}' for i in range(102)]
rng = np.random.default_rng(12345)
tmp = tempfile.mkdtemp()
out = os.path.join(tmp, 'synthetic.csv')
kinds = {2: 'dead bins', 3: 'gain shift', 4: 'noisy bin', 5: 'low-charge shoulder'}
with open(out, 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['run', 'lumi', 'hname', 'metype', 'entries', 'xmax', 'xmin', 'xbins', 'ymax', 'ymin', 'ybins'] + bins + ['inj'])
    for k, r in enumerate(rows):
        h = np.array([float(r[b]) for b in bins])
        base = int(r['run']) % 1000
        for kind in (1, 2, 3, 4, 5):
            g = h.copy(); inner = g[1:101]
            if kind == 2:
                inner[rng.integers(0, 100, size=rng.integers(1, 4))] = 0
            elif kind == 3:
                s = rng.choice([0.8, 0.85, 1.15, 1.2]); new = np.zeros(100)
                np.add.at(new, np.clip(((np.arange(100) + 0.5) * s).astype(int), 0, 99), inner); inner[:] = new
            elif kind == 4:
                inner[rng.integers(0, 100)] += round(inner.sum() * rng.uniform(0.005, 0.02))
            elif kind == 5:
                inner[0:15] += np.round(inner.sum() * 0.03 / 15)
            g[1:101] = inner
            w.writerow([kind * 1000000 + base * 1000 + k // 1000, k % 1000 + 1, r['hname'], r['metype'], int(g.sum()),
                        r['xmax'], r['xmin'], r['xbins'], r['ymax'], r['ymin'], r['ybins']] + [int(x) for x in g] + [int(kind == 1)])
db = os.path.join(tmp, 'syn.db')
shutil.copy(store, db)
subprocess.run([lc, 'import', db, out, '--label-columns', 'inj'], check=True, stdout=subprocess.DEVNULL)
for m in models:
    sc = os.path.join(tmp, 'scores.csv')
    subprocess.run([lc, 'score', db, m, '-o', sc, '--runs', '1000000-5999999'], check=True, stdout=subprocess.DEVNULL)
    res = []
    for kind, name in kinds.items():
        runs = f'1000000-1999999,{kind}000000-{kind}999999'
        j = subprocess.run([lc, 'evaluate', sc, '--labels', db, '--source', 'inj', '--runs', runs, '--json'],
                           check=True, capture_output=True, text=True).stdout
        import json
        res.append(f"{name} {json.loads(j)['auc']:.3f}")
    print(f'{os.path.basename(m)}: ROC AUC vs clean LS ({len(rows)} each): ' + ', '.join(res))
shutil.rmtree(tmp)
