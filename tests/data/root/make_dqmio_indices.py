#!/usr/bin/env python3
"""Writes tests/data/root/dqmio-indices-only.root with uproot (pip install uproot; run once, the output is committed):
a DQMIO-shaped file with the Indices tree of CMSSW's DQMRootOutputModule (Run, Lumi, ProcessHistoryIndex, BeginTime,
EndTime, Type, FirstIndex, LastIndex, unsigned) and a TH1Fs tree with FullName only: uproot cannot write the TH1F
objects of the Value branch (a TBranchObject), so the file tests the index logic and the missing-branch error."""
import numpy as np, uproot

u32, u64 = np.uint32, np.uint64
rows = [  # run, lumi, type, first, last: run-level TH1Fs, LS 1 TH1Fs 1..2, LS 2 Floats 0..0, LS 3 nothing stored
    (1, 0, 3, 0, 0), (1, 1, 3, 1, 2), (1, 2, 1, 0, 0), (1, 3, 1000, 0, 0)]
with uproot.recreate("tests/data/root/dqmio-indices-only.root") as f:
    f.mktree("Indices", {"Run": u32, "Lumi": u32, "ProcessHistoryIndex": u32, "BeginTime": u64, "EndTime": u64,
                         "Type": u32, "FirstIndex": u64, "LastIndex": u64})
    col = lambda i, t: np.array([r[i] for r in rows], dtype=t)
    zeros = lambda t: np.zeros(len(rows), dtype=t)
    f["Indices"].extend({"Run": col(0, u32), "Lumi": col(1, u32), "ProcessHistoryIndex": zeros(u32),
                         "BeginTime": zeros(u64), "EndTime": zeros(u64), "Type": col(2, u32),
                         "FirstIndex": col(3, u64), "LastIndex": col(4, u64)})
    f.mktree("TH1Fs", {"FullName": "string", "Flags": u32})
    f["TH1Fs"].extend({"FullName": np.array(["A/run", "A/x", "B/y"]), "Flags": np.zeros(3, dtype=u32)})
