#!/usr/bin/env bash
# Runs every benchmark in build/bench. --smoke: a very short run that only proves they work
# (CI); without it: full runs whose ratios go into docs/PERFORMANCE.md.
set -euo pipefail
build=${1:-build}
mode=${2:-}
cd "$(dirname "$0")/.."
shopt -s nullglob
status=0
for b in "$build"/bench/*_bench; do
  echo "-- $(basename "$b")"
  if [[ "$mode" == --smoke ]]; then
    LICET_BENCH_SMOKE=1 "$b" --benchmark_min_time=0.01 || status=1
  else
    "$b" || status=1
  fi
done
exit $status
