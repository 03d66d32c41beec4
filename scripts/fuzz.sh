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
# Only the fuzz targets (and what they link): the rest of the tree is built and tested by
# the main build.
targets=$(ninja -C "$build" -t targets all | sed -n 's/^\([A-Za-z0-9_]*_fuzz\(er\)\?\): .*/\1/p' | grep -v '^cmake_' | sort -u)
cmake --build "$build" -j "$(nproc)" --target $targets
cd "$build"
ctest -L fuzz --output-on-failure -j "$(nproc)"
