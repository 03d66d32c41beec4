#!/usr/bin/env bash
# Installs every Debian 12 package Licet needs to build, test and benchmark.
# Idempotent; uses sudo when not root. LICET_SKIP_DEPS=1 skips it (offline rebuilds).
set -euo pipefail

if [[ "${LICET_SKIP_DEPS:-0}" == 1 ]]; then exit 0; fi

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev llvm-14
  # libraries (docs/DEPENDENCIES.md says why each one)
  libssl-dev openssl
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libsqlite3-dev sqlite3 libpq-dev libboost-dev libboost-system-dev
  pybind11-dev python3-dev python3
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  util-linux iproute2 procps jq curl
  python3-cbor2 python3-cryptography faketime
  # licet protect tests: a debugger for the hardening (enforce) test, strip (binutils)
  gdb binutils
  # a real PostgreSQL server (and psql) for License Central's tests: scripts/postgres-test-server.sh
  postgresql
)

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
