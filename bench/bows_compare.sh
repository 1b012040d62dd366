#!/usr/bin/env bash
# Runs the BOWS training-step benchmark in C++ (bench_bows) and in PyTorch (bows_pytorch.py) back to back, on 1 and
# on 2 threads each, and prints steps/s and the C++/PyTorch ratio per configuration and thread count.
# Usage: bench/bows_compare.sh [BUILD_DIR]  (default: build). THREADS="1 2" and CONFIGS="2000,100,256 ..." override.
# On a shared machine run it with `nice` and note the load average (uptime) beside the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
THREADS="${THREADS:-1 2}"
# PyTorch on OpenBLAS (libopenblas0-pthread) for this run only, whatever BLAS the system's alternative points at:
# Debian's python3-torch links libblas.so.3, and the reference BLAS is about 20x slower (docs/performance.md).
OPENBLAS_DIR="${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-pthread}"
TORCH_LIBS=""
if [ -d "$OPENBLAS_DIR" ]; then TORCH_LIBS="$OPENBLAS_DIR"; else
  echo "bows_compare: $OPENBLAS_DIR missing: PyTorch runs on the system BLAS (apt-get install libopenblas0-pthread)" >&2
fi
CONFIGS="${CONFIGS:-2000,100,256 5000,200,512 10000,200,512}"
"$BUILD/bench/bench_bows" --benchmark_format=json --benchmark_out=/dev/stdout --benchmark_out_format=json \
  2>/dev/null > "$BUILD/bench_bows.json" || { echo "bench_bows failed" >&2; exit 1; }
: > "$BUILD/bench_bows_pytorch.json"
for t in $THREADS; do
  # shellcheck disable=SC2086
  LD_LIBRARY_PATH="$TORCH_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t \
    /usr/bin/python3 bench/bows_pytorch.py --threads "$t" --config $CONFIGS \
    >> "$BUILD/bench_bows_pytorch.json"
done
/usr/bin/python3 - "$BUILD/bench_bows.json" "$BUILD/bench_bows_pytorch.json" <<'PY'
import json, sys
cpp = json.load(open(sys.argv[1]))["benchmarks"]
# The JSON may hold the console output too: keep the JSON lines only.
torch = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
print(f"{'V/d/B':>14} {'thr':>3} {'C++ init':>9} {'C++ trained':>12} {'PyTorch':>8} {'ratio init':>11} "
      f"{'ratio trained':>14}   (steps/s)")
for t in torch:
    key, th = f"{t['V']}/{t['d']}/{t['B']}", t["threads"]
    ci = next(b for b in cpp if b["name"].startswith(f"BM_TrainStepInit/{key}/{th}/"))
    ct = next(b for b in cpp if b["name"].startswith(f"BM_TrainStepTrained/{key}/18/{th}/"))
    print(f"{key:>14} {th:>3} {ci['steps/s']:9.2f} {ct['steps/s']:12.2f} {t['steps_per_s']:8.2f} "
          f"{ci['steps/s']/t['steps_per_s']:11.2f} {ct['steps/s']/t['steps_per_s']:14.2f}"
          f"   (C++ init {ci['flops']/1e9:.1f} GFLOP/s, PyTorch {t['gflops']:.1f} GFLOP/s, "
          f"active {ci['active']:.2f}/{ct['active']:.2f})")
PY
