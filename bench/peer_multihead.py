#!/usr/bin/env python3
"""peer_multihead.py — the PyTorch peer of bench_multi: the same four-channel network (225 inputs per channel,
150-50-20 relu units and one logit each, fuzzy AND exp(sum(f_i - 1))), the same loss (1 - C) BCE(F) + C mean BCE(f_i)
with C = 0.9^epoch, class-balanced weights, standardised inputs, Adam lr 1e-3, batch 128, on the rows bench_multi
dumped. Prints the training wall time.
usage: peer_multihead.py ROWS.bin N EPOCHS THREADS"""
import sys
import time

import numpy as np
import torch

path, n, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(1)
raw = np.fromfile(path, dtype=np.float32, count=n * 900)
y = np.fromfile(path, dtype=np.int32, offset=n * 900 * 4, count=n)
x = raw.reshape(n, 900)
x = (x - x.mean(0)) / np.where(x.std(0) > 1e-6, x.std(0), 1.0)
X = torch.from_numpy(x.astype(np.float32))
Y = torch.from_numpy(y.astype(np.float32))
ng = float(y.sum())
W = torch.where(Y > 0, n / (2 * ng), n / (2 * (n - ng)))


def head():
    return torch.nn.Sequential(torch.nn.Linear(225, 150), torch.nn.ReLU(), torch.nn.Linear(150, 50), torch.nn.ReLU(),
                               torch.nn.Linear(50, 20), torch.nn.ReLU(), torch.nn.Linear(20, 1))


heads = torch.nn.ModuleList([head() for _ in range(4)])
opt = torch.optim.Adam(heads.parameters(), lr=1e-3)
bce = torch.nn.functional.binary_cross_entropy_with_logits
t0 = time.perf_counter()
for ep in range(epochs):
    C = 0.9 ** ep
    perm = torch.randperm(n)
    for b in range(0, n, 128):
        idx = perm[b:b + 128]
        xb, yb, wb = X[idx], Y[idx], W[idx]
        z = torch.cat([heads[i](xb[:, 225 * i:225 * (i + 1)]) for i in range(4)], 1)
        f = torch.sigmoid(z)
        S = (f - 1).sum(1).clamp(max=-1e-7)
        L = torch.where(yb > 0, -S, -torch.log(-torch.expm1(S)))
        Li = bce(z, yb[:, None].expand_as(z), reduction="none").mean(1)
        loss = (wb * ((1 - C) * L + C * Li)).sum() / wb.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
t = time.perf_counter() - t0
print(f"pytorch multihead: {n} LS, {epochs} epochs, {threads} threads: train_seconds {t:.2f} ({t / epochs:.3f} s/epoch), "
      f"torch {torch.__version__}")
