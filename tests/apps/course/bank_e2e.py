#!/usr/bin/env python3
"""End-to-end test of the mrkit `bank` program (the course's race condition).

Usage (registered in CTest once per rank count P = 1, 2, 3, 4):

    /usr/bin/python3 tests/apps/course/bank_e2e.py --bin build/bin/bank --ranks P --mpiexec mpiexec

What is checked, for the given rank count:
  1. --format json is exactly {"mode", "expected", "final_balances", "lost_updates",
     "ns_per_op"}; lock and atomic end every repeat at exactly 100 and lose nothing;
  2. unsafe reports lost_updates == sum(|expected - final|) over its repeats, loses nothing
     with one rank, and (P > 1) loses updates in at least one of a few runs;
  3. the text output tells the course's story: one "Final balance = N" line per repeat;
  4. -o writes the same report to a file; bad --mode / --iterations exit 2 with one line;
  5. --stats=json: one JSON object on stderr (program, ranks == P, one entry per rank in rank
     order, shares summing to 1), --stats: a table with one row per rank, and in both the
     report on stdout is the one printed without --stats (all but its ns per operation).

The last line printed is `N passed, N failed`; the exit status is non-zero on any failure.
"""

import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

KEYS = {"mode", "expected", "final_balances", "lost_updates", "ns_per_op"}


def deterministic(p, fmt):
    """The report on stdout without its timing: the JSON without ns_per_op (which must be
    there), or the text with the number of ns per operation replaced."""
    if fmt == "json":
        j = e2e.json_or(p.out, {})
        return {k: v for k, v in j.items() if k != "ns_per_op"} if "ns_per_op" in j else None
    text, n = re.subn(r"(?m)^\d+(\.\d+)? ns per operation$", "N ns per operation", p.stdout)
    return text if n == 1 else None


def main():
    a = e2e.mpi_arguments(__doc__.split("\n")[0]).parse_args()
    res = e2e.Results()
    run = e2e.Runner(a.bin, a.mpiexec, a.ranks, timeout=240, fast_kill=True).run

    def report(args):
        p = run(args + ["--format", "json"])
        return p, e2e.json_or(p.out, {})

    for mode in ("lock", "atomic"):
        p, j = report(["--mode", mode, "--iterations", "2000", "--repeat", "4"])
        res.check(f"{mode}: exactly the five keys", set(j) == KEYS, p.describe())
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
        honest = honest and p.rc == 0 and len(balances) == 3 and \
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
    lines = p.stdout.splitlines()
    res.check("text: the course's ten 'Final balance = 100' lines",
              lines[:10] == ["Final balance = 100"] * 10 and "ns per operation" in lines[-1],
              p.stdout)
    with tempfile.TemporaryDirectory(prefix="bank-e2e-") as tmp:
        out = os.path.join(tmp, "report.json")
        p = run(["--mode", "lock", "--iterations", "50", "--repeat", "2", "--format", "json", "-o", out])
        try:
            with open(out) as f:
                j = json.load(f)
        except (OSError, ValueError):
            j = {}
        res.check("-o writes the report", p.rc == 0 and p.out == b"" and
                  j.get("final_balances") == [100, 100], p.describe())

    for name, args, text in (("bad --mode", ["--mode", "careful"], "bank: --mode: expected one of unsafe|lock|atomic"),
                             ("bad --iterations", ["--iterations", "-4"], "bank: --iterations: expected a whole number"),
                             ("bad --repeat", ["--repeat", "0"], "bank: --repeat: expected a whole number")):
        p = run(args, direct=a.ranks == 1)
        res.check(f"{name}: exit 2, one line", e2e.said_once(p, "bank", 2, starts=text),
                  p.describe())
    e2e.check_rank_stats(res, run, "bank", a.ranks,
                         ["--mode", "lock", "--iterations", "2000", "--repeat", "3"],
                         deterministic, " (but ns per operation)")
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
