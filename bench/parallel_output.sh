#!/usr/bin/env bash
# wordcount --top 0 -o FILE written by every rank (io/shared_output.hpp) against the mother-only
# path it replaced (the whole vocabulary gathered on rank 0, formatted and written there), at 2
# ranks, on the same corpus in the same run, as ratios.
#   bench/parallel_output.sh [DISTINCT] [REPEAT]     (default 10000000 distinct words, best of 1)
# The corpus: DISTINCT distinct words (w0, w1, ...), word i written 1 + i % 3 times, shuffled in
# blocks, generated once with Python. The old path is the same binary with
# MRKIT_BENCH_GATHER_ALL=1 (main.cpp: --top 0 gathers on the mother as before this change), so
# both runs share everything but the output. The two outputs are compared byte for byte. Columns:
# wall clock (start-up included) and the largest resident set of rank 0 and of rank 1 (GNU time's
# %M, in MiB). Not a test: the numbers depend on the machine and its load; compare the ratios.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
distinct=${1:-10000000}
repeat=${2:-1}
ranks=2
bin=${MRKIT_BIN:-$root/build/bin}
run=("$root/scripts/mpirun-laptop")
work=${MRKIT_BENCH_DIR:-$(mktemp -d /tmp/mrkit-parallel-output-XXXXXX)}
trap '[[ -z ${MRKIT_BENCH_DIR:-} ]] && rm -rf "$work"' EXIT
source "$root/bench/common.sh"

input=$work/words-$distinct.txt
if [[ ! -s $input ]]; then
  /usr/bin/python3 - "$distinct" "$input" <<'EOF'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(1)
block = 1 << 16
with open(path, "w") as f:
    for start in range(0, n, block):
        words = []
        for i in range(start, min(n, start + block)):
            words += [f"w{i}"] * (1 + i % 3)
        rng.shuffle(words)
        f.write("\n".join(" ".join(words[k:k + 12]) for k in range(0, len(words), 12)) + "\n")
EOF
fi
cat "$input" >/dev/null  # warm the page cache

# best of REPEAT runs: prints "WALL RSS0_MIB RSS1_MIB" (the RSS of the fastest run)
best_run() {  # best_run OUTPUT [ENV=VALUE...]
  local out=$1 best_w="" best_line="" w err line
  shift
  for ((k = 0; k < repeat; k++)); do
    err=$({ TIMEFORMAT=%R; time env "$@" "${run[@]}" -n "$ranks" /usr/bin/time -f "maxrss %M" \
      "$bin/wordcount" --top 0 -o "$out" "$input"; } 2>&1) || {
      echo "parallel_output: wordcount failed ($*): $err" >&2
      exit 1
    }
    w=$(tail -n 1 <<<"$err")
    # GNU time prints one line per rank, in no set order: the largest and the smallest.
    line=$(grep '^maxrss' <<<"$err" | awk '{ print $2 }' | sort -n |
      awk '{ v[NR] = $1 } END { printf "%.0f %.0f", v[NR] / 1024, v[1] / 1024 }')
    if [[ -z $best_w ]] || awk -v a="$w" -v b="$best_w" 'BEGIN { exit !(a < b) }'; then
      best_w=$w
      best_line=$line
    fi
  done
  echo "$best_w $best_line"
}

new=$(best_run "$work/new.txt")
old=$(best_run "$work/old.txt" MRKIT_BENCH_GATHER_ALL=1)
read -r new_w new_big new_small <<<"$new"
read -r old_w old_big old_small <<<"$old"
if ! cmp -s "$work/new.txt" "$work/old.txt"; then
  echo "parallel_output: the two outputs differ" >&2
  exit 1
fi
size=$(stat -c %s "$work/new.txt")
echo "wordcount --top 0 -o FILE at $ranks ranks: $distinct distinct words, $((size >> 20)) MiB of output (best of $repeat)"
printf '%-28s %10s %18s %18s\n' "path" "seconds" "larger rank MiB" "smaller rank MiB"
printf '%-28s %10s %18s %18s\n' "mother gathers (before)" "$old_w" "$old_big" "$old_small"
printf '%-28s %10s %18s %18s\n' "every rank writes (now)" "$new_w" "$new_big" "$new_small"
echo "speed-up (before / now): $(ratio "$old_w" "$new_w")x; largest rank's memory (now / before): $(ratio "$new_big" "$old_big")"
