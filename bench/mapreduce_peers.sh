#!/usr/bin/env bash
# mrkit's word count against two map-reduce peers on the same corpus, best of REPEAT runs,
# as ratios to GNU wc -w measured in the same run (issue 16, "Speed"):
#   bench/mapreduce_peers.sh CORPUS [RANKS...]      (default ranks: 1 2)
#   - mrkit    build/bin/wordcount --top 10 CORPUS
#   - MR-MPI   examples/wordfreq (MapReduce-MPI, Sandia): map over a list of files, collate,
#              reduce, then the 10 most frequent words
#   - Thrill   examples/word_count/word_count_run (KIT): ReadLines, FlatMap, ReduceByKey
# all under scripts/mpirun-laptop -n N (the same mpirun options for all). Build the peers with
# bench/peers/build_peers.sh; a peer whose binary is absent is skipped with one line.
# Environment:
#   REPEAT=3                 runs per measurement (the best one counts)
#   MRKIT_BIN=build/bin      where wordcount is (copied with its libmrkit*.so at the start, so a
#                            rebuild of the shared build dir during the run changes nothing;
#                            libmrkit*.so.* in MRKIT_BIN itself come first)
#   PEERS_PREFIX=/work/peers/build, MRMPI_WORDFREQ=$PEERS_PREFIX/bin/mrmpi-wordfreq,
#   THRILL_WORDCOUNT=$PEERS_PREFIX/bin/thrill-word_count_run
#   MRMPI_PARTS=8            MR-MPI's wordfreq maps one task per file (it reads each file whole):
#                            it gets the corpus cut at line ends into this many files, so that
#                            every rank has work; mrkit and Thrill get the one file
#   KJV_MB=440               when CORPUS does not exist, it is made: the King James Bible of
#                            Debian's bible-kjv (bible -f Gen1:1-Rev22:21) repeated to KJV_MB MB
# Choices that make the work equal: Thrill runs on its MPI backend with one worker thread per
# rank (THRILL_WORKERS_PER_HOST=1; Thrill adds its own communication thread), as mrkit and
# MR-MPI run one thread per rank; and, for reference, without MPI as one process of N worker
# threads (THRILL_LOCAL=1 THRILL_WORKERS_PER_HOST=N), its best case on one machine. Before timing, one run of each program at each rank count is
# checked: its word total against wc -w and its 10 most frequent words against mrkit's.
# Not a test: compare the ratios, not the seconds; run it when the machine is otherwise idle.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if (($# < 1)); then
  echo "usage: bench/mapreduce_peers.sh CORPUS [RANKS...]" >&2
  exit 2
