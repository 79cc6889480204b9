#!/usr/bin/env bash
# A worker killed with SIGKILL in the middle of a real run: the job must end within 10 s with
# a message naming the rank and host, a non-zero exit, and the -o file untouched.
# Usage: kill_rank_e2e.sh WORDCOUNT RANKS MPIEXEC
set -u
bin=$1 ranks=$2 mpiexec=$3
if ((ranks < 2)); then echo "needs a worker to kill: skipped at 1 rank"; echo "0 passed, 0 failed"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -c "
import random
r = random.Random(5)
words = [('w%d' % i).encode() for i in range(5000)]
with open('$work/input.txt', 'wb') as f:
    f.write(b' '.join(r.choice(words) for _ in range(600000)))
"
printf 'previous result\n' >"$work/out.json"
victim=$((ranks - 1))
# 1-byte tasks make the run last several seconds.
"$mpiexec" -n "$ranks" "$bin" --schedule static --split-bytes 1 --top 5 --format json \
  -o "$work/out.json" "$work/input.txt" >"$work/stdout" 2>"$work/stderr" &
launcher=$!
pid=""
for _ in $(seq 100); do  # find the victim rank's process (up to 10 s)
  for p in $(pgrep -f -- "$work/input.txt"); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$victim" &&
      [[ $(readlink "/proc/$p/exe") == "$(readlink -f "$bin")" ]]; then pid=$p; fi
  done
  [[ -n $pid ]] && break
  sleep 0.1
done
passed=0 failed=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
ok() { echo "ok   $*"; passed=$((passed + 1)); }
if [[ -z $pid ]]; then
  fail "rank $victim never started"
  kill -9 "$launcher" 2>/dev/null
else
  sleep 0.5
  kill -9 "$pid"
  start=$(date +%s.%N)
  timeout 30 tail --pid="$launcher" -f /dev/null
  wait "$launcher"
  rc=$?
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if awk -v s="$secs" 'BEGIN { exit !(s < 10) }'; then ok "job ended ${secs} s after SIGKILL of rank $victim"; else fail "job took ${secs} s to end"; fi
  if [[ $rc != 0 ]]; then ok "exit code $rc"; else fail "exit code 0 after a killed rank"; fi
  if [[ $(cat "$work/out.json") == "previous result" ]]; then ok "output file untouched"; else fail "output file changed"; fi
  if [[ -z $(find "$work" -name '.out.json.*') ]]; then ok "no temporary file left"; else fail "temporary file left"; fi
  if grep -Eq "rank $victim .*(node|on) [^ ]+.*(signal 9|Killed)" "$work/stderr"; then
    ok "message names rank $victim and its host: $(grep -E "rank $victim" "$work/stderr" | head -1 | sed 's/^ *//')"
  else
    fail "no message naming rank $victim:"; cat "$work/stderr"
  fi
fi
echo "$passed passed, $failed failed"
((failed == 0))
