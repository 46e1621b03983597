#!/usr/bin/python3
"""Peer of `lumicert report` for bench/report.sh: what people do today, the same plots drawn with matplotlib from
lumicert's scores.csv (run,lumi,score,flagged,entries) and the labels in the store, written as one HTML page with
inline SVG: per run the score against LS number with the threshold and states, the run table, score distributions
of good and bad LS, ROC, pollution/loss against the threshold. It draws no per-LS histograms (scores.csv has no
reconstructions), so it does less than lumicert report.
Usage: report_peer.py SCORES.csv DB LABEL_SOURCE THRESHOLD OUT.html"""
import io, sqlite3, sys
import numpy as np
import matplotlib
matplotlib.use('svg')
import matplotlib.pyplot as plt

scores_csv, db, source, thr, out = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
d = np.genfromtxt(scores_csv, delimiter=',', names=True, dtype=None, encoding=None, missing_values='',
                  filling_values=np.nan)
run, ls, score = d['run'].astype(np.int64), d['lumi'].astype(np.int64), d['score'].astype(float)
lab = {}
con = sqlite3.connect(db)
for r, l, g in con.execute('SELECT l.run, l.ls, l.good FROM label l JOIN label_source s ON s.id = l.source_id '
                           'WHERE s.name = ?', (source,)):
    lab[(r, l)] = g
y = np.array([lab.get((int(r), int(l)), -1) for r, l in zip(run, ls)])
ev = ~np.isnan(score)
state = np.where(~ev, 3, np.where(score > thr, 2, 0))
colours = {0: '#1a9850', 2: '#d7301f', 3: '#999999'}
ylo, yhi = 10 ** np.floor(np.log10(np.nanmin(score))), 10 ** np.ceil(np.log10(np.nanmax(score)))


def svg(fig):
    buf = io.StringIO()
    fig.savefig(buf, format='svg')
    plt.close(fig)
    s = buf.getvalue()
    return s[s.index('<svg'):]


parts = ['<!DOCTYPE html><html><head><meta charset="utf-8"><title>peer report</title></head><body>']
runs = np.unique(run)
parts.append('<table><tr><th>run</th><th>LS</th><th>good</th><th>flagged</th><th>not evaluable</th></tr>')
for r in runs:
    m = run == r
    parts.append(f'<tr><td>{r}</td><td>{m.sum()}</td><td>{(state[m] == 0).sum()}</td><td>{(state[m] == 2).sum()}</td>'
                 f'<td>{(state[m] == 3).sum()}</td></tr>')
parts.append('</table>')
for r in runs:
    m = run == r
    fig, ax = plt.subplots(figsize=(10.4, 2.1))
    for s, c in colours.items():
        k = m & (state == s)
        if k.any():
            ax.scatter(ls[k], np.where(ev[k], score[k], ylo), s=6, c=c)
    ax.axhline(thr, ls='--', c='k')
    ax.set_yscale('log'); ax.set_ylim(ylo, yhi)
    ax.set_xlabel('LS number (one LS = 23.3 s)'); ax.set_ylabel('score (MSE)'); ax.set_title(f'run {r}')
    parts.append(svg(fig))
k = ev & (y >= 0)
s, bad = score[k], y[k] == 0
fig, axs = plt.subplots(1, 3, figsize=(15, 3.5))
bins = np.logspace(np.log10(ylo), np.log10(yhi), 41)
axs[0].hist(s[~bad], bins, histtype='step', density=False, weights=np.full((~bad).sum(), 1 / max((~bad).sum(), 1)),
            color='#1a9850', label='good')
axs[0].hist(s[bad], bins, histtype='step', weights=np.full(bad.sum(), 1 / max(bad.sum(), 1)), color='#d7301f',
            label='bad')
axs[0].set_xscale('log'); axs[0].axvline(thr, ls='--', c='k'); axs[0].legend()
axs[0].set_xlabel('score (log scale)'); axs[0].set_ylabel("fraction of the class's LS per bin")
o = np.argsort(s, kind='stable'); ss, bb = s[o], bad[o]
nb, ng = bb.sum(), (~bb).sum()
cb = np.concatenate([[0], np.cumsum(bb)])
kk = np.arange(len(ss) + 1)
tpr, fpr = (nb - cb) / nb, ((len(ss) - kk) - (nb - cb)) / ng
axs[1].plot(fpr, tpr); axs[1].plot([0, 1], [0, 1], ':', c='#bbb')
axs[1].set_xlabel('false-positive rate'); axs[1].set_ylabel('true-positive rate')
pol = np.where(kk > 0, cb / np.maximum(kk, 1), 0) * 100
los = (ng - (kk - cb)) / ng * 100
axs[2].plot(ss, pol[1:], c='#d7301f', label='pollution'); axs[2].plot(ss, los[1:], c='#1a9850', label='loss')
axs[2].set_xscale('log'); axs[2].axvline(thr, ls='--', c='k'); axs[2].legend()
axs[2].set_xlabel('threshold on the score (log scale)'); axs[2].set_ylabel('rate (%)')
parts.append(svg(fig))
parts.append('</body></html>')
with open(out, 'w') as f:
    f.write('\n'.join(parts))
