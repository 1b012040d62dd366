#!/usr/bin/python3
"""PyTorch peer of bench/bench_bows.cpp: one BOWS training step (the authors' text_bows/train_autoencoder.py model:
tied W (d x V) with sparse gather-sum encoder, dense decoder, ReLU, MSE mean over B x V, AdamW with decoupled weight
decay, CosineAnnealingLR stepped per batch), on the same kind of data: about 245 active words per window drawn from
a Zipf(1) law over V. Single-threaded unless --threads says otherwise. Prints one JSON line per configuration.

Usage: python3 bench/bows_pytorch.py [--threads 1] [--steps 30] [--config V,d,B ...]
Needs Debian's python3-torch and python3-numpy (apt); not part of the C++ build.
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F


def zipf_windows(rows, V, active, seed):
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, V + 1)
    p /= p.sum()
    out = []
    for _ in range(rows):
        a = np.unique(rng.choice(V, size=active, p=p))
        out.append(a)
    return out


def bench(V, d, B, steps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    data = zipf_windows(4 * B, V, 245, 1)
    W = torch.nn.Parameter(torch.empty(d, V))
    torch.nn.init.kaiming_uniform_(W, a=math.sqrt(2))
    b = torch.nn.Parameter(torch.zeros(V))
    opt = torch.optim.AdamW([W, b], lr=5e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=4.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10**6)
    batches = []
    for k in range(4):
        rows = data[k * B:(k + 1) * B]
        idx = torch.from_numpy(np.concatenate(rows)).long()
        offs = torch.tensor([0] + list(np.cumsum([len(r) for r in rows])[:-1]), dtype=torch.long)
        x = torch.zeros(B, V)
        for i, r in enumerate(rows):
            x[i, torch.from_numpy(r).long()] = 1.0
        batches.append((idx, offs, x))

    def step(k):
        idx, offs, x = batches[k % 4]
        h = F.embedding_bag(idx, W.t(), offs, mode="sum")  # B x d, gather-sum of the active columns
        xhat = F.relu(h @ W + b)                           # B x V
        loss = F.mse_loss(xhat, x)                         # mean over B x V
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        return loss.item()

    for k in range(3):
        step(k)
    t0 = time.perf_counter()
    for k in range(steps):
        step(k)
    dt = (time.perf_counter() - t0) / steps
    flops = 6.0 * B * d * V
    return {"impl": "pytorch", "torch": torch.__version__, "threads": threads, "V": V, "d": d, "B": B,
            "ms_per_step": dt * 1e3, "steps_per_s": 1.0 / dt, "gflops": flops / dt / 1e9}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--config", nargs="*", default=["2000,100,256", "5000,200,512"])
    a = ap.parse_args()
    for c in a.config:
        V, d, B = (int(x) for x in c.split(","))
        print(json.dumps(bench(V, d, B, a.steps, a.threads)), flush=True)


if __name__ == "__main__":
    main()
