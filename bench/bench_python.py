#!/usr/bin/env python3
"""Overhead of a Python superpose.evaluate call against the C++ call (bench_engine's BM_Gain_double, same run).

Usage: PYTHONPATH=build/python /usr/bin/python3 bench/bench_python.py [build]
Times evaluate(W, 3, "gaussian", 1e-3, threads=1) at d = 3, n = 12 (call overhead dominates) and d = 15, n = 6000
(it must vanish), then runs build/bench/bench_engine --benchmark_filter=BM_Gain_double for the C++ figures."""
import json
import os
import subprocess
import sys
import timeit

import numpy as np

import superpose

build = sys.argv[1] if len(sys.argv) > 1 else "build"
rng = np.random.default_rng(1)
py = {}
for d, n, reps in [(3, 12, 20000), (15, 6000, 5)]:
    W = rng.normal(size=(d, n)) / np.sqrt(d)
    f = lambda: superpose.evaluate(W, 3, "gaussian", 1e-3, threads=1)
    f()
    best = min(timeit.repeat(f, number=reps, repeat=5)) / reps
    py[(d, n)] = best
out = subprocess.run([os.path.join(build, "bench", "bench_engine"), "--benchmark_filter=BM_Gain_double/",
                      "--benchmark_format=json", "--benchmark_min_time=0.5"], capture_output=True, text=True, check=True)
cpp = {}
for b in json.loads(out.stdout)["benchmarks"]:
    parts = b["name"].split("/")
    d, n, t = int(parts[1]), int(parts[2]), int(parts[3])
    if t == 1:
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
        cpp[(d, n)] = b["real_time"] * scale
print("| d | n | C++ evaluate<double> (1 thread) | Python superpose.evaluate | overhead |")
print("|---|---|---|---|---|")
for key in [(3, 12), (15, 6000)]:
    c, p = cpp.get(key), py[key]
    print(f"| {key[0]} | {key[1]} | {c * 1e6:.2f} us | {p * 1e6:.2f} us | {(p - c) * 1e6:+.2f} us ({p / c:.2f}x) |"
          if c else f"| {key[0]} | {key[1]} | n/a | {p * 1e6:.2f} us | |")
