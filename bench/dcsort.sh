#!/usr/bin/env bash
# dcsort against std::sort in one process, on the same keys in the same run, as ratios.
#   bench/dcsort.sh [KEYS] [REPEAT]     (default 100000000 keys, best of 3)
# The keys (signed 64-bit, uniform, numpy's generator with seed 1) are written once to a raw
# file; every program reads it from the page cache. Baseline: bench/std_sort.cpp (read,
# std::sort, write to /dev/null). dcsort runs without -o (no output file to write and fsync) but
# verifies its result; --method tree (the mother's keys halved down the ranks) and --method
# sample (every rank reads its part, a sample sort; issue 17's goal: >= 1.6x std::sort at 2
# ranks). Two columns: the whole run (wall clock, start-up included) and the sort
# alone (std_sort's "sort" time; dcsort's "seconds.sort", from the first split to the last
# merge). Not a test: the numbers depend on the machine and its load; compare the ratios.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keys=${1:-100000000}
repeat=${2:-3}
bin=${MRKIT_BIN:-$root/build/bin}
run=("$root/scripts/mpirun-laptop")
work=${MRKIT_BENCH_DIR:-$(mktemp -d)}
trap '[[ -z ${MRKIT_BENCH_DIR:-} ]] && rm -rf "$work"' EXIT

input=$work/keys-$keys.bin
if [[ ! -s $input ]]; then
  /usr/bin/python3 -c "
import numpy as np, sys
n = int(sys.argv[1])
rng = np.random.default_rng(1)
rng.integers(-2**63, 2**63 - 1, size=n, dtype=np.int64, endpoint=True).astype('<i8').tofile(sys.argv[2])
" "$keys" "$input"
fi
cat "$input" >/dev/null  # warm the page cache
baseline=$work/std_sort
[[ -x $baseline ]] || g++ -std=c++20 -O3 -DNDEBUG "$root/bench/std_sort.cpp" -o "$baseline"

# best of REPEAT runs: prints "WALL SORT" (seconds)
best_std() {
  local best_w="" best_s="" w s err
  for ((k = 0; k < repeat; k++)); do
    err=$({ TIMEFORMAT=%R; time "$baseline" "$input" /dev/null; } 2>&1)
    s=$(sed -n 's/.*sort \([0-9.]*\) s.*/\1/p' <<<"$err")
    w=$(tail -n 1 <<<"$err")
    if [[ -z $best_w ]] || awk -v a="$w" -v b="$best_w" 'BEGIN { exit !(a < b) }'; then best_w=$w; fi
    if [[ -z $best_s ]] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
  done
  echo "$best_w $best_s"
}
best_dcsort() {  # best_dcsort RANKS METHOD
  local n=$1 method=$2 best_w="" best_s="" w s out
  for ((k = 0; k < repeat; k++)); do
    out=$({ TIMEFORMAT=%R; time "${run[@]}" -n "$n" "$bin/dcsort" "$input" --method "$method" --format json; } 2>&1)
    s=$(sed -n 's/.*"sort":\([0-9.e-]*\).*/\1/p' <<<"$out" | head -n 1)
    s=$(awk -v x="$s" 'BEGIN { printf "%.3f", x }')
    w=$(tail -n 1 <<<"$out")
    grep -q '"permutation":true' <<<"$out" && grep -q '"sorted":true' <<<"$out" || {
      echo "dcsort -n $n did not verify: $out" >&2
      exit 1
    }
    if [[ -z $best_w ]] || awk -v a="$w" -v b="$best_w" 'BEGIN { exit !(a < b) }'; then best_w=$w; fi
    if [[ -z $best_s ]] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
  done
  echo "$best_w $best_s"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# How many cores are really ours now (others' jobs share the machine): one sort of 4M keys
# alone, then two at once.
probe=$work/probe.bin
head -c 32000000 "$input" >"$probe"
sort_s() { "$baseline" "$probe" /dev/null 2>&1 | sed -n 's/.*sort \([0-9.]*\) s.*/\1/p'; }
one=$(sort_s)
two=$({ sort_s & sort_s & wait; } | sort -n | tail -n 1)
echo "free cores: $(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.1f", 2 * a / b }') (one 4M-key sort alone ${one} s, two at once ${two} s)"
echo "$keys keys ($(stat -c %s "$input") bytes); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); best of $repeat"
read -r std_w std_s < <(best_std)
echo
echo "| program | ranks | whole run (s) | sort (s) | speed-up, whole run | speed-up, sort |"
echo "|---|---|---|---|---|---|"
echo "| std::sort, one process | 1 | $std_w | $std_s | 1.00 | 1.00 |"
for method in tree sample; do
  for n in 1 2; do
    read -r w s < <(best_dcsort "$n" "$method")
    echo "| dcsort --method $method | $n | $w | $s | $(ratio "$std_w" "$w") | $(ratio "$std_s" "$s") |"
  done
done
