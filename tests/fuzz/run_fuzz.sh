#!/usr/bin/env bash
# Builds the libFuzzer target with clang (ASan+UBSan) and runs it for a bounded time.
#   tests/fuzz/run_fuzz.sh [SECONDS] [WORK_DIR]
set -euo pipefail
seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${2:-}
if [[ -z $work ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/corpus"
if ! command -v clang++ >/dev/null; then
  echo "clang++ is not installed (scripts/setup installs clang and libclang-rt-dev)"
  exit 1
fi
# The kernels need no MPI: compile their sources straight into the fuzzer.
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root/lib/include" -I"$work" \
  "$here/fuzz_word_scan.cpp" "$root/lib/src/text/tokenizer.cpp" "$root/lib/src/text/word_scan.cpp" \
  "$root/lib/src/text/word_counts.cpp" -o "$work/fuzz_word_scan"
printf 'one two  three\n' >"$work/corpus/seed1"
printf '\x07\x01\x03\x05\x09\x0bHello  World\r\nnul\x00x \xc2\xa0y' >"$work/corpus/seed2"
"$work/fuzz_word_scan" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
  "$work/corpus" 2>&1 | tail -15
echo "1 passed, 0 failed"
