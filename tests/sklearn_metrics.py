#!/usr/bin/env python3
"""Compares lc_metrics_compute (through `test_metrics FILE`, path given as argv[1]) with scikit-learn on seeded random
score sets: continuous, heavily tied (rounded) and imbalanced. Prints "N passed, M failed"; exit 1 on any failure."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

TOL = 1e-12
LEVELS = (0.8, 0.9, 0.95, 0.99)


def prec_at_recall(y, s, r):
    """Best precision among the points of sklearn's precision-recall curve whose recall is >= r."""
    p, rec, _ = precision_recall_curve(y, s)
    return float(np.max(p[rec >= r]))


def cases():
    """Yields (name, scores, labels): seeded, covering ties, imbalance and tiny sets."""
    rng = np.random.default_rng(20240611)
    for i in range(12):
        n = int(rng.integers(20, 3000))
        frac = [0.5, 0.1, 0.02, 0.9][i % 4]
        y = (rng.random(n) < frac).astype(int)
        y[0], y[1] = 1, 0  # both classes present
        s = rng.normal(size=n) + 1.2 * y
        yield f"normal n={n} bad={frac}", s, y
        yield f"rounded1 n={n} bad={frac}", np.round(s, 1), y  # heavy ties
        yield f"rounded0 n={n} bad={frac}", np.round(s), y  # very heavy ties
    for i in range(6):
        n = int(rng.integers(2, 12))
        y = rng.integers(0, 2, size=n)
        y[0], y[-1] = 1, 0
        yield f"tiny n={n}", rng.integers(0, 3, size=n).astype(float), y
    n = 5000
    y = (rng.random(n) < 0.003).astype(int)
    y[:2] = 1
    yield "rare bad n=5000", rng.exponential(size=n) * (1 + 3 * y), y
    yield "scaled 1e-8", rng.random(200) * 1e-8, np.r_[np.ones(20, int), np.zeros(180, int)]


def main():
    if len(sys.argv) != 2:
        print("usage: sklearn_metrics.py path/to/test_metrics", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    binary = sys.argv[1]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k, (name, s, y) in enumerate(cases()):
            path = os.path.join(tmp, f"case{k}.csv")
            with open(path, "w") as f:
                for a, b in zip(s, y):
                    f.write(f"{float(a)!r},{int(b)}\n")
            got = subprocess.run([binary, path], capture_output=True, text=True)
            if got.returncode != 0:
                print(f"FAIL {name}: exit {got.returncode}: {got.stderr.strip()}")
                failed += 1
                continue
            c = json.loads(got.stdout)
            want = {"auc": roc_auc_score(y, s), "ap": average_precision_score(y, s)}
            for r, key in zip(LEVELS, ("p80", "p90", "p95", "p99")):
                want[key] = prec_at_recall(y, s, r)
            bad = [f"{key}: lumicert {c[key]!r} sklearn {v!r}" for key, v in want.items() if abs(c[key] - v) > TOL]
            if bad:
                print(f"FAIL {name}: " + "; ".join(bad))
                failed += 1
            else:
                passed += 1
    print(f"sklearn_metrics: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
