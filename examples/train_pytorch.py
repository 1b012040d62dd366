#!/usr/bin/env python3
"""Elhage-style training with PyTorch Adam on Monte Carlo batches of the power model x -> (W^T W x)^m, then the
exact loss of the trained W from superpose.evaluate and its distance to the best optimum superpose.optimize finds
(8 structured and random starts, polished in MPFR; the best of those starts, not a certified global optimum).
Skipped with a message when torch is not installed.

Usage: PYTHONPATH=build/python /usr/bin/python3 examples/train_pytorch.py"""
import sys

try:
    import torch
except ImportError:
    print("train_pytorch.py: skipped (PyTorch is not installed: apt-get install python3-torch)")
    sys.exit(0)

import superpose

d, n, m, p, law = 2, 6, 3, 0.05, "rademacher"
torch.manual_seed(1)
W = torch.nn.Parameter(0.3 * torch.randn(d, n, dtype=torch.float64))
opt = torch.optim.Adam([W], lr=0.01)
for step in range(3000):
    b = (torch.rand(4096, n, dtype=torch.float64) < p).double()
    x = b * (2 * torch.randint(0, 2, (4096, n), dtype=torch.float64) - 1)  # rademacher
    xhat = (x @ W.T @ W) ** m
    loss = ((xhat - x) ** 2).sum(dim=1).mean()  # Monte Carlo estimate of E|phi(Ax) - x|^2
    opt.zero_grad()
    loss.backward()
    opt.step()
ev = superpose.evaluate(W.detach().numpy(), m, law, p, digits=50)
best = superpose.optimize(d, n, m, law, p, starts=8)
print(f"trained W: exact loss {float(ev.loss):.10f} (last Monte Carlo batch {loss.item():.6f})")
print(f"superpose.optimize (best of 8 starts, polished): loss {float(best.loss):.10f}; "
      f"the trained W is {float(ev.loss - best.loss):.3e} above it")
