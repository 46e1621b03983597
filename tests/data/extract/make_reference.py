#!/usr/bin/env python3
"""make_reference.py CONFIG OUT.csv FILE... — the per-LS features of `lumicert extract`, computed independently:
branches read with uproot (pip install uproot awkward; a developer tool, not run by `make check`), features in numpy.
Rules (docs/extract.md): per event and channel the particles k = 0, read_each, 2*read_each, ... sorted ascending
by the first branch (stable); with m of them and N quantiles, quantile i is particle i*(m//N) for i < N-1 and m-1
for i = N-1 when m >= N, else particle i for i < m and zeros after; px, py, pz = sums of pt*cos(phi), pt*sin(phi),
pt*sinh(eta) over the same particles (particles with pt 0 add nothing). Per LS: n_events, means of further per_lumisection branches,
<ch>_nonzero = fraction of events with m > 0, and for every per-event feature numpy's mean, std, and percentiles
1, 25, 50, 75, 99 (linear)."""
import json
import sys

import awkward as ak
import numpy as np
import uproot


def feature_name(b):
    if "." in b:
        s = b.rsplit(".", 1)[1]
        while len(s) > 1 and s.endswith("_"):
            s = s[:-1]
        return s
    return b.split("_", 1)[1] if "_" in b and b.split("_", 1)[1] else b


def main():
    cfg_path, out, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    cfg = json.load(open(cfg_path))
    N = cfg.get("quantiles", 5)
    pls = cfg["per_lumisection"]
    chans = cfg["per_event"]
    cols = {}   # per-event column name -> list of arrays (one per file)
    order = ["run", "lumi"] + [feature_name(b) for b in pls[2:]]
    for f in files:
        t = uproot.open(f)[cfg.get("tree", "Events")]
        percol = {}
        percol["run"] = np.asarray(t[pls[0]].array(library="np"), dtype=np.float64)
        percol["lumi"] = np.asarray(t[pls[1]].array(library="np"), dtype=np.float64)
        for b in pls[2:]:
            percol[feature_name(b)] = np.asarray(t[b].array(library="np"), dtype=np.float64)
        nev = len(percol["run"])
        for ch, spec in chans.items():
            brs = spec["branches"]
            feats = [feature_name(b) for b in brs]
            k = spec.get("read_each", 1)
            arrs = []
            for b in brs:
                a = t[b].array()
                if a.ndim == 1:
                    a = ak.singletons(a)
                arrs.append([np.asarray(x, dtype=np.float64)[::k] for x in ak.to_list(a)])
            count = np.zeros(nev)
            q = {(fe, i): np.zeros(nev) for fe in feats for i in range(N)}
            mom = "eta" in feats and "phi" in feats
            P = np.zeros((nev, 3))
            for e in range(nev):
                pt = arrs[0][e]
                m = len(pt)
                count[e] = m
                srt = np.argsort(pt, kind="stable")
                if m >= N:
                    idx = [i * (m // N) for i in range(N - 1)] + [m - 1]
                else:
                    idx = list(range(m)) + [-1] * (N - m)
                for bi, fe in enumerate(feats):
                    v = arrs[bi][e]
                    for i in range(N):
                        q[(fe, i)][e] = 0.0 if idx[i] < 0 else v[srt[idx[i]]]
                if mom:
                    eta, phi = arrs[feats.index("eta")][e], arrs[feats.index("phi")][e]
                    with np.errstate(over="ignore", invalid="ignore"):  # beam particles: pt 0, |eta| huge
                        pz = np.where(pt != 0, pt * np.sinh(eta), 0.0)
                    P[e] = [np.sum(pt * np.cos(phi)), np.sum(pt * np.sin(phi)), np.sum(pz)]
            percol[f"{ch}_count"] = count
            for fe in feats:
                for i in range(N):
                    percol[f"{ch}_{fe}_q{i}"] = q[(fe, i)]
            if mom:
                for j, a in enumerate("xyz"):
                    percol[f"{ch}_p{a}"] = P[:, j]
        for name, v in percol.items():
            cols.setdefault(name, []).append(v)
    ev = {n: np.concatenate(v) for n, v in cols.items()}
    keys = sorted(set(zip(ev["run"].astype(np.int64), ev["lumi"].astype(np.int64))))
    header = ["run", "lumi", "n_events"] + order[2:]
    stats = ["mean", "std", "p1", "p25", "p50", "p75", "p99"]
    chcols = {}
    for ch, spec in chans.items():
        feats = [feature_name(b) for b in spec["branches"]]
        names = [f"{ch}_count"] + [f"{ch}_{fe}_q{i}" for fe in feats for i in range(N)]
        if "eta" in feats and "phi" in feats:
            names += [f"{ch}_px", f"{ch}_py", f"{ch}_pz"]
        chcols[ch] = names
        header += [f"{ch}_nonzero"] + [f"{n}_{s}" for n in names for s in stats]
    with open(out, "w") as o:
        o.write(",".join(header) + "\n")
        for run, ls in keys:
            sel = (ev["run"] == run) & (ev["lumi"] == ls)
            row = [str(run), str(ls), repr(float(sel.sum()))]
            row += [repr(float(np.mean(ev[n][sel]))) for n in order[2:]]
            for ch in chans:
                row.append(repr(float(np.mean(ev[f"{ch}_count"][sel] > 0))))
                for n in chcols[ch]:
                    v = ev[n][sel]
                    row += [repr(float(np.mean(v))), repr(float(np.std(v)))]
                    row += [repr(float(x)) for x in np.percentile(v, [1, 25, 50, 75, 99])]
            o.write(",".join(row) + "\n")


if __name__ == "__main__":
    main()
