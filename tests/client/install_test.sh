#!/usr/bin/env bash
# install_test.sh BUILD_DIR: installs the "client" component into a temporary prefix and
# builds programs against it as a user would: with the CMake package (shared, static, C++)
# and with pkg-config.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/licet-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
fail() { echo "FAIL: $*" >&2; exit 1; }
export LICET_SOCKET="$work/no-licetd.sock"

cmake --install "$build" --prefix "$prefix" --component client >/dev/null
for f in include/licet/licet.h include/licet/licet.hpp; do
  [[ -f "$prefix/$f" ]] || fail "$f not installed"
done
libdir=$(dirname "$(find "$prefix" -name 'liblicet.so.0' | head -1)")
[[ -n "$libdir" && -d "$libdir" ]] || fail "liblicet.so.0 not installed"
for f in liblicet.so liblicet.a pkgconfig/licet.pc cmake/licet/licetConfig.cmake \
         cmake/licet/licetConfigVersion.cmake cmake/licet/licetTargets.cmake; do
  [[ -e "$libdir/$f" ]] || fail "$libdir/$f not installed"
done
[[ -z $(find "$prefix" -name 'licet' -type f -perm -u+x) ]] || fail "the client component installed the CLI"

# The CMake package. (grep without -q after a pipe: with pipefail, -q can end the pipe early
# and fail the test through the writer's SIGPIPE.)
cmake -S "$here/consumer" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log" 2>&1 ||
  fail "configuring the consumer: $(cat "$work/cmake.log")"
cmake --build "$work/build" >"$work/build.log" 2>&1 || fail "building the consumer: $(cat "$work/build.log")"
for exe in consumer_c consumer_static consumer_cpp; do
  "$work/build/$exe" >/dev/null || fail "$exe failed"
done
ldd "$work/build/consumer_c" | grep -F "$libdir/liblicet.so.0" >/dev/null || fail "consumer_c does not use the installed liblicet"
if ldd "$work/build/consumer_static" | grep liblicet >/dev/null; then fail "consumer_static links liblicet.so"; fi

# The version file refuses another major version.
mkdir -p "$work/v2"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(v LANGUAGES C)\nfind_package(licet 1.0 REQUIRED)\n' \
  >"$work/v2/CMakeLists.txt"
if cmake -S "$work/v2" -B "$work/v2/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1; then
  fail "find_package(licet 1.0) accepted version 0.x"
fi

# pkg-config, with the prefix found relative to the .pc file.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[[ $(pkg-config --modversion licet) == 0.* ]] || fail "pkg-config --modversion licet"
# shellcheck disable=SC2046
cc -o "$work/pc_consumer" "$here/consumer/main.c" $(pkg-config --cflags --libs licet) || fail "cc with pkg-config"
LD_LIBRARY_PATH="$libdir" "$work/pc_consumer" >/dev/null || fail "pkg-config consumer failed"
pkg-config --static --libs licet | grep -- -lstdc++ >/dev/null || fail "licet.pc lacks the C++ runtime in Libs.private"
# shellcheck disable=SC2046
cc -o "$work/pc_static" "$here/consumer/main.c" $(pkg-config --cflags licet) "$libdir/liblicet.a" \
  $(pkg-config --libs-only-l --static licet | sed 's/-llicet//') || fail "cc with liblicet.a"
"$work/pc_static" >/dev/null || fail "static pkg-config consumer failed"
echo "install: 4 consumers built and ran against $prefix"
