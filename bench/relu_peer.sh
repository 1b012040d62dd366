#!/bin/bash
# Peer comparison of issue 12: `superpose relu train` (C++, Eigen, hand-written backward pass) against the notebook's
# recipe in PyTorch (bench/relu_peer_torch.py) on the same preset, steps and threads. Prints per instance the loss
# +- SE of each, and the wall and CPU times and their ratios C++/torch (CPU time is the robust figure on a shared
# machine). Runs nice'd (the machine may be shared: the load
# average is printed before and after; quote it with the times).
# Usage: bench/relu_peer.sh [SUPERPOSE=build/apps/superpose] [PRESET=elhage-n5] [STEPS=10000] [THREADS=1]
set -euo pipefail
SUPERPOSE=${1:-build/apps/superpose}
PRESET=${2:-elhage-n5}
STEPS=${3:-10000}
THREADS=${4:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
export OMP_NUM_THREADS=$THREADS
TIMEFORMAT='%R %U %S'
{ time nice "$SUPERPOSE" relu train --preset "$PRESET" --steps "$STEPS" --threads "$THREADS" --format json --quiet \
    > "$TMP/cpp.json"; } 2> "$TMP/cpp.time"
nice /usr/bin/python3 "$HERE/relu_peer_torch.py" --preset "$PRESET" --steps "$STEPS" --threads "$THREADS" > "$TMP/torch.json"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$TMP/cpp.json" "$TMP/torch.json" "$TMP/cpp.time" "$PRESET" "$STEPS" "$THREADS" <<'PY'
import json, sys
cpp = json.load(open(sys.argv[1]))
tor = json.load(open(sys.argv[2]))
wall_cpp, user, system = (float(x) for x in open(sys.argv[3]).read().split())
cpu_cpp = user + system
print(f"preset {sys.argv[4]}, {sys.argv[5]} steps, {sys.argv[6]} thread(s) each")
print("| p | C++ loss ± SE | torch loss ± SE | difference / combined SE |")
print("|---|---|---|---|")
for c, t in zip(cpp, tor["instances"]):
    se = (c["loss_se"] ** 2 + t["loss_se"] ** 2) ** 0.5
    print(f"| {c['p']} | {c['loss']:.5f} ± {c['loss_se']:.5f} | {t['loss']:.5f} ± {t['loss_se']:.5f} | "
          f"{(c['loss'] - t['loss']) / se:+.1f} |")
print(f"C++ (whole process, training and final MC loss): {wall_cpp:.1f} s wall, {cpu_cpp:.1f} s CPU; torch (training "
      f"loop only): {tor['seconds']:.1f} s wall, {tor['cpu_seconds']:.1f} s CPU; ratio C++/torch: wall "
      f"{wall_cpp / tor['seconds']:.2f}, CPU {cpu_cpp / tor['cpu_seconds']:.2f}")
PY
