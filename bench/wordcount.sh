#!/usr/bin/env bash
# Word count throughput against GNU wc -w, measured in the same run, as ratios.
#   bench/wordcount.sh [SIZE_MB] [REPEAT]     (default 420 MB, best of 3)
# The corpus is the machine's own license texts (/usr/share/common-licenses) repeated to
# SIZE_MB in one file, so one big file must spread over the ranks. Not a test: numbers depend
# on the machine and its load; compare the ratios, not the seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size_mb=${1:-420}
repeat=${2:-3}
bin=${MRKIT_BIN:-$root/build/bin}
bench_bin=${MRKIT_BENCH_BIN:-$root/build/bench}  # scan_bench
run=("$root/scripts/mpirun-laptop")
work=${MRKIT_BENCH_DIR:-$(mktemp -d)}
trap '[[ -z ${MRKIT_BENCH_DIR:-} ]] && rm -rf "$work"' EXIT

corpus=$work/corpus.txt
if [[ ! -s $corpus ]]; then
  cat /usr/share/common-licenses/* >"$work/unit.txt"
  unit=$(stat -c %s "$work/unit.txt")
  copies=$(((size_mb * 1000000 + unit - 1) / unit))
  for ((i = 0; i < copies; i++)); do cat "$work/unit.txt"; done >"$corpus"
fi
bytes=$(stat -c %s "$corpus")
cat "$corpus" >/dev/null  # warm the page cache: we measure counting, not the disk

# shellcheck source=bench/common.sh
source "$root/bench/common.sh"

echo "corpus: $bytes bytes in one file; $(nproc) cores; best of $repeat"
t_wc=$(best wc -w "$corpus")
: >"$work/empty.txt"
t_empty1=$(best "${run[@]}" -n 1 "$bin/wordcount" "$work/empty.txt")
t_empty2=$(best "${run[@]}" -n 2 "$bin/wordcount" "$work/empty.txt")
t_true2=$(best "${run[@]}" -n 2 true)
# The machine's own ceiling for two ranks: the counting kernel (bench/scan_bench, no MPI, file
# in memory) on the whole corpus, then on its two halves in two processes at once. On a shared
# or throttled machine the second core gives well under 2x.
half=$((bytes / 2))
if [[ ! -s $work/half1.txt ]]; then
  head -c "$half" "$corpus" >"$work/half1.txt"
  tail -c +$((half + 1)) "$corpus" >"$work/half2.txt"
fi
kernel_s() { "$bench_bin/scan_bench" "$1" "$repeat" table-i | awk '{ print $(NF-3) }'; }
k_whole=$(kernel_s "$corpus")
kernel_s "$work/half1.txt" >"$work/k1" &
k2=$(kernel_s "$work/half2.txt")
wait
k1=$(cat "$work/k1")
k_halves=$(awk -v a="$k1" -v b="$k2" 'BEGIN { print (a > b ? a : b) }')
rows=()
for mode in "count" "top"; do
  extra=()
  [[ $mode == top ]] && extra=(--top 10 --ignore-case)
  for sched in static dynamic; do
    for n in 1 2; do
      t=$(best "${run[@]}" -n "$n" "$bin/wordcount" --schedule "$sched" "${extra[@]}" "$corpus")
      rows+=("$mode|$sched|$n|$t")
    done
  done
done

mbps() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.0f", b / t / 1e6 }'; }
echo
echo "| what | ranks | schedule | seconds | MB/s | vs wc -w |"
echo "|---|---|---|---|---|---|"
echo "| wc -w | 1 | - | $t_wc | $(mbps "$t_wc") | 1.00 |"
for r in "${rows[@]}"; do
  IFS='|' read -r mode sched n t <<<"$r"
  what="wordcount (total)"
  [[ $mode == top ]] && what="wordcount --top 10 -i"
  echo "| $what | $n | $sched | $t | $(mbps "$t") | $(ratio "$t_wc" "$t") |"
done
echo
for sched in static dynamic; do
  t1="" t2=""
  for r in "${rows[@]}"; do
    IFS='|' read -r mode s n t <<<"$r"
    [[ $mode == top && $s == "$sched" && $n == 1 ]] && t1=$t
    [[ $mode == top && $s == "$sched" && $n == 2 ]] && t2=$t
  done
  echo "--top 10 -i, $sched: 2 ranks are $(ratio "$t1" "$t2")x one rank"
done
echo "the machine's two-core ceiling for that kernel (scan_bench, no MPI): one process on all of"
echo "it ${k_whole} s, two processes on halves at once ${k_halves} s: $(ratio "$k_whole" "$k_halves")x"
echo
echo "start-up: mpirun -n 2 true ${t_true2} s; wordcount on an empty file: 1 rank ${t_empty1} s, 2 ranks ${t_empty2} s"
