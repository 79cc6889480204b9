#!/usr/bin/env python3
"""End-to-end test of the mrkit `bank` program (the course's race condition).

Usage (registered in CTest once per rank count P = 1, 2, 3, 4):

    /usr/bin/python3 tests/e2e/bank_e2e.py --bin build/bin/bank --ranks P --mpiexec mpiexec

What is checked, for the given rank count:
  1. --format json is exactly {"mode", "expected", "final_balances", "lost_updates",
     "ns_per_op"}; lock and atomic end every repeat at exactly 100 and lose nothing;
  2. unsafe reports lost_updates == sum(|expected - final|) over its repeats, loses nothing
     with one rank, and (P > 1) loses updates in at least one of a few runs;
  3. the text output tells the course's story: one "Final balance = N" line per repeat;
  4. -o writes the same report to a file; bad --mode / --iterations exit 2 with one line.

The last line printed is `N passed, N failed`; the exit status is non-zero on any failure.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

for _k, _v in (("OMPI_ALLOW_RUN_AS_ROOT", "1"),
               ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"),
               ("OMPI_MCA_rmaps_base_oversubscribe", "1"),
               ("OMPI_MCA_mpi_yield_when_idle", "1"),
               ("OMPI_MCA_pml", "ob1")):
    os.environ.setdefault(_k, _v)

KEYS = {"mode", "expected", "final_balances", "lost_updates", "ns_per_op"}


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL  {name}" + (f"\n      {detail}" if detail else ""), flush=True)
        return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--ranks", type=int, required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    a = ap.parse_args()
    res = Results()

    def run(args, direct=False):
        argv = ([a.bin] if direct else
                [a.mpiexec, "--mca", "odls_base_sigkill_timeout", "0", "-n", str(a.ranks), a.bin])
        return subprocess.run(argv + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=240)

    def report(args):
        p = run(args + ["--format", "json"])
        try:
            return p, json.loads(p.stdout)
        except ValueError:
            return p, {}

    for mode in ("lock", "atomic"):
        p, j = report(["--mode", mode, "--iterations", "2000", "--repeat", "4"])
        res.check(f"{mode}: exactly the five keys", set(j) == KEYS, p.stdout.decode() + p.stderr.decode())
        res.check(f"{mode}: every balance is 100, nothing lost",
                  j.get("mode") == mode and j.get("expected") == 100 and
                  j.get("final_balances") == [100] * 4 and j.get("lost_updates") == 0 and
                  j.get("ns_per_op", 0) > 0, json.dumps(j))

    lost_any = False
    honest = True
    runs = []
    for _ in range(5):
        p, j = report(["--mode", "unsafe", "--iterations", "10000", "--repeat", "3"])
        balances = j.get("final_balances", [])
        runs.append(balances)
        honest = honest and p.returncode == 0 and len(balances) == 3 and \
            j.get("lost_updates") == sum(abs(100 - b) for b in balances) and set(j) == KEYS
        lost_any = lost_any or j.get("lost_updates", 0) > 0
        if lost_any and a.ranks > 1:
            break
    res.check("unsafe: lost_updates == sum |100 - final|", honest, str(runs))
    if a.ranks == 1:
        res.check("unsafe, one rank: nothing lost", not lost_any, str(runs))
    else:
        res.check("unsafe, several ranks: updates are lost", lost_any, str(runs))

    p = run(["--mode", "atomic", "--iterations", "100", "--repeat", "10"])
    lines = p.stdout.decode().splitlines()
    res.check("text: the course's ten 'Final balance = 100' lines",
              lines[:10] == ["Final balance = 100"] * 10 and "ns per operation" in lines[-1],
              p.stdout.decode())
    with tempfile.TemporaryDirectory(prefix="bank-e2e-") as tmp:
        out = os.path.join(tmp, "report.json")
        p = run(["--mode", "lock", "--iterations", "50", "--repeat", "2", "--format", "json", "-o", out])
        try:
            with open(out) as f:
                j = json.load(f)
        except (OSError, ValueError):
            j = {}
        res.check("-o writes the report", p.returncode == 0 and p.stdout == b"" and
                  j.get("final_balances") == [100, 100], describe(p))

    for name, args, text in (("bad --mode", ["--mode", "careful"], "bank: --mode: expected one of unsafe|lock|atomic"),
                             ("bad --iterations", ["--iterations", "-4"], "bank: --iterations: expected a whole number"),
                             ("bad --repeat", ["--repeat", "0"], "bank: --repeat: expected a whole number")):
        p = run(args, direct=a.ranks == 1)
        mine = [ln for ln in p.stderr.decode().splitlines() if ln.startswith("bank:")]
        res.check(f"{name}: exit 2, one line", p.returncode == 2 and len(mine) == 1 and
                  mine[0].startswith(text), describe(p))

    print(f"{res.passed} passed, {res.failed} failed")
    return 1 if res.failed else 0


def describe(p):
    return f"exit {p.returncode}; stdout {p.stdout[:300]!r}; stderr {p.stderr.decode()[:400]}"


if __name__ == "__main__":
    sys.exit(main())