fi
corpus=$1
shift
ranks=("$@")
((${#ranks[@]} > 0)) || ranks=(1 2)
repeat=${REPEAT:-3}
bin=${MRKIT_BIN:-$root/build/bin}
prefix=${PEERS_PREFIX:-/work/peers/build}
mrmpi=${MRMPI_WORDFREQ:-$prefix/bin/mrmpi-wordfreq}
thrill=${THRILL_WORDCOUNT:-$prefix/bin/thrill-word_count_run}
parts=${MRMPI_PARTS:-8}
run=("$root/scripts/mpirun-laptop")
work=$(mktemp -d "${TMPDIR:-/tmp}/mapreduce_peers.XXXXXX")
trap 'rm -rf "$work"' EXIT

# shellcheck source=bench/common.sh
source "$root/bench/common.sh"

if [[ ! -e $corpus ]]; then
  kjv_mb=${KJV_MB:-440}
  bible -f Gen1:1-Rev22:21 >"$work/kjv1.txt"
  unit=$(stat -c %s "$work/kjv1.txt")
  copies=$(((kjv_mb * 1000000 + unit - 1) / unit))
  for ((i = 0; i < copies; i++)); do cat "$work/kjv1.txt"; done >"$corpus"
  echo "made $corpus: $copies copies of the KJV ($unit bytes)"
fi
corpus=$(realpath "$corpus")
bytes=$(stat -c %s "$corpus")

# The programs, each skipped with one line when absent.
mkdir -p "$work/mrkit"
if [[ ! -x $bin/wordcount ]]; then
  echo "mapreduce_peers: no $bin/wordcount: build it first" >&2
  exit 1
fi
cp "$bin/wordcount" "$work/mrkit/"
mapfile -t libs < <(LD_LIBRARY_PATH=$bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
  ldd "$bin/wordcount" 2>/dev/null | awk '$1 ~ /^libmrkit/ { print $3 }')
((${#libs[@]} == 0)) || cp -L "${libs[@]}" "$work/mrkit/"
mrkit=(env "LD_LIBRARY_PATH=$work/mrkit" "$work/mrkit/wordcount" --top 10)
if ! "${mrkit[@]}" --version >/dev/null 2>&1; then
  echo "mapreduce_peers: $bin/wordcount does not run (being rebuilt?): try again" >&2
  exit 1
fi
have_mrmpi=0 have_thrill=0
if [[ -x $mrmpi ]]; then
  have_mrmpi=1
  mkdir -p "$work/parts"
  split -n "l/$parts" -d -a 3 "$corpus" "$work/parts/part."
else
  echo "MR-MPI skipped: no $mrmpi (bench/peers/build_peers.sh, or set MRMPI_WORDFREQ)"
fi
if [[ -x $thrill ]]; then
  have_thrill=1
else
  echo "Thrill skipped: no $thrill (bench/peers/build_peers.sh, or set THRILL_WORDCOUNT)"
fi
# shellcheck disable=SC2317  # also called as "$1" of thrill_summary
thrill_cmd() { # RANKS [ARGS...]: Thrill on MPI, one worker thread per rank
  local n=$1
  shift
  THRILL_WORKERS_PER_HOST=1 "${run[@]}" -n "$n" -x THRILL_WORKERS_PER_HOST "$thrill" "$@" "$corpus"
}
# Thrill's MPI backend polls MPI in a thread of its own per rank (MPI_Iprobe/MPI_Testsome in a
# loop), a busy thread besides the worker. For reference, Thrill as it runs best on one
# machine: one process, no MPI, N worker threads (THRILL_LOCAL=1: one host, shared memory).
# shellcheck disable=SC2317  # also called as "$1" of thrill_summary
thrill_local_cmd() { # THREADS [ARGS...]
  local n=$1
  shift
  THRILL_LOCAL=1 THRILL_WORKERS_PER_HOST=$n "$thrill" "$@" "$corpus"
}
# MR-MPI writes its pages to the current directory when they overflow memory: run it in $work.
mrmpi_cmd() { (cd "$work" && "${run[@]}" -n "$1" "$mrmpi" "$work"/parts/part.*); }

# Warm the page cache: we measure counting, not the disk.
cat "$corpus" >/dev/null
((have_mrmpi)) && cat "$work"/parts/part.* >/dev/null
resident=$(fincore --bytes --noheadings --output RES "$corpus" 2>/dev/null || echo "?")
other_space=$(LC_ALL=C grep -c $'[\t\r\v\f]' "$corpus" || true)
echo "corpus: $corpus, $bytes bytes ($resident in the page cache); $(nproc) cores;" \
  "best of $repeat"
echo "mrkit: $bin/wordcount, commit $(git -C "$root" rev-parse --short HEAD)" \
  "($(git -C "$root" status --porcelain -- lib apps | wc -l) files in lib/ and apps/ differ from it)"
echo "load average at the start: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "lines with white space other than space and newline (tab, CR, VT, FF): $other_space"

# Checks: the same total as wc -w and the same top 10 as mrkit, at every rank count.
# Each program's result as "total N" and its top words as "COUNT WORD" lines, sorted.
words=$(wc -w <"$corpus")
mrkit_summary() {
  "${run[@]}" -n "$1" "${mrkit[@]}" --no-files --format tsv "$corpus" |
    awk -F '\t' '$1 == "total" { print "total", $2 } $1 == "word" { print $2, $3 }' | sort
}
mrmpi_summary() {
  mrmpi_cmd "$1" 2>/dev/null | tee "$work/mrmpi.out" |
    awk '/ total words, / { print "total", $1 } /^[0-9]+ [^ ]+$/' | sort
}
thrill_summary() { # COMMAND RANKS
  rm -f "$work"/thrill-out*
  "$1" "$2" -o "$work/thrill-out" >/dev/null 2>&1
  cat "$work"/thrill-out* | awk '{ c = $NF; w = substr($0, 1, length($0) - length(c) - 2)
    total += c; print c, w } END { print "total", total }' |
    sort -k1,1nr | awk '$1 == "total" || n++ < 10' | sort
}
failed=0
check() { # NAME RANKS SUMMARY_FILE
  local got_total
  got_total=$(awk '$1 == "total" { print $2 }' "$3")
  if [[ $got_total != "$words" ]]; then
    echo "check: $1 at $2 ranks counts $got_total words, wc -w $words: NOT THE SAME WORK"
    failed=1
  elif ! diff <(grep -v '^total' "$3") <(grep -v '^total' "$work/mrkit.1") >/dev/null; then
    echo "check: $1 at $2 ranks: total $got_total as wc -w, but other top 10 words than mrkit"
    failed=1
  else
    echo "check: $1 at $2 ranks: total $got_total words as wc -w, the same top 10 as mrkit"
  fi
}
mrkit_summary 1 >"$work/mrkit.1"
for n in "${ranks[@]}"; do
  mrkit_summary "$n" >"$work/mrkit.n"
  check mrkit "$n" "$work/mrkit.n"
  if ((have_mrmpi)); then
    mrmpi_summary "$n" >"$work/mrmpi.n"
    check MR-MPI "$n" "$work/mrmpi.n"
    # its memory pages and whether they overflowed to disk ("max file size")
    echo "  MR-MPI's own report: $(grep -m1 '^MR stats' "$work/mrmpi.out" || true)"
  fi
  if ((have_thrill)); then
    thrill_summary thrill_cmd "$n" >"$work/thrill.n"
    check Thrill "$n" "$work/thrill.n"
    thrill_summary thrill_local_cmd "$n" >"$work/thrill.n"
    check "Thrill (local threads)" "$n" "$work/thrill.n"
  fi
done
echo "mrkit's top 10 (count word): $(grep -v '^total' "$work/mrkit.1" | sort -nr | tr '\n' ' ')"

# Timing, each rank count in turn: mrkit, MR-MPI, Thrill.
t_wc=$(best wc -w "$corpus")
rows=()
for n in "${ranks[@]}"; do
  t_mrkit=$(best "${run[@]}" -n "$n" "${mrkit[@]}" "$corpus")
  rows+=("mrkit|$n|$t_mrkit|$(ratio "$t_mrkit" "$t_wc")|1.00")
  if ((have_mrmpi)); then
    t=$(best mrmpi_cmd "$n")
    rows+=("MR-MPI wordfreq|$n|$t|$(ratio "$t" "$t_wc")|$(ratio "$t" "$t_mrkit")")
  fi
  if ((have_thrill)); then
    t=$(best thrill_cmd "$n")
    rows+=("Thrill WordCount|$n|$t|$(ratio "$t" "$t_wc")|$(ratio "$t" "$t_mrkit")")
    t=$(best thrill_local_cmd "$n")
    rows+=("Thrill, no MPI (1 process, threads = ranks)|$n|$t|$(ratio "$t" "$t_wc")|$(ratio "$t" "$t_mrkit")")
  fi
done

echo "load average at the end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo
echo "| program | ranks | seconds | x wc -w | mrkit's speed-up (its s / mrkit's s) |"
echo "|---|---:|---:|---:|---:|"
echo "| wc -w | 1 | $t_wc | 1.00 | |"
for row in "${rows[@]}"; do
  IFS='|' read -r name n t x up <<<"$row"
  echo "| $name | $n | $t | $x | $up |"
done
exit "$failed"
