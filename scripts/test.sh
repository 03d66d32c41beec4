#!/usr/bin/env bash
# The test command behind `make test`: fuzz targets (clang-14, ~30 s each), a smoke run of
# every benchmark, then every unit and end-to-end test through ctest (last, so its summary
# closes the output). Exits non-zero if anything fails.
set -euo pipefail
build=${1:-build}
fuzz_build=${2:-build-fuzz}
cd "$(dirname "$0")/.."

echo "== fuzz targets (${LICET_FUZZ_SECONDS:-30} s each)"
scripts/fuzz.sh "$fuzz_build"

echo "== benchmark smoke run (CI checks that they run; figures come from 'make bench')"
scripts/bench.sh "$build" --smoke

echo "== unit and end-to-end tests"
cd "$build"
ctest --output-on-failure -j "$(nproc)" --timeout 900
