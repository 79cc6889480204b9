#!/usr/bin/env bash
# A failure on any rank ends the whole job promptly, with one message naming the rank and a
# non-zero exit; a collective error exits cleanly with its code. Usage: runtime_e2e.sh PROBE RANKS MPIEXEC
set -u
probe=$1 ranks=$2 mpiexec=$3
passed=0 failed=0
check() {  # check NAME EXPECTED_RC STDERR_PATTERN -- command...
  local name=$1 want_rc=$2 pattern=$3
  shift 4
  local start end rc err
  err=$(mktemp)
  start=$(date +%s.%N)
  timeout 30 "$@" >/dev/null 2>"$err"
  rc=$?
  end=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  if [[ $rc == 124 ]]; then
    echo "FAIL $name: hung (killed after 30 s)"; failed=$((failed + 1))
  elif [[ $want_rc == nonzero && $rc == 0 ]] || [[ $want_rc != nonzero && $rc != "$want_rc" ]]; then
    echo "FAIL $name: exit $rc, expected $want_rc"; cat "$err"; failed=$((failed + 1))
  elif [[ -n $pattern ]] && ! grep -Eq -- "$pattern" "$err"; then
    echo "FAIL $name: stderr lacks /$pattern/:"; cat "$err"; failed=$((failed + 1))
  else
    echo "ok   $name (exit $rc in ${secs} s)"; passed=$((passed + 1))
  fi
  rm -f "$err"
}
last=$((ranks - 1))
check "ok" 0 "" -- "$mpiexec" -n "$ranks" "$probe" ok
check "exception on the last rank" nonzero "runtime_probe: error on rank $last \(.+\): disk on fire" \
  -- "$mpiexec" -n "$ranks" "$probe" throw "$last"
check "exception on the mother" nonzero "runtime_probe: error on rank 0 \(.+\): disk on fire" \
  -- "$mpiexec" -n "$ranks" "$probe" throw 0
check "abort() on the last rank" nonzero "" -- "$mpiexec" -n "$ranks" "$probe" abort "$last"
check "collective usage error" 2 "^runtime_probe: --frobnicate is not an option$" \
  -- "$mpiexec" -n "$ranks" "$probe" usage
n_lines=$("$mpiexec" -n "$ranks" "$probe" usage 2>&1 >/dev/null | grep -c '^runtime_probe:')
if [[ $n_lines == 1 ]]; then echo "ok   usage error printed once"; passed=$((passed + 1));
else echo "FAIL usage error printed $n_lines times"; failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
