#!/usr/bin/python3
"""Peer comparison (issue 3, "Performance"): how the field trains the tied power autoencoder against superpose.

The field's way (Elhage et al. 2022 and successors): Adam on Monte Carlo batches of x = xi*b (b ~ Bernoulli(p),
xi ~ mu), minimising the empirical loss mean ||(W^T W x)^m - x||^2 in PyTorch. superpose's way: the same model's
exact gain (no sampling), either Adam on it (`superpose train`) or multi-start L-BFGS with an MPFR polish
(`superpose optimize`). This script runs all three in one process tree on the same setting and prints the time each
needs to get within REL (default 1e-3) relative of the optimum, and the ratios.

The optimum is superpose's certified optimum (`optimize`, 50 digits). Progress of the PyTorch run is measured with the
exact gain of its current W (a float64 numpy port of the cumulant formula, docs/theory.md section 2, checked against
`superpose loss` at the start); measurement time is excluded from the PyTorch clock.

Usage: bench/peer_torch_adam.py --superpose build/apps/superpose [--d 3 --n 12 --m 3 --law rademacher --p 0.05]
Needs Debian's python3-torch and python3-numpy (apt-get install -y python3-torch python3-numpy).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch


def moments(law, kmax):
    """mu_k = E xi^k for k = 0..kmax (odd moments 0)."""
    mu = [0.0] * (kmax + 1)
    for k in range(0, kmax + 1, 2):
        if law == "rademacher":
            mu[k] = 1.0
        elif law == "gaussian":
            mu[k] = float(np.prod(np.arange(k - 1, 0, -2))) if k > 0 else 1.0
        else:
            raise SystemExit("peer_torch_adam: --law must be rademacher or gaussian")
    return mu


def exact_gain(W, m, mu, p):
    """Exact gain 2C - D of W (d x n) by the cumulant route (float64): docs/theory.md section 2."""
    A = W.T @ W
    n = A.shape[0]
    a = np.diag(A).copy()
    off = A - np.diag(a)
    N = 2 * m
    ex = [1.0] + [p * mu[k] for k in range(1, N + 1)]
    kx = [0.0] * (N + 1)
    for r in range(1, N + 1):
        s = ex[r]
        for k in range(1, r):
            s -= math.comb(r - 1, k - 1) * kx[k] * ex[r - k]
        kx[r] = s
    Q = {r: (off ** r).sum(axis=1) for r in range(2, N + 1, 2)}

    def mom(kap):  # kap: list of arrays, index 1..N
        M = [np.ones(n)] + [None] * N
        for r in range(1, N + 1):
            M[r] = sum(math.comb(r - 1, k - 1) * kap[k] * M[r - k] for k in range(1, r + 1))
        return M

    zero = np.zeros(n)
    kZ = [zero] + [kx[r] * Q[r] if r % 2 == 0 else zero for r in range(1, N + 1)]
    kS = [zero] + [kZ[r] + a ** r * kx[r] for r in range(1, N + 1)]
    MZ, MS = mom(kZ), mom(kS)
    C = sum(math.comb(m, t) * a ** t * ex[t + 1] * MZ[m - t] for t in range(1, m + 1, 2))
    return float((2 * C - MS[N]).sum())


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--superpose", default="build/apps/superpose")
    ap.add_argument("--d", type=int, default=3)
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--m", type=int, default=3)
    ap.add_argument("--law", default="rademacher")
    ap.add_argument("--p", default="0.05")
    ap.add_argument("--rel", type=float, default=1e-3, help="target: gain >= (1 - rel) * optimum")
    ap.add_argument("--batch", type=int, default=8192, help="PyTorch Monte Carlo batch size")
    ap.add_argument("--lr", type=float, default=0.01, help="PyTorch Adam learning rate (cosine decay to 0)")
    ap.add_argument("--steps", type=int, default=20000, help="PyTorch steps (budget)")
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--train-steps", type=int, default=20000, help="superpose train steps (budget)")
    ap.add_argument("--train-lr", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1, help="first seed")
    ap.add_argument("--seeds", type=int, default=3, help="number of seeds (random starts) for each trainer")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (superpose train is single-threaded)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    d, n, m, p = args.d, args.n, args.m, float(args.p)
    mu = moments(args.law, 2 * m)
    common = ["--d", str(d), "--n", str(n), "--m", str(m), "--law", args.law, "--p", args.p]

    # 1. superpose optimize: the certified optimum and its wall time.
    t0 = time.perf_counter()
    opt = run_json([args.superpose, "optimize", *common, "--format", "json", "--quiet"])
    t_opt = time.perf_counter() - t0
    optimum = float(opt["gain"])
    target = (1 - args.rel) * optimum

    # The numpy evaluator must agree with superpose on a random W (same model, same gain).
    Wt = np.random.default_rng(0).normal(0.0, 0.3, size=(d, n))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "W.csv")
        np.savetxt(path, Wt, delimiter=",", fmt="%.17g")
        ref = run_json([args.superpose, "loss", "--weights", path, "--m", str(m), "--law", args.law, "--p", args.p,
                        "--format", "json"])
        mine = exact_gain(Wt, m, mu, p)
        if abs(float(ref["gain"]) - mine) > 1e-9 * abs(float(ref["gain"])):
            raise SystemExit(f"peer_torch_adam: numpy exact gain {mine} != superpose {ref['gain']}")

    # 2./3. For each seed: superpose train (Adam on the exact gain) and PyTorch (Adam on Monte Carlo batches), both
    # from a small random W of the same law (different generators, so not the same W).
    rows = []
    for seed in range(args.seed, args.seed + args.seeds):
        tr = run_json([args.superpose, "train", *common, "--steps", str(args.train_steps), "--lr", str(args.train_lr),
                       "--optimizer", "adam", "--seed", str(seed), "--target-rel", str(args.rel), "--format", "json",
                       "--quiet", "--ref-starts", "1"])
        t_train = tr["seconds_to_target"] if tr["steps_to_target"] >= 0 else None
        t_torch, step_hit, best, clock = torch_run(args, d, n, m, p, mu, target, seed)
        rows.append((seed, t_train, tr["steps_to_target"], tr["best_gain"] / optimum, t_torch, step_hit,
                     best / optimum, clock))

    def fmt(t):
        return "not reached" if t is None else f"{t:.3f} s"

    print(f"setting: d={d} n={n} m={m} law={args.law} p={args.p}; optimum gain {optimum:.12g} "
          f"(gain/p {optimum / p:.9g}, superpose optimize: {t_opt:.3f} s wall incl. process start, "
          f"|grad| {opt['grad_norm']}); target: within {args.rel:g} relative")
    print(f"superpose train: Adam lr {args.train_lr} on gain/p, budget {args.train_steps} steps; PyTorch: "
          f"{torch.get_num_threads()} thread(s), batch {args.batch}, Adam lr {args.lr} cosine over {args.steps} steps")
    print("| seed | superpose train: time to target | steps | best/optimum | PyTorch MC Adam: time to target | steps "
          "| best/optimum | ratio PyTorch/train |")
    print("|---|---|---|---|---|---|---|---|")
    for seed, t_train, s_train, r_train, t_torch, s_torch, r_torch, clock in rows:
        ratio = f"{t_torch / t_train:.0f}" if t_train and t_torch else "-"
        print(f"| {seed} | {fmt(t_train)} | {s_train if s_train >= 0 else '-'} | {r_train:.6f} | {fmt(t_torch)} | "
              f"{s_torch if s_torch is not None else '-'} | {r_torch:.6f} | {ratio} |")
    tt = sorted(r[1] for r in rows if r[1] is not None)
    tp = sorted(r[4] for r in rows if r[4] is not None)
    med = lambda v: v[len(v) // 2] if v else None
    print(f"reached: superpose train {len(tt)}/{len(rows)} seeds (median {fmt(med(tt))}), PyTorch {len(tp)}/{len(rows)} "
          f"(median {fmt(med(tp))}); superpose optimize {t_opt:.3f} s (always, certified)")
    if tt and tp:
        print(f"median ratio PyTorch / superpose train: {med(tp) / med(tt):.0f}; PyTorch / superpose optimize: "
              f"{med(tp) / t_opt:.0f}")


def torch_run(args, d, n, m, p, mu, target, seed):
    """Adam on Monte Carlo batches; returns (seconds to target or None, step, best exact gain, training seconds)."""
    torch.manual_seed(seed)
    a0 = (mu[m + 1] / mu[2 * m]) ** (1.0 / m)
    W = (0.1 * math.sqrt(a0 / d) * torch.randn(d, n, dtype=torch.float32)).requires_grad_(True)
    optim = torch.optim.Adam([W], lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optim, T_max=args.steps)
    clock, best = 0.0, -math.inf
    for step in range(args.steps):
        t1 = time.perf_counter()
        b = (torch.rand(args.batch, n) < p).float()
        if args.law == "gaussian":
            xi = torch.randn(args.batch, n)
        else:
            xi = torch.randint(0, 2, (args.batch, n)).float() * 2 - 1
        x = b * xi
        xhat = (x @ (W.T @ W)) ** m
        loss = ((xhat - x) ** 2).sum(dim=1).mean()
        optim.zero_grad()
        loss.backward()
        optim.step()
        sched.step()
        clock += time.perf_counter() - t1
        if step % args.eval_every == 0 or step == args.steps - 1:
            g = exact_gain(W.detach().double().numpy(), m, mu, p)
            best = max(best, g)
            if g >= target:
                return clock, step, best, clock
    return None, None, best, clock

if __name__ == "__main__":
    sys.exit(main())
