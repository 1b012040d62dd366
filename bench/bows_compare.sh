#!/usr/bin/env bash
# Runs the BOWS training-step benchmark in C++ (bench_bows) and in PyTorch (bows_pytorch.py) back to back on one
# thread each, and prints steps/s and the ratio. Usage: bench/bows_compare.sh [BUILD_DIR]  (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
"$BUILD/bench/bench_bows" --benchmark_format=json --benchmark_out=/dev/stdout --benchmark_out_format=json \
  2>/dev/null > "$BUILD/bench_bows.json" || { echo "bench_bows failed" >&2; exit 1; }
OMP_NUM_THREADS=1 /usr/bin/python3 bench/bows_pytorch.py --threads 1 > "$BUILD/bench_bows_pytorch.json"
/usr/bin/python3 - "$BUILD/bench_bows.json" "$BUILD/bench_bows_pytorch.json" <<'PY'
import json, sys
cpp = json.load(open(sys.argv[1]))["benchmarks"]
# The JSON may hold the console output too: keep the first JSON document only.
torch = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
print(f"{'config':>16} {'C++ init':>10} {'C++ trained':>12} {'PyTorch':>9} {'ratio init':>11} {'ratio trained':>14}   steps/s")
for t in torch:
    key = f"{t['V']}/{t['d']}/{t['B']}"
    ci = next(b for b in cpp if b["name"].startswith("BM_TrainStepInit/" + key))
    ct = next(b for b in cpp if b["name"].startswith("BM_TrainStepTrained/" + key))
    print(f"{key:>16} {ci['steps/s']:10.2f} {ct['steps/s']:12.2f} {t['steps_per_s']:9.2f} "
          f"{ci['steps/s']/t['steps_per_s']:11.2f} {ct['steps/s']/t['steps_per_s']:14.2f}"
          f"   (C++ init {ci['flops']/1e9:.1f} GFLOP/s, PyTorch {t['gflops']:.1f} GFLOP/s, active {ci['active']:.2f}/{ct['active']:.2f})")
PY
