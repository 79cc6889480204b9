#!/usr/bin/env bash
# --checkpoint: a run killed part-way resumes, redoes only unfinished tasks, and prints exactly
# what an uninterrupted run prints; a changed input or changed options are refused.
# Usage: checkpoint_e2e.sh WORDCOUNT RANKS MPIEXEC
set -u
bin=$1 ranks=$2 mpiexec=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
/usr/bin/python3 -c "
import random
r = random.Random(9)
words = [('w%d' % i).encode() for i in range(20000)] + [b'The', b'the', b'THE']
for k in range(3):
    with open('$work/in/part%d.txt' % k, 'wb') as f:
        f.write(b' '.join(r.choice(words) for _ in range(300000 + 50000 * k)))
"
passed=0 failed=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
ok() { echo "ok   $*"; passed=$((passed + 1)); }
args=(--top 0 -i --format tsv --split-bytes 20000)
"$bin" "${args[@]}" "$work/in" >"$work/reference.tsv" || fail "reference run"

ck=$work/ck
"$mpiexec" -n "$ranks" "$bin" "${args[@]}" --checkpoint "$ck" "$work/in" >"$work/killed.tsv" 2>/dev/null &
launcher=$!
for _ in $(seq 500); do  # wait (up to 10 s) until a few tasks are recorded, then kill the job
  n=$(find "$ck" -name 'task-*.done' 2>/dev/null | wc -l)
  ((n >= 5)) && break
  sleep 0.02
done
pkill -9 -f -- "--checkpoint $ck" 2>/dev/null
wait "$launcher" 2>/dev/null
done_before=$(find "$ck" -name 'task-*.done' | wc -l)
total=$(( ($(cat "$work"/in/* | wc -c) + 19999) / 20000 ))
if ((done_before > 0 && done_before < total)); then ok "killed with $done_before of $total tasks recorded"
else fail "expected a partial checkpoint, found $done_before of $total tasks"; fi

"$mpiexec" -n "$ranks" "$bin" "${args[@]}" --checkpoint "$ck" "$work/in" >"$work/resumed.tsv" 2>"$work/resumed.err"
rc=$?
if [[ $rc == 0 ]] && cmp -s "$work/reference.tsv" "$work/resumed.tsv"; then ok "resumed output identical to an uninterrupted run"
else fail "resumed run: exit $rc, output differs"; diff "$work/reference.tsv" "$work/resumed.tsv" | head -5; fi
if grep -q "resumed from checkpoint: $done_before of $total tasks" "$work/resumed.err"; then ok "$(cat "$work/resumed.err")"
else fail "no resume message: $(cat "$work/resumed.err")"; fi

"$bin" "${args[@]}" --checkpoint "$ck" "$work/in" >"$work/again.tsv" 2>/dev/null
if cmp -s "$work/reference.tsv" "$work/again.tsv"; then ok "a complete checkpoint gives the same output again"; else fail "re-run differs"; fi

"$bin" --top 0 --format tsv --split-bytes 20000 --checkpoint "$ck" "$work/in" >/dev/null 2>"$work/opt.err"
rc=$?
if [[ $rc == 3 ]] && grep -q "different run" "$work/opt.err"; then ok "changed options refused (exit 3)"; else fail "changed options: exit $rc $(cat "$work/opt.err")"; fi

touch -d '2001-01-01' "$work/in/part1.txt"
"$bin" "${args[@]}" --checkpoint "$ck" "$work/in" >/dev/null 2>"$work/input.err"
rc=$?
if [[ $rc == 3 ]] && grep -q "different run" "$work/input.err"; then ok "changed input refused (exit 3)"; else fail "changed input: exit $rc $(cat "$work/input.err")"; fi
echo "$passed passed, $failed failed"
((failed == 0))
