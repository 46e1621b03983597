#!/usr/bin/env python3
"""extract_compare.py GOT.csv WANT.csv [REL_TOL] — the two per-LS feature tables have the same header, the same LS
in the same order and values equal to REL_TOL (default 1e-9; absolute 1e-9 near zero; NaN equals NaN).
Prints the first differences and exits 1 when they differ. Standard library only."""
import csv
import math
import sys


def main():
    got, want = (list(csv.reader(open(p))) for p in sys.argv[1:3])
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-9
    if got[0] != want[0]:
        extra = sorted(set(got[0]) ^ set(want[0]))[:5]
        print(f"header differs ({len(got[0])} vs {len(want[0])} columns; e.g. {extra})")
        return 1
    if len(got) != len(want):
        print(f"{len(got) - 1} LS rows, want {len(want) - 1}")
        return 1
    bad = 0
    worst = 0.0
    for r, (g, w) in enumerate(zip(got[1:], want[1:])):
        for c, (a, b) in enumerate(zip(g, w)):
            x, y = float(a), float(b)
            if math.isnan(x) and math.isnan(y):
                continue
            if x == y:
                continue
            if not math.isclose(x, y, rel_tol=tol, abs_tol=1e-9):
                bad += 1
                if bad <= 5:
                    print(f"row {r + 1} (run {g[0]} LS {g[1]}) {got[0][c]}: {a} != {b}")
            else:
                worst = max(worst, abs(x - y) / max(abs(y), 1e-300))
    ncells = (len(got) - 1) * len(got[0])
    print(f"{ncells} values compared, {bad} differ beyond {tol:g}; largest relative difference within: {worst:.3g}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
