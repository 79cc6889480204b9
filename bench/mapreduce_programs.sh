#!/usr/bin/env bash
# The map-reduce programs' throughput (issue 16) against baselines measured in the same run:
#   ngrams -n 2 --top 0   against  Python's collections.Counter over bytes.split() bigrams
#   groupby --key 5 --sum 6 (a generated access log, TSV)
#                         against  awk -F'\t' '{c[$5]++; s[$5]+=$6}' and a Python dict loop
# each at 1 and 2 ranks, best of REPEAT, as MB/s and as ratios (baseline time / mrkit time).
#   bench/mapreduce_programs.sh [SIZE_MB] [REPEAT]   (default 44 MB, best of 3)
# Corpora: the King James Bible (`bible -f Gen1:1-Rev22:21`, Debian's bible-kjv; skipped when
# absent) and the machine's licence texts, each repeated to SIZE_MB. Each program's output is
# checked against its baseline's first (same bigram counts; same per-status counts and sums).
# Not a test: numbers depend on the machine and its load; compare the ratios.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size_mb=${1:-44}
repeat=${2:-3}
bin=${MRKIT_BIN:-$root/build/bin}
run=("$root/scripts/mpirun-laptop")
work=${MRKIT_BENCH_DIR:-$(mktemp -d)}
trap '[[ -z ${MRKIT_BENCH_DIR:-} ]] && rm -rf "$work"' EXIT
# shellcheck source=bench/common.sh
source "$root/bench/common.sh"

repeat_to() {  # repeat_to UNIT OUT: UNIT repeated to size_mb
  local unit=$1 out=$2 n
  n=$(((size_mb * 1000000 + $(stat -c %s "$unit") - 1) / $(stat -c %s "$unit")))
  for ((i = 0; i < n; i++)); do cat "$unit"; done >"$out"
}
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }

cat /usr/share/common-licenses/* >"$work/lic1.txt"
repeat_to "$work/lic1.txt" "$work/licences.txt"
corpora=("$work/licences.txt")
if command -v bible >/dev/null; then
  bible -f Gen1:1-Rev22:21 >"$work/kjv1.txt"
  repeat_to "$work/kjv1.txt" "$work/kjv.txt"
  corpora=("$work/kjv.txt" "${corpora[@]}")
else
  echo "note: bible (Debian's bible-kjv) not installed: the KJV corpus is skipped"
fi

cat >"$work/bigrams.py" <<'PY'
import collections, sys
c = collections.Counter()
for path in sys.argv[1:]:
    w = open(path, "rb").read().split()
    c.update(zip(w, w[1:]))
for (a, b), n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])):
    sys.stdout.buffer.write(b"%d\t%s %s\n" % (n, a, b))
PY
cat >"$work/groupby.py" <<'PY'
import sys
count, total = {}, {}
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        for line in f:
            fields = line.rstrip(b"\n").split(b"\t")
            k = fields[4]
            count[k] = count.get(k, 0) + 1
            total[k] = total.get(k, 0) + int(fields[5])
for k in sorted(count):
    sys.stdout.buffer.write(b"%s\t%d\t%d\n" % (k, count[k], total[k]))
PY

echo "# map-reduce programs, $(date -u +%F) commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), best of $repeat"
echo
echo "| job | corpus | MB | baseline | baseline s | ranks | mrkit s | mrkit MB/s | baseline s / mrkit s |"
echo "|---|---|---|---|---|---|---|---|---|"
for corpus in "${corpora[@]}"; do
  bytes=$(stat -c %s "$corpus")
  cat "$corpus" >/dev/null
  name=$(basename "$corpus" .txt)
  # Same answer first: ngrams' TSV is "count<TAB>w1 w2" like the script's.
  python3 "$work/bigrams.py" "$corpus" >"$work/want.tsv"
  "${run[@]}" -n 2 "$bin/ngrams" -n 2 --top 0 --format tsv "$corpus" >"$work/got.tsv"
  if ! cmp -s "$work/want.tsv" "$work/got.tsv"; then
    echo "ngrams differs from Python on $name (see $work/got.tsv): not measured" >&2
    continue
  fi
  t_py=$(best python3 "$work/bigrams.py" "$corpus")
  for n in 1 2; do
    t=$(best "${run[@]}" -n "$n" "$bin/ngrams" -n 2 --top 0 --format tsv "$corpus")
    echo "| ngrams -n 2 --top 0 | $name | $((bytes / 1000000)) | Python Counter | $t_py | $n | $t | $(mbps "$bytes" "$t") | $(ratio "$t_py" "$t") |"
  done
done

# An access log: ip, time, method, path, status, bytes (TSV), ~size_mb, fixed seed.
python3 - "$work/access.tsv" "$size_mb" <<'PY'
import random, sys
rng = random.Random(16)
statuses = [b"200"] * 80 + [b"304"] * 8 + [b"404"] * 6 + [b"301", b"302", b"403", b"500", b"502", b"503"]
paths = [b"/", b"/index.html", b"/api/v1/items", b"/static/app.js", b"/img/logo.png", b"/login"]
target = int(sys.argv[2]) * 1000000
with open(sys.argv[1], "wb") as f:
    written = 0
    while written < target:
        lines = []
        for _ in range(10000):
            lines.append(b"10.%d.%d.%d\t2026-12-03T%02d:%02d:%02d\tGET\t%s\t%s\t%d\n" % (
                rng.randrange(256), rng.randrange(256), rng.randrange(256), rng.randrange(24),
                rng.randrange(60), rng.randrange(60), rng.choice(paths), rng.choice(statuses),
                rng.randrange(100, 100000)))
        chunk = b"".join(lines)
        f.write(chunk)
        written += len(chunk)
PY
log=$work/access.tsv
bytes=$(stat -c %s "$log")
cat "$log" >/dev/null
python3 "$work/groupby.py" "$log" >"$work/want.tsv"
"${run[@]}" -n 2 "$bin/groupby" --key 5 --count --sum 6 --format tsv "$log" >"$work/got.tsv"
# shellcheck disable=SC2016  # awk's own $5 and $6
awk_prog='{ c[$5]++; s[$5] += $6 } END { for (k in c) printf "%s\t%d\t%.0f\n", k, c[k], s[k] }'
LC_ALL=C awk -F'\t' "$awk_prog" "$log" | LC_ALL=C sort >"$work/awk.tsv"
if ! cmp -s "$work/want.tsv" "$work/awk.tsv"; then
  echo "awk differs from Python on the access log" >&2
fi
if ! cmp -s "$work/got.tsv" "$work/want.tsv"; then
  echo "groupby differs from Python on the access log (see $work/got.tsv): compare by hand" >&2
fi
t_py=$(best python3 "$work/groupby.py" "$log")
t_awk=$(best env LC_ALL=C awk -F'\t' "$awk_prog" "$log")
for n in 1 2; do
  t=$(best "${run[@]}" -n "$n" "$bin/groupby" --key 5 --count --sum 6 --format tsv "$log")
  echo "| groupby --key 5 --sum 6 | access log | $((bytes / 1000000)) | Python dict | $t_py | $n | $t | $(mbps "$bytes" "$t") | $(ratio "$t_py" "$t") |"
  echo "| groupby --key 5 --sum 6 | access log | $((bytes / 1000000)) | awk | $t_awk | $n | $t | $(mbps "$bytes" "$t") | $(ratio "$t_awk" "$t") |"
done
