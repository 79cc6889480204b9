#!/usr/bin/env bash
# Installs mrkit into a scratch prefix, then builds a user's program against it twice: with
# CMake's find_package(mrkit) and with pkg-config. Usage: install_test.sh BUILD_DIR MPIEXEC
set -euo pipefail
build=$1 mpiexec=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/mrkit/mrkit.hpp"
test -f "$work/prefix/include/mrkit/text/word_scan.hpp"
test -f "$work/prefix/include/mrkit/core/detail/mpi_check.hpp"
test -f "$work/prefix/lib/cmake/mrkit/mrkitConfig.cmake" || test -f "$work"/prefix/lib/*/cmake/mrkit/mrkitConfig.cmake

cmake -S "$here/consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
out=$("$mpiexec" -n 2 "$work/cmake-build/consumer")
echo "find_package: $out"
[[ $out == "mrkit "*" sum 500500" ]]

pc_dir=$(dirname "$(find "$work/prefix" -name mrkit.pc | head -1)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs mrkit)
# CXXFLAGS/LDFLAGS: a sanitizer build passes its flags on. shellcheck disable=SC2086
g++ ${CXXFLAGS:-} ${LDFLAGS:-} -o "$work/consumer-pc" "$here/consumer/main.cpp" $flags -Wl,-rpath,"$work/prefix/lib"
out=$("$mpiexec" -n 2 "$work/consumer-pc")
echo "pkg-config: $out"
[[ $out == "mrkit "*" sum 500500" ]]
echo "2 passed, 0 failed"
