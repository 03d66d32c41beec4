#!/usr/bin/env bash
# Builds every libFuzzer target with clang-14 (ASan + UBSan) into $1 and runs each for
# LICET_FUZZ_SECONDS (default 30) on its seed corpus in fuzz/corpus/<target>/.
# Longer campaigns: LICET_FUZZ_SECONDS=3600 scripts/fuzz.sh
set -euo pipefail
build=${1:-build-fuzz}
cd "$(dirname "$0")/.."
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DLICET_FUZZ=ON \
  -DLICET_BUILD_TESTS=OFF -DLICET_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLICET_FUZZ_SECONDS="${LICET_FUZZ_SECONDS:-30}" >/dev/null
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest -L fuzz --output-on-failure -j "$(nproc)"
