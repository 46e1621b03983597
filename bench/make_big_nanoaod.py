#!/usr/bin/env python3
"""make_big_nanoaod.py IN.root OUT.root K — a larger NanoAOD-layout file for benchmarks: the branches that
tests/data/extract/nanoaod.json reads, repeated K times (run, luminosityBlock kept; LS numbers shifted per copy so the
output has K times the LS). Written with uproot (pip install uproot awkward; benchmarks only, never a dependency)."""
import sys

import awkward as ak
import numpy as np
import uproot

src, out, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = uproot.open(src)["Events"]
coll = {"Muon": ["pt", "eta", "phi", "mass"], "Electron": ["pt", "eta", "phi"], "Photon": ["pt", "eta", "phi"],
        "Jet": ["pt", "eta", "phi", "mass"]}
run = t["run"].array(library="np")
ls = t["luminosityBlock"].array(library="np")
data = {"run": np.tile(run, k),
        "luminosityBlock": np.concatenate([ls + np.uint32(100000 * i) for i in range(k)])}
for c, fs in coll.items():
    z = ak.zip({f: t[f"{c}_{f}"].array() for f in fs})
    data[c] = ak.concatenate([z] * k)
for f in ["pt", "phi", "sumEt"]:
    data[f"MET_{f}"] = np.tile(t[f"MET_{f}"].array(library="np"), k)
with uproot.recreate(out, compression=uproot.ZLIB(4)) as o:
    tree = o.mktree("Events", {n: (v.type if isinstance(v, ak.Array) else v.dtype) for n, v in data.items()})
    step = len(run)  # one basket per copy of the input, as a writer flushing every 1000 events would
    for i in range(k):
        tree.extend({n: v[i * step:(i + 1) * step] for n, v in data.items()})
