#!/usr/bin/python3
"""Peer of `superpose relu train` (issue 12): Elhage et al.'s notebook recipe (toy_models.ipynb) in PyTorch.

Many instances in one tensor: W (instances, n, d) from xavier_normal_, b = 0, x = beta * v with beta ~ Bernoulli(p)
and v ~ U[0, 1], x^ = ReLU(W^T W x + b) per instance, loss sum_i I_i (x_i - x^_i)^2 averaged over the batch (the
notebook averages over features too: the same AdamW steps up to its epsilon), torch.optim.AdamW(lr 1e-3, torch's
default weight decay 0.01), batch 1024, 10,000 steps. At the end the loss of each instance is estimated on fresh
samples with its standard error, as the C++ trainer does. Prints one JSON object: per instance p, loss, loss_se, and
the training seconds (wall and CPU).

Usage: bench/relu_peer_torch.py --preset elhage-n5 [--steps 10000 --threads 1 --seed 1]
Needs Debian's python3-torch (apt-get install -y python3-torch); for bench only, not a dependency of superpose.
"""
import argparse
import json
import math
import sys
import time

import torch


def preset(name):
    """(d, n, importance ratio, instances) of the notebook's two sweeps; p = 20^-t, t = linspace(0, 1, instances)."""
    if name == "elhage-n5":
        return 2, 5, 0.9, 10
    if name == "elhage-n200":
        return 20, 200, 1.0, 20
    raise SystemExit("relu_peer_torch: --preset must be elhage-n5 or elhage-n200")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="elhage-n5")
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--eval-samples", type=int, default=1 << 17)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    d, n, ratio, inst = preset(args.preset)
    p = (20 ** -torch.linspace(0, 1, inst, dtype=torch.float64)).float()[:, None]  # (inst, 1)
    importance = (ratio ** torch.arange(n, dtype=torch.float64)).float()[None, :]  # (1, n)
    W = torch.empty(inst, n, d)
    torch.nn.init.xavier_normal_(W)
    W.requires_grad_(True)
    b = torch.zeros(inst, n, requires_grad=True)
    opt = torch.optim.AdamW([W, b], lr=args.lr, weight_decay=args.weight_decay)

    def batch(size):
        v = torch.rand(size, inst, n)
        return torch.where(torch.rand(size, inst, n) <= p, v, torch.zeros(()))

    def per_sample_loss(x):
        h = torch.einsum("bin,ind->bid", x, W)
        out = torch.relu(torch.einsum("bid,ind->bin", h, W) + b)
        return (importance * (x - out) ** 2).sum(-1)  # (batch, inst)

    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        opt.zero_grad(set_to_none=True)
        loss = per_sample_loss(batch(args.batch)).mean(0).sum()
        loss.backward()
        opt.step()
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    with torch.no_grad():
        s = torch.zeros(inst, dtype=torch.float64)
        s2 = torch.zeros(inst, dtype=torch.float64)
        done = 0
        while done < args.eval_samples:
            size = min(args.batch, args.eval_samples - done)
            l = per_sample_loss(batch(size)).double()
            s += l.sum(0)
            s2 += (l * l).sum(0)
            done += size
        N = args.eval_samples
        mean = s / N
        se = ((s2 - N * mean * mean).clamp(min=0) / (N - 1) / N).sqrt()
    rows = [{"p": float(p[i, 0]), "loss": float(mean[i]), "loss_se": float(se[i])} for i in range(inst)]
    print(json.dumps({"preset": args.preset, "steps": args.steps, "threads": torch.get_num_threads(),
                      "seconds": seconds, "cpu_seconds": cpu_seconds, "instances": rows}))


if __name__ == "__main__":
    sys.exit(main())
