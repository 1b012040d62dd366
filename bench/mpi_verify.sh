#!/usr/bin/env bash
# Wall time of verify's default grid (144 cells) with one process, --jobs 2 threads, and mpirun -np 2 and -np 3
# (1 and 2 worker ranks beside the coordinator), and the coordinator's CPU share. Usage: bench/mpi_verify.sh [BUILD]
# Prints a Markdown table for docs/performance.md. The files of every run must be byte-identical (checked).
set -euo pipefail
B=${1:-build}
S=$(realpath "$B/apps/superpose")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
GRID=(--quiet --format csv)
echo "| run | wall (s) | coordinator CPU (s) |"
echo "|---|---|---|"
for cfg in "one:1" "jobs2:1" "np2:2" "np3:3"; do
  name=${cfg%%:*}; np=${cfg##*:}
  jobs=1; [ "$name" = jobs2 ] && jobs=2
  cmd=("$S" verify "${GRID[@]}" --jobs "$jobs" --out "$name.jsonl")
  t0=$(date +%s.%N)
  if [ "$name" = one ] || [ "$name" = jobs2 ]; then
    /usr/bin/time -f "%U %S" -o "$name.cpu" "${cmd[@]}" > /dev/null 2>&1 || true
    cpu=$(awk '{print $1 + $2}' "$name.cpu")
  else
    mpirun --oversubscribe -np "$np" bash -c '/usr/bin/time -f "%U %S" -o "'"$name"'.rank$OMPI_COMM_WORLD_RANK" "$0" "$@"' \
      "$S" verify "${GRID[@]}" --out "$name.jsonl" > /dev/null 2>&1 || true
    cpu=$(awk '{print $1 + $2}' "$name.rank0")
  fi
  t1=$(date +%s.%N)
  printf "| %s | %.1f | %.2f |\n" "$name" "$(awk "BEGIN{print $t1 - $t0}")" "$cpu"
done
for f in jobs2 np2 np3; do cmp one.jsonl "$f.jsonl" || { echo "mpi_verify.sh: $f.jsonl differs"; exit 1; }; done
echo "(all four files byte-identical)"
