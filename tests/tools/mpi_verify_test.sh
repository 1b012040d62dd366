#!/usr/bin/env bash
# `mpirun -np 3 superpose verify` against one process (issue 10): the same rows, byte for byte, in the checkpoint
# and on stdout; a run stopped midway and a run whose worker was killed both resume (--resume, under MPI) to that
# same file, computing only the missing cells. Usage: mpi_verify_test.sh SUPERPOSE MPIRUN
set -euo pipefail
S=$1
MPIRUN=$2
# OpenMPI refuses to run as root without these; set here only, never globally.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Under `make test-sanitize` the binary is built with ASan: OpenMPI's runtime keeps allocations to the end of the
# process, which LeakSanitizer would report as leaks; memory errors and undefined behaviour are still checked.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
fail() { echo "mpi_verify_test: FAIL: $*"; exit 1; }
GRID=(--d 2,3 --n 4,6 --m 3 --law rademacher,gaussian --p 1e-4,1e-2,1/3 --starts 3 --quiet)
mpi() { "$MPIRUN" --oversubscribe -np 3 "$S" "$@"; }

"$S" verify "${GRID[@]}" --out one.jsonl > one.md || fail "one-process run"
cells=$(($(wc -l < one.jsonl) - 1))
[ "$cells" -eq 24 ] || fail "expected 24 cells, got $cells"

mpi verify "${GRID[@]}" --out mpi.jsonl > mpi.md || fail "mpirun -np 3 run"
cmp one.jsonl mpi.jsonl || fail "checkpoint under MPI differs from one process"
cmp one.md mpi.md || fail "stdout under MPI differs from one process"

# Stopped after 5 new cells, then resumed: only the 19 missing cells are computed.
mpi verify "${GRID[@]}" --out part.jsonl --stop-after 5 > /dev/null 2>&1 || fail "--stop-after run"
[ "$(($(wc -l < part.jsonl) - 1))" -eq 5 ] || fail "--stop-after 5 left $(($(wc -l < part.jsonl) - 1)) rows"
mpi verify "${GRID[@]}" --out part.jsonl --resume > /dev/null 2> resume.err || fail "--resume run"
grep -q "verify: 5 rows resumed" resume.err || fail "resume did not keep the 5 rows: $(cat resume.err)"
cmp one.jsonl part.jsonl || fail "resumed file differs from one process"

# A worker killed with SIGKILL once the coordinator has written 3 rows: mpirun ends the job; --resume completes it.
mpi verify "${GRID[@]}" --out killed.jsonl > /dev/null 2>&1 &
job=$!
for _ in $(seq 1 600); do
  [ -f killed.jsonl ] && [ "$(wc -l < killed.jsonl)" -ge 4 ] && break
  sleep 0.05
done
worker=$(pgrep -n -f "^[^ ]*superpose verify .*killed.jsonl" || true)
[ -n "$worker" ] && kill -9 "$worker" 2> /dev/null || true
wait "$job" 2> /dev/null && echo "mpi_verify_test: note: the run finished before a worker could be killed"
kept=$(($(wc -l < killed.jsonl) - 1))
mpi verify "${GRID[@]}" --out killed.jsonl --resume > /dev/null 2> killed.err || fail "--resume after a killed worker"
[ "$kept" -eq 0 ] || grep -q "verify: $kept rows resumed" killed.err || fail "resume did not keep the $kept rows written"
cmp one.jsonl killed.jsonl || fail "file resumed after a killed worker differs from one process"
echo "mpi_verify_test: 4 passed, 0 failed"
