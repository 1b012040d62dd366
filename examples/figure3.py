#!/usr/bin/env python3
"""The reduced Figure 3 of Basu Roy Chowdhury & Weiner (arXiv 2606.18538) from Python: the optimal gain against p at
d = 10, n = 1000, m = 3, gaussian inputs (superpose.sweep, the same computation as `superpose sweep`), on log-log
axes with the proved tensor-rank upper bound and the first-order limit c_mu F*(d,m) p. Writes figure3.png.

Usage: PYTHONPATH=build/python /usr/bin/python3 examples/figure3.py [--small] [out.png]"""
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

import superpose

small = "--small" in sys.argv
args = [a for a in sys.argv[1:] if a != "--small"]
out = args[0] if args else "figure3.png"
d, n, m = (3, 40, 3) if small else (10, 1000, 3)
rows = superpose.sweep(d=d, n=n, m=m, law="gaussian", points=8 if small else 20, max_evals=250)
rows = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
p = [r["p_value"] for r in rows]
fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(p, [r["gain"] for r in rows], "o-", label="optimal gain (superpose.sweep)")
ax.loglog(p, [r["tensor_rank_upper"] for r in rows], "--", label="tensor-rank upper bound (proved)")
ax.loglog(p, [r["first_order_limit"] for r in rows], ":", label=r"$c_\mu F^*(d,m)\,p$ (first-order limit)")
ax.axvline(d ** -m, color="grey", lw=0.5)
ax.axvline(d ** (1 - m), color="grey", lw=0.5)
ax.set_xlabel("feature probability p")
ax.set_ylabel("gain")
ax.set_title(f"d = {d}, n = {n}, m = {m}, gaussian")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(out, dpi=120)
print(f"wrote {out} ({len(rows)} values of p)")
