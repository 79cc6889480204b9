#!/usr/bin/env bash
# Two builds of wordcount side by side on the same corpora, alternating, best of 5, each as a
# ratio to GNU wc -w measured in the same run (the machine is shared and noisy: compare ratios).
#   bench/compare_builds.sh OLD_BINDIR NEW_BINDIR CORPUS...
# e.g. a refactoring's "same speed" check: build the old commit in /tmp/old, then
#   bench/compare_builds.sh /tmp/old/build/bin build/bin kjv.txt licences.txt
# (kjv.txt: `bible -f Gen1:1-Rev22:21` from Debian's bible-kjv, repeated to ~200 MB).
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 OLD_BINDIR NEW_BINDIR CORPUS..." >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
old=$1 new=$2
shift 2
run=("$root/scripts/mpirun-laptop")
best() {
  local b=999 s e t
  for _ in 1 2 3 4 5; do
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    b=$(echo "if ($t < $b) $t else $b" | bc)
  done
  echo "$b"
}
echo "| corpus | job | ranks | wc -w s | old s (x wc) | new s (x wc) | new/old time |"
echo "|---|---|---|---|---|---|---|"
for f in "$@"; do
  cat "$f" >/dev/null  # page cache warm: we compare counting, not the disk
  wc=$(best wc -w "$f")
  for job in "--top 10 -i" "--total-only"; do
    for n in 1 2; do
      # shellcheck disable=SC2086  # $job is two or three words on purpose
      o=$(best "${run[@]}" -n "$n" "$old/wordcount" $job "$f")
      # shellcheck disable=SC2086
      w=$(best "${run[@]}" -n "$n" "$new/wordcount" $job "$f")
      printf "| %s | %s | %d | %.3f | %.3f (%.2f) | %.3f (%.2f) | %.3f |\n" "$(basename "$f")" \
        "$job" "$n" "$wc" "$o" "$(echo "$wc/$o" | bc -l)" "$w" "$(echo "$wc/$w" | bc -l)" \
        "$(echo "$w/$o" | bc -l)"
    done
  done
done
