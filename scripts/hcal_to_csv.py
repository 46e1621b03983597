#!/usr/bin/env python3
"""hcal_to_csv.py — converts the HCAL DQM occupancy maps of HCALDQM/ML4DQM (HDF5: datasets [LS, 72 iphi, 84 ieta])
into the ML4DQM CSV long layout that `lumicert import` reads (dev-only: needs h5py, `pip install h5py`).

Each dataset becomes one 2D ME named after it; x = iphi index (72 bins on [0, 72]), y = ieta index (84 bins on
[0, 84]); cells in ROOT global order ix + (nx+2)*iy with zero under/overflow cells (the file has none). The HDF5 file
carries no run or LS numbers: the rows get run --run (default 1) and LS 1..N in dataset order.

usage: scripts/hcal_to_csv.py HDF5 OUT.csv [--run N] [--datasets NAME,NAME...]
"""
import argparse
import csv
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("hdf5")
    ap.add_argument("out")
    ap.add_argument("--run", type=int, default=1)
    ap.add_argument("--datasets", default="", help="comma-separated dataset names (default: all)")
    a = ap.parse_args()
    try:
        import h5py
        import numpy as np
    except ImportError as e:
        sys.exit(f"hcal_to_csv.py: {e} (pip install h5py)")
    with h5py.File(a.hdf5, "r") as f:
        names = a.datasets.split(",") if a.datasets else list(f.keys())
        with open(a.out, "w", newline="") as out:
            w = csv.writer(out)
            w.writerow(["fromrun", "fromlumi", "hname", "metype", "histo", "entries", "Xmax", "Xmin", "Xbins",
                        "Ymax", "Ymin", "Ybins"])
            for name in names:
                if name not in f:
                    sys.exit(f"hcal_to_csv.py: {a.hdf5}: no dataset '{name}' (have: {', '.join(f.keys())})")
                d = np.asarray(f[name], dtype=np.float64)
                if d.ndim != 3:
                    sys.exit(f"hcal_to_csv.py: {a.hdf5}: dataset '{name}' has shape {d.shape}, expected [LS, iphi, ieta]")
                nls, nphi, neta = d.shape
                for ls in range(nls):
                    cells = np.zeros((neta + 2, nphi + 2))  # [iy, ix] with x = iphi, y = ieta
                    cells[1:-1, 1:-1] = d[ls].T
                    flat = cells.reshape(-1)
                    histo = "[" + ", ".join(repr(float(v)) if v != int(v) else str(int(v)) for v in flat) + "]"
                    w.writerow([a.run, ls + 1, name, 6, histo, repr(float(flat.sum())), nphi, 0, nphi, neta, 0, neta])


if __name__ == "__main__":
    main()
