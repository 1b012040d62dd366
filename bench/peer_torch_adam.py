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
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (superpose train is single-threaded)")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
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

    # 2. superpose train: Adam on the exact gain (time to target measured inside, excluding the reference optimum).
    tr = run_json([args.superpose, "train", *common, "--steps", str(args.train_steps), "--lr", str(args.train_lr),
                   "--optimizer", "adam", "--target-rel", str(args.rel), "--format", "json", "--quiet"])

    # 3. PyTorch: Adam on Monte Carlo batches, from the same kind of small random W.
    a0 = (mu[m + 1] / mu[2 * m]) ** (1.0 / m)
    W = (0.1 * math.sqrt(a0 / d) * torch.randn(d, n, dtype=torch.float32)).requires_grad_(True)
    # Check the numpy evaluator against superpose on the initial W (same model, same gain).
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "W.csv")
        np.savetxt(path, W.detach().double().numpy(), delimiter=",", fmt="%.17g")
        ref = run_json([args.superpose, "loss", "--weights", path, "--m", str(m), "--law", args.law, "--p", args.p,
                        "--format", "json"])
        mine = exact_gain(W.detach().double().numpy(), m, mu, p)
        if abs(float(ref["gain"]) - mine) > 1e-9 * max(1e-300, abs(float(ref["gain"]))):
            raise SystemExit(f"peer_torch_adam: numpy exact gain {mine} != superpose {ref['gain']}")
    optim = torch.optim.Adam([W], lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optim, T_max=args.steps)
    clock, t_torch, best, step_hit = 0.0, None, -math.inf, None
    for step in range(args.steps):
        t1 = time.perf_counter()
        b = (torch.rand(args.batch, n) < p).float()
        xi = torch.randn(args.batch, n) if args.law == "gaussian" else torch.randint(0, 2, (args.batch, n)).float() * 2 - 1
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
            if g >= target and t_torch is None:
                t_torch, step_hit = clock, step
                break
    final = exact_gain(W.detach().double().numpy(), m, mu, p)

    def fmt(t):
        return "not reached" if t is None or t < 0 else f"{t:.3f} s"

    t_train = tr["seconds_to_target"] if tr["steps_to_target"] >= 0 else None
    print(f"setting: d={d} n={n} m={m} law={args.law} p={args.p}; optimum gain {optimum:.12g} "
          f"(gain/p {optimum / p:.9g}); target: within {args.rel:g} relative")
    print(f"torch threads {torch.get_num_threads()}, batch {args.batch}, lr {args.lr} cosine over {args.steps} steps")
    print("| method | time to target | steps | final or best gain / optimum |")
    print("|---|---|---|---|")
    print(f"| superpose optimize (multi-start L-BFGS + MPFR-50 polish; wall incl. process start) | {fmt(t_opt)} | - | "
          f"1 (certified, |grad| {opt['grad_norm']}) |")
    print(f"| superpose train (Adam on the exact gain) | {fmt(t_train)} | {tr['steps_to_target']} | "
          f"{tr['best_gain'] / optimum:.6f} |")
    print(f"| PyTorch Adam on Monte Carlo batches | {fmt(t_torch)} | {step_hit if step_hit is not None else '-'} | "
          f"{max(best, final) / optimum:.6f} |")
    if t_torch is not None:
        if t_train:
            print(f"ratio PyTorch / superpose train: {t_torch / t_train:.1f}")
        print(f"ratio PyTorch / superpose optimize: {t_torch / t_opt:.1f}")
    else:
        print(f"PyTorch did not reach the target in {args.steps} steps ({clock:.1f} s of training): "
              f"ratio > {clock / t_opt:.0f} against optimize" + (f", > {clock / t_train:.0f} against train" if t_train else ""))


if __name__ == "__main__":
    sys.exit(main())
