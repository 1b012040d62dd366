#!/usr/bin/env bash
# BOWS latent-width sweep with seeds, resumable: trains one `superpose bows train` run per width d and seed S into
# OUT/d<d>/seed<S>, then `superpose bows analyze OUT --what structure` reads the whole folder (docs/bows.md §3.5).
#
#   scripts/bows-width-sweep.sh DATA OUT WIDTHS SEEDS [train options ...]
#   e.g. scripts/bows-width-sweep.sh out/bows/data-wt2 out/bows/sweep-wt2-wd1 "16 32 64 128 256" "1 2 3" \
#          --weight-decay 1 --steps 500
#
# Rerunning the same command resumes: a run with a summary.json is finished and skipped, a run with a
# checkpoint.bin continues with --resume (bit-identical to an uninterrupted run), a run killed before its first
# checkpoint starts again (--force). SUPERPOSE names the binary (default build/apps/superpose).
set -euo pipefail

if [ "$#" -lt 4 ]; then
  echo "usage: $0 DATA OUT WIDTHS SEEDS [train options ...]  (e.g. $0 out/bows/data-wt2 out/bows/sweep \"16 32\" \"1 2 3\" --steps 500)" >&2
  exit 2
fi
data=$1 out=$2 widths=$3 seeds=$4
shift 4
bin=${SUPERPOSE:-build/apps/superpose}
[ -x "$bin" ] || { echo "$0: '$bin' is not an executable (set SUPERPOSE or build first)" >&2; exit 2; }
[ -d "$data" ] || { echo "$0: DATA '$data' is not a folder (make it with \`superpose bows prepare\`)" >&2; exit 2; }
for d in $widths; do
  [[ "$d" =~ ^[1-9][0-9]*$ ]] || { echo "$0: width '$d' is not a positive integer (WIDTHS: e.g. \"16 32 64\")" >&2; exit 2; }
done
for s in $seeds; do
  [[ "$s" =~ ^[0-9]+$ ]] || { echo "$0: seed '$s' is not a non-negative integer (SEEDS: e.g. \"1 2 3\")" >&2; exit 2; }
done

for d in $widths; do
  for s in $seeds; do
    run="$out/d$d/seed$s"
    if [ -f "$run/summary.json" ]; then
      echo "sweep: $run done, skipped" >&2
      continue
    fi
    mode=()
    if [ -f "$run/checkpoint.bin" ]; then mode=(--resume); elif [ -d "$run" ]; then mode=(--force); fi
    echo "sweep: d = $d, seed $s -> $run ${mode[*]:-}" >&2
    "$bin" bows train --data "$data" --out "$run" --d "$d" --seed "$s" "${mode[@]}" "$@"
  done
done
