#!/usr/bin/env python3
"""multi_data.py — the data of bench/multi.sh: four MEs per LS built on real good LS, with anomalies injected.

Base LS: the 2788 LS of data/pixel-2017B labelled good (y = 1), each with its real pixel cluster charge histogram
(chargeInner_PXLayer_1, 100 bins + flow). Each LS also gets three real HCAL occupancy maps (72 iphi x 84 ieta, from
../shared/data/hcal-2017, datasets DigiTask depth1, DigiTask depth2, RecHitTask depth4): the map of one of the file's
10 real LS (LS index mod 10, the same for the three maps of an LS), resampled with Poisson noise at a luminosity factor
u ~ U(0.8, 1.2) — the file has only 10 LS, so this is how thousands of LS with real HCAL shapes are made.

--mode single: 20% of the LS get one anomaly, in one ME in turn (pixel: charge scaled down by s ~ U(0.7, 0.85), as
  when the bias voltage is low; HCAL: a 12 x 12 tower block dead (x 0) or hot (x 2) in one map).
--mode thin: 20% of the LS get a weak anomaly in all four MEs at once (pixel s ~ U(1 - 2a, 1 - a); in every HCAL map
  the same 12 x 12 block x (1 - 2a) or (1 + 2a)), a = --strength (default 0.02).

Split: LS in blocks of 20 per run, even blocks train, odd blocks test. Label columns: global; train_global and
train_good (train LS only; train_good only on good LS); test_global; test_sub_<ME> (test LS, bad iff the anomaly is
in that ME). ML4DQM long CSV on stdout-like --out, for `lumicert import --label-columns ...`.
usage: multi_data.py --mode single|thin --out FILE.csv [--seed N] [--strength A] [--shared DIR]"""
import argparse
import csv

import numpy as np

CH = ["chargeInner_PXLayer_1", "hcal_DigiTask_depth1", "hcal_DigiTask_depth2", "hcal_RecHitTask_depth4"]
HDS = ["DigiTask_Occupancy_depth_depth1", "DigiTask_Occupancy_depth_depth2", "RecHitTask_Occupancy_depth_depth4"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["single", "thin"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--strength", type=float, default=0.02)
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--pixel", default="data/pixel-2017B/chargeInner_PXLayer_1.csv")
    a = ap.parse_args()
    import h5py
    rng = np.random.default_rng(a.seed)
    with h5py.File(f"{a.shared}/data/hcal-2017/HCAL_digi+rechit_occ.hdf5", "r") as f:
        maps = [np.asarray(f[d], dtype=np.float64) for d in HDS]  # each [10, 72, 84]
    pix = []
    with open(a.pixel) as f:
        for row in csv.DictReader(f):
            if int(float(row["y"])) == 1:
                pix.append((int(row["run"]), int(row["lumi"]), np.array([float(row[f"bin_{k}"]) for k in range(102)])))
    n = len(pix)
    bad = np.zeros(n, bool)
    bad[rng.permutation(n)[: n // 5]] = True
    which = np.full(n, -1)
    k = 0
    for i in range(n):
        if bad[i]:
            which[i] = k % 4 if a.mode == "single" else 4  # 4: all MEs
            k += 1
    header = ["fromrun", "fromlumi", "hname", "metype", "histo", "entries", "Xmax", "Xmin", "Xbins", "Ymax", "Ymin",
              "Ybins", "global", "train_global", "train_good", "test_global"] + [f"test_sub_{c}" for c in CH]
    with open(a.out, "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(header)
        for i, (run, ls, cells) in enumerate(pix):
            train = (ls // 20) % 2 == 0
            g = "0" if bad[i] else "1"
            labs = [g, g if train else "", "1" if train and not bad[i] else "", "" if train else g]
            labs += ["" if train else ("0" if which[i] in (c, 4) else "1") for c in range(4)]
            # pixel: the real histogram, charge scaled down for an anomaly
            h = cells.copy()
            if which[i] in (0, 4):
                s = rng.uniform(0.7, 0.85) if a.mode == "single" else rng.uniform(1 - 2 * a.strength, 1 - a.strength)
                # bin j [j, j+1) moves to [j s, (j+1) s): its content is shared by overlap, then rounded
                reg, new = h[1:101], np.zeros(100)
                for j in range(100):
                    lo, hi = j * s, (j + 1) * s
                    for t in range(int(lo), min(int(np.ceil(hi)), 100)):
                        new[t] += reg[j] * (min(hi, t + 1) - max(lo, t)) / s
                h[1:101] = np.round(new)
            w.writerow([run, ls, CH[0], 3, "[" + ", ".join(str(int(v)) for v in h) + "]", int(h.sum()), 80000, 0, 100,
                        1, 0, 1] + labs)
            base, u = i % 10, rng.uniform(0.8, 1.2)
            ip, ie, fac = None, None, None
            if which[i] >= 1:
                # the block is centred on a tower that is filled in the map(s) it goes into
                live = maps[which[i] - 1][base] > 0 if which[i] <= 3 else np.all([mp[base] > 0 for mp in maps], 0)
                nz = np.argwhere(live)
                cphi, ceta = nz[rng.integers(len(nz))]
                ip, ie = int(min(max(cphi - 6, 0), 60)), int(min(max(ceta - 6, 0), 72))
                hot = rng.random() < 0.5
                fac = (2.0 if hot else 0.0) if a.mode == "single" else (1 + 2 * a.strength if hot else 1 - 2 * a.strength)
            for m in range(3):
                lam = maps[m][base] * u
                if which[i] == m + 1 or which[i] == 4:
                    lam = lam.copy()
                    lam[ip:ip + 12, ie:ie + 12] *= fac
                occ = rng.poisson(lam)
                full = np.zeros((86, 74), dtype=np.int64)  # [iy = ieta, ix = iphi] with flow cells
                full[1:-1, 1:-1] = occ.T
                flat = full.reshape(-1)
                w.writerow([run, ls, CH[m + 1], 6, "[" + ", ".join(map(str, flat.tolist())) + "]", int(flat.sum()), 72,
                            0, 72, 84, 0, 84] + labs)


if __name__ == "__main__":
    main()
