#!/usr/bin/env python3
"""root_uproot_check.py — dev cross-check (not run by make check): every column `lumicert root ls` says it can read,
in every ROOT file given (default: all of ../shared/data/root), dumped by lumicert and compared whole with uproot's
arrays (pip install uproot awkward; skipped when uproot is missing). Prints per-file mismatches and a summary."""
import glob, json, math, os, re, subprocess, sys

try:
    import uproot, numpy as np
except ImportError:
    print("root_uproot_check.py: uproot missing, skipped (0 passed, 0 failed)")
    sys.exit(0)

LC = os.environ.get("LC", "bin/lumicert")
files = sys.argv[1:] or sorted(glob.glob("../shared/data/root/**/*.root", recursive=True))
npass = nfail = nskip = 0


def tolist(x):
    if hasattr(x, "tolist"):
        return x.tolist()
    return x


def same(a, b):
    if isinstance(b, (list, tuple)):
        return isinstance(a, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(b, bytes):
        b = b.decode("utf-8", "replace")
    if isinstance(b, float) or isinstance(a, float):
        if b is None or a is None:
            return a is None and (b is None or math.isnan(b) or math.isinf(b))
        if math.isnan(b) or math.isinf(b):
            return a is None  # JSON has no inf/nan: lumicert prints null
        return float(a) == float(b) or abs(float(a) - float(b)) <= 1e-7 * abs(float(b))
    return a == b


for path in files:
    p = subprocess.run([LC, "root", "ls", path], capture_output=True, text=True)
    if p.returncode:
        print(f"{path}: ls failed: {p.stderr.strip()[:200]}")
        continue
    # tree lines: "<indent>TTree name;cycle ...", branch lines below, indented further
    dirs = []
    tree = None
    cols = []
    for line in p.stdout.splitlines():
        ind = len(line) - len(line.lstrip())
        m = re.match(r"\s*(TTree|TNtuple|TNtupleD|TDirectory|TDirectoryFile)\s+(\S+);(\d+)", line)
        if m:
            while dirs and dirs[-1][0] >= ind:
                dirs.pop()
            full = "/".join([d[1] for d in dirs] + [m.group(2)])
            if m.group(1).startswith("TDir"):
                dirs.append((ind, m.group(2)))
                tree = None
            else:
                tree = (ind, full)
            continue
        if tree and ind > tree[0] and not re.match(r"\s*T[A-Z]\w*\s+\S+;\d+", line):
            name, rest = line.split(None, 1)
            if not rest.startswith("(") and not rest.startswith("object") and "/" not in name:
                cols.append((tree[1], name))
    try:
        f = uproot.open(path)
    except Exception as e:
        print(f"{path}: uproot cannot open: {e}")
        continue
    for t, b in cols:
        try:
            if len(f[t][b].branches):  # a master branch: uproot gives records of its members
                nskip += 1
                continue
            want = f[t][b].array(library="np")
            want = [tolist(x) for x in want]
        except Exception:
            nskip += 1
            continue
        d = subprocess.run([LC, "root", "dump", path, t, b], capture_output=True, text=True)
        if d.returncode:
            nfail += 1
            print(f"FAIL {path} {t} {b}: {d.stderr.strip()[:200]}")
            continue
        got = [json.loads(l) for l in d.stdout.splitlines()]
        # fixed-size multi-dimensional arrays: uproot nests them, lumicert flattens
        good = same(got, want)
        if not good:
            try:
                flat = [np.array(w).ravel().tolist() if isinstance(w, list) else w for w in want]
                good = same(got, flat)
            except ValueError:
                pass
        if good:
            npass += 1
        else:
            nfail += 1
            print(f"FAIL {path} {t} {b}: lumicert {str(got[:3])[:150]} uproot {str(want[:3])[:150]} ({len(got)}/{len(want)})")
print(f"root_uproot_check.py: {npass} passed, {nfail} failed, {nskip} not compared (unreadable by uproot or master branches)")
sys.exit(1 if nfail else 0)
