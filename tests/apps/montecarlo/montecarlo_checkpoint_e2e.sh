#!/usr/bin/env bash
# montecarlo --checkpoint, for square, pi and integral: a run killed part-way resumes, redoes
# only unfinished tasks and prints exactly what an uninterrupted run prints (but the "seconds"
# it took), also on another rank count; changed options are refused (exit 3), options that do
# not change the result are not; --checkpoint with --time-limit is a usage error (exit 2).
# Usage: montecarlo_checkpoint_e2e.sh MONTECARLO RANKS MPIEXEC [SCALE]
# SCALE divides the work (10 in the sanitizer build, where every draw costs many times more).
set -u
bin=$1 ranks=$2 mpiexec=$3 scale=${4:-1}
seeds=$((50000000 / scale)) pi_samples=$((600000000 / scale)) integral_samples=$((400000000 / scale))
other=$((ranks % 4 + 1))  # another rank count, to resume on
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
ok() { echo "ok   $*"; passed=$((passed + 1)); }
records() { find "$1" -name 'task-*.done' 2>/dev/null | wc -l; }
# The JSON without its wall time, and without the rank count (for runs on other rank counts).
timeless() { sed -E 's/"seconds": [^,]*, //' "$1"; }
rankless() { timeless "$1" | sed -E 's/"ranks": [0-9]+(, )?//'; }

# check NAME ARGS...: one job of montecarlo ARGS, killed, resumed, refused when changed.
check() {
  local name=$1
  shift
  local ck=$work/$name.ck ref=$work/$name.ref
  "$mpiexec" -n "$ranks" "$bin" "$@" --format json >"$ref" 2>"$work/$name.ref.err" ||
    { fail "$name: reference run: $(cat "$work/$name.ref.err")"; return; }

  # Killed once a few tasks are recorded: every process of the job (its own session) at once.
  setsid "$mpiexec" -n "$ranks" "$bin" "$@" --format json --checkpoint "$ck" >/dev/null 2>&1 &
  local job=$!
  for _ in $(seq 1000); do  # up to 20 s
    (($(records "$ck") >= 5)) && break
    sleep 0.02
  done
  pkill -9 -s "$job" 2>/dev/null
  wait "$job" 2>/dev/null
  for _ in $(seq 500); do  # until every rank is gone (up to 10 s)
    pgrep -s "$job" >/dev/null || break
    sleep 0.02
  done
  local before total
  before=$(records "$ck")
  total=$(sed -n 's/^tasks //p' "$ck/manifest" 2>/dev/null | head -1)
  if ((before > 0 && before < ${total:-0})); then ok "$name: killed with $before of $total records"
  else fail "$name: expected a partial checkpoint, found $before of ${total:-?} records"; fi

  # Resumed on as many ranks: the same JSON, byte for byte but the seconds.
  "$mpiexec" -n "$ranks" "$bin" "$@" --format json --checkpoint "$ck" >"$work/$name.resumed" \
    2>"$work/$name.resumed.err"
  local rc=$?
  if [[ $rc == 0 ]] && cmp -s <(timeless "$ref") <(timeless "$work/$name.resumed"); then
    ok "$name: resumed output identical to an uninterrupted run"
  else
    fail "$name: resumed run: exit $rc, output differs"
    diff <(timeless "$ref") <(timeless "$work/$name.resumed") | head -5
  fi
  local said
  said=$(grep -E -o 'resumed from checkpoint: [0-9]+ of [0-9]+ tasks' "$work/$name.resumed.err")
  local k=${said#*: } n
  n=${k#* of }
  n=${n% tasks}
  k=${k%% of*}
  if [[ -n $said ]] && ((k > 0 && k < n)) && [[ $(wc -l <"$work/$name.resumed.err") == 1 ]]; then
    ok "$name: $(cat "$work/$name.resumed.err")"
  else fail "$name: no or bad resume message: $(cat "$work/$name.resumed.err")"; fi

  # Half the records lost (as after another crash), resumed on another rank count.
  find "$ck" -name 'task-*.done' | sort | awk 'NR % 2' | xargs rm -f
  "$mpiexec" -n "$other" "$bin" "$@" --format json --checkpoint "$ck" >"$work/$name.other" \
    2>/dev/null
  rc=$?
  if [[ $rc == 0 ]] && cmp -s <(rankless "$ref") <(rankless "$work/$name.other"); then
    ok "$name: resumed on $other ranks, the same result"
  else
    fail "$name: resumed on $other ranks: exit $rc, output differs"
    diff <(rankless "$ref") <(rankless "$work/$name.other") | head -5
  fi

  # Complete: nothing left to run; --progress, --stats, -o and the rank count are not options
  # of the job.
  "$mpiexec" -n "$ranks" "$bin" "$@" --format json --progress --stats --checkpoint "$ck" \
    -o "$work/$name.again" >/dev/null 2>"$work/$name.again.err"
  rc=$?
  if [[ $rc == 0 ]] && cmp -s <(timeless "$ref") <(timeless "$work/$name.again") &&
    grep -q "resumed from checkpoint: $n of $n tasks" "$work/$name.again.err"; then
    ok "$name: a complete checkpoint (with --progress --stats -o) gives the same output again"
  else fail "$name: complete re-run: exit $rc $(head -3 "$work/$name.again.err")"; fi
}

# refused CODE WORDS NAME ARGS...: exit CODE and one line of ours that holds WORDS.
refused() {
  local code=$1 words=$2 name=$3
  shift 3
  "$mpiexec" -n "$ranks" "$bin" "$@" >"$work/refused.out" 2>"$work/refused.err"
  local rc=$?
  local ours
  ours=$(grep -c "^montecarlo: .*$words" "$work/refused.err")
  if [[ $rc == "$code" && $ours == 1 && ! -s "$work/refused.out" ]]; then
    ok "$name refused (exit $code): $(grep '^montecarlo: ' "$work/refused.err")"
  else fail "$name: exit $rc, stdout $(head -c 200 "$work/refused.out"), $(cat "$work/refused.err")"; fi
}

check square square --seeds "$seeds" --first 1000
check pi pi --samples "$pi_samples" --seed 3
check integral integral --samples "$integral_samples" --seed 11

different="was made by a different run"
refused 3 "$different" "square, another --first" square --seeds "$seeds" --first 1001 \
  --checkpoint "$work/square.ck"
refused 3 "$different" "square, other --seeds" square --seeds $((seeds + 1)) --first 1000 \
  --checkpoint "$work/square.ck"
refused 3 "$different" "pi, another --seed" pi --samples "$pi_samples" --seed 4 \
  --checkpoint "$work/pi.ck"
refused 3 "$different" "pi, other --samples" pi --samples $((pi_samples + 1)) --seed 3 \
  --checkpoint "$work/pi.ck"
refused 3 "$different" "integral in pi's checkpoint" integral --samples "$pi_samples" --seed 3 \
  --checkpoint "$work/pi.ck"
refused 3 "$different" "pi in square's checkpoint" pi --samples "$seeds" \
  --checkpoint "$work/square.ck"
refused 2 "--time-limit" "--checkpoint with --time-limit" pi --samples 1000000 \
  --time-limit 5 --checkpoint "$work/limited.ck"
if [[ ! -e $work/limited.ck ]]; then ok "--time-limit: no checkpoint made"
else fail "--time-limit: a checkpoint directory was made"; fi

if [[ $ranks == 1 ]]; then
  if "$bin" --help | grep -q -- "--checkpoint DIR"; then ok "--help describes --checkpoint"
  else fail "--help does not describe --checkpoint"; fi
fi
echo "$passed passed, $failed failed"
((failed == 0))
