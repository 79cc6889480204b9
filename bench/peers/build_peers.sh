#!/usr/bin/env bash
# Builds the peers of bench/mapreduce_peers.sh from their public sources, outside the repository:
# MR-MPI's word frequency example and Thrill's WordCount. Their code is never part of mrkit.
#   bench/peers/build_peers.sh [MRMPI_SRC [THRILL_SRC [PREFIX]]]
# or the same as environment variables MRMPI_SRC, THRILL_SRC, PEERS_PREFIX (default
# /work/peers/build). A peer whose source directory is absent is skipped with one line.
# Results: PREFIX/bin/mrmpi-wordfreq and PREFIX/bin/thrill-word_count_run (the defaults of
# bench/mapreduce_peers.sh). Build logs: PREFIX/mrmpi/build.log, PREFIX/thrill/build.log.
#
# Sources (tested at these commits, with Debian 12's GCC 12.2, CMake 3.25 and Open MPI 4.1):
#   MR-MPI  git clone https://github.com/sjplimp/mapreduce       (0331f04, 2021-06-14: "MapReduce-MPI
#           7 Apr 2014"; the library in src/, the example in examples/wordfreq.cpp)
#   Thrill  git clone --recursive https://github.com/thrill/thrill  (12c5b59, 2020-04-06), with
#           the submodules extlib/tlx (89397b7), extlib/foxxll (a4a8aee), extlib/cereal (2f9471b)
#           and extlib/googletest (5490beb; Thrill's CMakeLists adds it even without tests).
#           extlib/libs3 is not needed (S3 support is off by default). Without --recursive:
#           git submodule update --init extlib/tlx extlib/foxxll extlib/cereal extlib/googletest
#
# What modern GCC needed (nothing: both build as published, with warnings only):
#   MR-MPI  -Wreturn-type in mapreduce.cpp (functions ending in error->all(), which aborts) and
#           -Wwrite-strings in wordfreq.cpp (a string literal given to strtok as char *): warnings,
#           harmless. Its makefiles copy sources into src/Obj_*; we compile with mpicxx into PREFIX
#           instead, so that the source tree stays untouched.
#   Thrill  -Wdeprecated-declarations (std::iterator, std::allocator members in C++17 headers),
#           -Wrange-loop-construct, -Wmaybe-uninitialized: warnings only. jemalloc is turned off
#           (THRILL_USE_JEMALLOC=OFF) so that Thrill and mrkit both use glibc's malloc (Debian's
#           libjemalloc-dev is not installed here anyway).
# Flags: both with -O3 -DNDEBUG, as mrkit's Release build; Thrill's CMakeLists also adds
# -march=native on its own (mrkit does not). MRMPI_MEMSIZE=N (MiB, MR-MPI's page size, default
# its own 64) is passed as -DMRMPI_MEMSIZE=N when set: MR-MPI pages out to disk beyond it.
#
# Heavy builds share the machine: everything runs under nice -n 19, one compiler at a time
# (PEERS_JOBS, default 1; at most 2). Thrill takes about 3 CPU-minutes per job at -j2.
set -euo pipefail
mrmpi_src=${1:-${MRMPI_SRC:-/work/peers/mrmpi}}
thrill_src=${2:-${THRILL_SRC:-/work/peers/thrill}}
prefix=${3:-${PEERS_PREFIX:-/work/peers/build}}
jobs=${PEERS_JOBS:-1}
if ((jobs > 2)); then jobs=2; fi
mkdir -p "$prefix/bin"
prefix=$(cd "$prefix" && pwd)
status=0

# Runs a command with its output in LOG; on failure prints the log's tail and returns 1.
logged() {
  local log=$1
  shift
  if ! "$@" >>"$log" 2>&1; then
    echo "build_peers: failed: $* (log: $log)" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
}

build_mrmpi() {
  local src=$1 dir=$prefix/mrmpi
  local flags=(-O3 -DNDEBUG -Wno-write-strings -Wno-return-type)
  [[ -n ${MRMPI_MEMSIZE:-} ]] && flags+=("-DMRMPI_MEMSIZE=$MRMPI_MEMSIZE")
  mkdir -p "$dir/obj"
  : >"$dir/build.log"
  local f objs=()
  for f in "$src"/src/*.cpp; do
    objs+=("$dir/obj/$(basename "$f" .cpp).o")
    logged "$dir/build.log" nice -n 19 mpicxx "${flags[@]}" -c "$f" -o "${objs[-1]}" || return 1
  done
  rm -f "$dir/libmrmpi.a"
  logged "$dir/build.log" ar rc "$dir/libmrmpi.a" "${objs[@]}" || return 1
  logged "$dir/build.log" nice -n 19 mpicxx "${flags[@]}" -I"$src/src" \
    -c "$src/examples/wordfreq.cpp" -o "$dir/obj/wordfreq.o" || return 1
  logged "$dir/build.log" mpicxx -O3 "$dir/obj/wordfreq.o" "$dir/libmrmpi.a" \
    -o "$prefix/bin/mrmpi-wordfreq" || return 1
  echo "build_peers: MR-MPI wordfreq: $prefix/bin/mrmpi-wordfreq"
}

build_thrill() {
  local src=$1 dir=$prefix/thrill sub missing=()
  for sub in tlx foxxll cereal googletest; do
    [[ -f $src/extlib/$sub/CMakeLists.txt ]] || missing+=("extlib/$sub")
  done
  if ((${#missing[@]} > 0)); then
    echo "build_peers: Thrill: submodules missing in $src: ${missing[*]}" \
      "(git submodule update --init ${missing[*]})" >&2
    return 1
  fi
  mkdir -p "$dir"
  : >"$dir/build.log"
  logged "$dir/build.log" nice -n 19 cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
    -DTHRILL_BUILD_EXAMPLES=ON -DTHRILL_USE_MPI=ON -DTHRILL_USE_JEMALLOC=OFF || return 1
  logged "$dir/build.log" nice -n 19 cmake --build "$dir" -j "$jobs" --target word_count_run ||
    return 1
  cp "$dir/examples/word_count/word_count_run" "$prefix/bin/thrill-word_count_run"
  echo "build_peers: Thrill WordCount: $prefix/bin/thrill-word_count_run"
}

if [[ -f $mrmpi_src/src/mapreduce.cpp && -f $mrmpi_src/examples/wordfreq.cpp ]]; then
  build_mrmpi "$mrmpi_src" || status=1
else
  echo "build_peers: MR-MPI skipped: no source in $mrmpi_src (set MRMPI_SRC)"
fi
if [[ -f $thrill_src/examples/word_count/word_count_run.cpp ]]; then
  build_thrill "$thrill_src" || status=1
else
  echo "build_peers: Thrill skipped: no source in $thrill_src (set THRILL_SRC)"
fi
exit "$status"
