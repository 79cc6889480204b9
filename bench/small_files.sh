#!/usr/bin/env bash
# Many small files against one big file holding the same bytes, measured in the same run.
#   bench/small_files.sh [FILES] [REPEAT]     (default 100000 files of ~4 KB, best of 3)
#   MRKIT_BENCH_COLD=1 bench/small_files.sh   also: files not in the page cache (root only: it
#                                             drops the machine's page cache before each run)
# The files are the machine's license texts (/usr/share/common-licenses) cut at white space
# into ~4 KB pieces, in 100 directories; the big file is their concatenation, so both hold the
# same words. Prints the time of each and the ratio small / big (the goal: within 2x). Not a
# test: numbers depend on the machine and its load; compare the ratios, not the seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
files=${1:-100000}
repeat=${2:-3}
bin=${MRKIT_BIN:-$root/build/bin}
bench_bin=${MRKIT_BENCH_BIN:-$root/build/bench}  # read_files
run=("$root/scripts/mpirun-laptop")
work=${MRKIT_BENCH_DIR:-$(mktemp -d)}
trap '[[ -z ${MRKIT_BENCH_DIR:-} ]] && rm -rf "$work"' EXIT

if [[ ! -s $work/one_big.txt || $(find "$work/small" -type f 2>/dev/null | wc -l) != "$files" ]]; then
  rm -rf "$work/small" "$work/one_big.txt"
  /usr/bin/python3 - "$work" "$files" <<'EOF'
import glob, os, sys
work, files = sys.argv[1], int(sys.argv[2])
data = b"".join(open(p, "rb").read() for p in sorted(glob.glob("/usr/share/common-licenses/*"))
                if os.path.isfile(p))
pos = 0
with open(os.path.join(work, "one_big.txt"), "wb") as big:
    for n in range(files):
        end = pos + 4096
        if end >= len(data):
            pos, end = 0, 4096
        while data[end:end + 1] not in (b" ", b"\n"):
            end += 1
        piece = data[pos:end + 1]
        d = os.path.join(work, "small", f"d{n // 1000:03d}")
        if n % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{n:06d}.txt"), "wb") as f:
            f.write(piece)
        big.write(piece)
        pos = end + 1
EOF
fi
bytes=$(stat -c %s "$work/one_big.txt")
cat "$work/one_big.txt" >/dev/null
find "$work/small" -type f -exec cat {} + >/dev/null  # warm the page cache and the inodes

# shellcheck source=bench/common.sh
source "$root/bench/common.sh"
mbps() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.0f", b / t / 1e6 }'; }

echo "$files files of ~4 KB ($bytes bytes) against one file of the same bytes; $(nproc) cores; best of $repeat"
echo
echo "| what | ranks | one file s | MB/s | $files files s | MB/s | files / one file |"
echo "|---|---|---|---|---|---|---|"
for mode in total top; do
  extra=()
  [[ $mode == top ]] && extra=(--top 10 --ignore-case)
  for n in 1 2; do
    t_big=$(best "${run[@]}" -n "$n" "$bin/wordcount" "${extra[@]}" "$work/one_big.txt")
    t_small=$(best "${run[@]}" -n "$n" "$bin/wordcount" "${extra[@]}" "$work/small")
    what="wordcount (total)"
    [[ $mode == top ]] && what="wordcount --top 10 -i"
    echo "| $what | $n | $t_big | $(mbps "$t_big") | $t_small | $(mbps "$t_small") | $(ratio "$t_small" "$t_big") |"
  done
done

echo
echo "Reading alone, no counting (build/bench/read_files: the listing, then open + read + close of"
echo "each file): the kernel's share, which the count of many files cannot go below."
for batched in 1 0; do
  echo "- $(MRKIT_IO_URING=$batched "$bench_bin/read_files" "$work/small" --repeat "$repeat")"
done

if [[ ${MRKIT_BENCH_COLD:-0} == 1 ]]; then
  [[ $(id -u) == 0 ]] || { echo "MRKIT_BENCH_COLD=1 needs root (it drops the page cache)" >&2; exit 2; }
  # best of `repeat` runs, each after dropping the page cache (not timed)
  best_cold() {
    local best_s="" s
    for ((k = 0; k < repeat; k++)); do
      sync
      echo 1 >/proc/sys/vm/drop_caches
      s=$(TIMEFORMAT=%R; { time "$@" >/dev/null 2>&1; } 2>&1)
      if [[ -z $best_s ]] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
    done
    echo "$best_s"
  }
  echo
  echo "Files not in the page cache (dropped before each run), wordcount total, 1 rank:"
  echo
  echo "| files | io_uring batches s | one by one s | one by one / io_uring |"
  echo "|---|---|---|---|"
  t_u=$(best_cold env MRKIT_IO_URING=1 "${run[@]}" -n 1 "$bin/wordcount" "$work/small")
  t_o=$(best_cold env MRKIT_IO_URING=0 "${run[@]}" -n 1 "$bin/wordcount" "$work/small")
  echo "| $files | $t_u | $t_o | $(ratio "$t_o" "$t_u") |"
fi
