#!/usr/bin/env python3
"""montecarlo --time-limit is obeyed whatever the sample count (issue 13, item 9).

Usage (as registered in CTest, once per rank count P = 1, 2):

    /usr/bin/python3 tests/apps/montecarlo/time_limit_e2e.py --bin build/bin/montecarlo \
        --ranks P --mpiexec /usr/bin/mpiexec

What is checked, for `pi` and `integral` at P ranks:
  1. --time-limit 2 with --samples 10^16 and 18446744073709551615 (2^64 - 1) ends within
     MAX_SECONDS with exit 0 and a valid partial estimate: stopped_early, 0 < samples <
     requested, requested_samples as asked, whole tasks (samples within `tasks` of
     tasks * 2^24), the standard error and the 95% interval recomputed here in Python from the
     samples reported (pi: from the integer hit count 4 * hits / n; integral: the known variance
     of 4 / (1 + x^2), 4 + 2 pi - pi^2), the estimate within 6 standard errors of pi; the text
     output says `Stopped by --time-limit: N of the M samples asked for.`
  2. A time limit that does not strike changes nothing: the same JSON (but seconds) as without.
  3. A tiny limit (0.000001 s) still gives an estimate: the first task always runs.

The last line printed is `N passed, N failed`; the exit status is non-zero on any failure.
"""

import math
import re
import sys

import os  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

MAX_SECONDS = 10.0  # --time-limit 2, plus start-up, the last task and the merge
TIMEOUT = 60.0      # a hung run is killed after this
TASK = 2**24        # samples per task for these sample counts (default sizing)
Z95 = 1.959963984540054
HUGE = [10**16, 2**64 - 1]


def estimate_problems(kind, got, requested):
    """What is wrong with the JSON of a run stopped early by its time limit."""
    problems = []
    n, tasks = got.get("samples"), got.get("tasks")
    if got.get("stopped_early") is not True:
        problems.append("stopped_early is not true")
    if got.get("requested_samples") != requested:
        problems.append(f"requested_samples {got.get('requested_samples')} != {requested}")
    if not (isinstance(n, int) and 0 < n < requested):
        return problems + [f"samples {n!r} not in (0, {requested})"]
    if not (isinstance(tasks, int) and tasks >= 1 and abs(n - tasks * TASK) <= tasks):
        problems.append(f"{n} samples are not {tasks} whole tasks of about 2^24")
    est, se = got.get("estimate"), got.get("standard_error")
    if not all(isinstance(x, float) and math.isfinite(x) for x in (est, se)):
        return problems + [f"estimate {est!r}, standard error {se!r}"]
    if kind == "pi":
        hits = round(est / 4 * n)
        if abs(4 * hits / n - est) > 1e-12 * 4:
            problems.append(f"estimate {est} is not 4 * hits / {n}")
        want_se = 4 * math.sqrt(hits * (n - hits) / n / (n - 1) / n)
        if abs(se - want_se) > 1e-9 * want_se:
            problems.append(f"standard error {se}, Python says {want_se} ({hits} hits)")
    else:
        want_se = math.sqrt((4 + 2 * math.pi - math.pi ** 2) / n)
        if abs(se - want_se) > 0.02 * want_se:
            problems.append(f"standard error {se}, expected about {want_se}")
    lo, hi = got.get("ci95", [None, None])
    if not (isinstance(lo, float) and isinstance(hi, float)
            and abs(lo - (est - Z95 * se)) <= 1e-12 and abs(hi - (est + Z95 * se)) <= 1e-12):
        problems.append(f"ci95 {got.get('ci95')} is not estimate -/+ {Z95} * standard error")
    if abs(est - math.pi) > 6 * se:
        problems.append(f"estimate {est} is {abs(est - math.pi) / se:.1f} standard errors "
                        "from pi")
    return problems


def main():
    args = e2e.mpi_arguments(__doc__.splitlines()[0]).parse_args()
    prog = e2e.Runner(args.bin, args.mpiexec, args.ranks, timeout=TIMEOUT)
    res = e2e.Results()
    for kind in ("pi", "integral"):
        for requested in HUGE:
            name = f"{kind} --samples {requested} --time-limit 2 at {args.ranks} ranks"
            run = prog.mpi([kind, "--samples", str(requested), "--time-limit", "2",
                            "--format", "json"])
            res.check(f"{name}: exit 0 within {MAX_SECONDS:g} s",
                      not run.timed_out and run.rc == 0 and run.seconds <= MAX_SECONDS,
                      f"{run.seconds:.1f} s\n{run.describe()}")
            got = e2e.json_or(run.out)
            if not isinstance(got, dict):
                res.check(f"{name}: a JSON estimate", False, run.describe())
                continue
            problems = estimate_problems(kind, got, requested)
            res.check(f"{name}: a valid estimate from the samples drawn", not problems,
                      "\n".join(problems) + f"\n{got}")
        requested = HUGE[0]
        run = prog.mpi([kind, "--samples", str(requested), "--time-limit", "1"])
        m = re.search(r"Stopped by --time-limit: (\d+) of the (\d+) samples asked for\.",
                      run.stdout)
        res.check(f"{kind} text output: says how many samples were drawn, within "
                  f"{MAX_SECONDS:g} s",
                  not run.timed_out and run.rc == 0 and run.seconds <= MAX_SECONDS and m
                  and 0 < int(m.group(1)) < requested and int(m.group(2)) == requested,
                  run.describe())

        # A limit that does not strike: the very same numbers as without one.
        base = [kind, "--samples", "3000000", "--seed", "7", "--format", "json"]
        plain, limited = prog.mpi(base), prog.mpi(base + ["--time-limit", "600"])
        a, b = e2e.json_or(plain.out), e2e.json_or(limited.out)
        same = (isinstance(a, dict) and isinstance(b, dict) and a.pop("seconds", 0) is not None
                and b.pop("seconds", 0) is not None and a == b and a["stopped_early"] is False)
        res.check(f"{kind}: a limit that does not strike changes nothing", same,
                  f"{plain.describe()}\n{limited.describe()}")

        # A tiny limit: task 0 always runs, so there is an estimate.
        run = prog.mpi([kind, "--samples", str(HUGE[1]), "--time-limit", "0.000001",
                        "--format", "json"])
        got = e2e.json_or(run.out)
        res.check(f"{kind} --time-limit 0.000001: exit 0 and an estimate from at least one task",
                  run.rc == 0 and isinstance(got, dict) and got.get("stopped_early") is True
                  and isinstance(got.get("samples"), int) and got["samples"] >= TASK - 1
                  and got.get("tasks", 0) >= 1 and isinstance(got.get("estimate"), float),
                  run.describe())
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
