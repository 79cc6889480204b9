#!/usr/bin/env python3
"""End-to-end test of the mrkit `montecarlo` program against numpy, computed here.

Usage (as registered in CTest, once per rank count P = 1, 2, 3, 4):

    /usr/bin/python3 tests/apps/montecarlo/montecarlo_e2e.py --bin build/bin/montecarlo \
        --ranks P --mpiexec /usr/bin/mpiexec

Needs numpy (Debian's python3-numpy, in /usr/bin/python3); without it the test fails.

What is checked:
  1. `square` at P ranks against the course's own loop, run here with numpy:
     `np.random.seed(i); np.random.randint(0, 10)` for 20,000 seeds from 0, 6,000 seeds that end
     at 2^32 - 1 and 2,000 seeds from 123456789: the JSON (exact text and values: seeds, sum of
     the squares, count of each value 0..9, ranks) and the text output's sum; then single seeds
     whose first outputs numpy rejects several times (found here from numpy's raw MT19937
     outputs) and the last seed, 2^32 - 1.
  2. `pi` and `integral`: within 5 standard errors of pi for several seeds, a consistent 95%
     interval, the same numbers (estimate, error, interval, samples, tasks) as a one-rank run,
     other seeds giving other estimates, and --time-limit stopping a huge run early.
  3. The command line: --help, --version, and for bad arguments (negative, non-numeric, a seed
     past 2^32 - 1, seeds running past 2^32 - 1, zero samples, no or unknown subcommand) exit
     code 2, nothing on standard output and our one-sentence message once on standard error
     (exactly one line when the program runs alone, P = 1). No noise on standard error when all
     goes well.

The last line printed is `N passed, N failed`; the exit status is non-zero on any failure.
"""

import json
import math
import sys
import time

import os  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

TOP_SEED = 2**32 - 1
RUN_TIMEOUT = 120


# --------------------------------------------------------------------------------------
# numpy references
# --------------------------------------------------------------------------------------

def numpy_square_reference(np, first, count):
    """The course's loop: counts of each value and the sum of the squares."""
    counts = [0] * 10
    for i in range(first, first + count):
        np.random.seed(i)
        counts[int(np.random.randint(0, 10))] += 1
    return counts, sum(v * v * c for v, c in enumerate(counts))


def numpy_draws(np, seed):
    """How many raw MT19937 outputs randint(0, 10) looks at for `seed` (masked rejection on
    x & 15), from numpy's own raw 32-bit outputs; checked against randint itself."""
    raw = np.random.RandomState(seed).randint(0, 2**32, size=64, dtype=np.uint64)
    for k, x in enumerate(raw):
        if int(x) & 15 <= 9:
            np.random.seed(seed)
            return k + 1, int(x) & 15, int(np.random.randint(0, 10))
    return None, None, None


def expected_square_json(seeds, total, counts, ranks):
    return (f'{{"seeds": {seeds}, "sum": {total}, "counts": [{", ".join(map(str, counts))}], '
            f'"ranks": {ranks}}}\n')


# --------------------------------------------------------------------------------------
# the checks
# --------------------------------------------------------------------------------------

def check_square(np, prog, res):
    ranges = [(0, 20000), (TOP_SEED - 5999, 6000), (123456789, 2000)]
    for first, count in ranges:
        counts, total = numpy_square_reference(np, first, count)
        name = f"square --first {first} --seeds {count} at {prog.ranks} ranks"
        run = prog.mpi(["square", "--seeds", str(count), "--first", str(first), "--format", "json"])
        if not res.check(f"{name}: exit 0, quiet stderr", run.rc == 0 and run.stderr == "",
                         run.describe()):
            continue
        want = expected_square_json(count, total, counts, prog.ranks)
        res.check(f"{name}: JSON equals numpy's", run.stdout == want,
                  f"got      {run.stdout}expected {want}")
        try:
            got = json.loads(run.stdout)
            res.check(f"{name}: JSON parses with the documented keys",
                      list(got) == ["seeds", "sum", "counts", "ranks"] and got["sum"] == total,
                      run.stdout)
        except ValueError as e:
            res.check(f"{name}: JSON parses", False, f"{e}\n{run.stdout}")

    # Text output: the same sum, the course's story.
    counts, total = numpy_square_reference(np, 0, 20000)
    run = prog.mpi(["square", "--seeds", "20000"])
    res.check("square text: sum of the squares and the framing",
              run.rc == 0 and f"sum of the squares: {total}\n" in run.stdout
              and "seeds i = 0 .. 19999" in run.stdout and "Pool" in run.stdout
              and f"on {prog.ranks} rank" in run.stdout,
              run.describe())

    # Single seeds that numpy rejects several times before accepting, and the last seed.
    draws = []
    for seed in range(0, 20000):
        k, via_raw, via_randint = numpy_draws(np, seed)
        if k is not None and k >= 3:
            draws.append((k, seed, via_raw, via_randint))
    draws.sort(reverse=True)
    consistent = all(r == v for _, _, r, v in draws)
    res.check("numpy: randint(0, 10) is masked rejection on raw MT19937 outputs", consistent)
    hardest = [seed for _, seed, _, _ in draws[:3]] + [TOP_SEED]
    res.check("numpy: some seeds need 5 or more draws", draws and draws[0][0] >= 5,
              f"most draws: {draws[0][0] if draws else None}")
    for seed in hardest:
        counts, total = numpy_square_reference(np, seed, 1)
        run = prog.mpi(["square", "--seeds", "1", "--first", str(seed), "--format", "json"])
        want = expected_square_json(1, total, counts, prog.ranks)
        res.check(f"square of seed {seed} alone equals numpy's", run.rc == 0 and run.stdout == want,
                  f"expected {want}{run.describe()}")


ESTIMATE_KEYS = ["estimator", "estimate", "standard_error", "ci95", "exact", "samples",
                 "requested_samples", "seed", "tasks", "ranks", "seconds", "stopped_early"]


def parse_estimate(res, name, run):
    if not res.check(f"{name}: exit 0, quiet stderr", run.rc == 0 and run.stderr == "",
                     run.describe()):
        return None
    try:
        got = json.loads(run.stdout)
    except ValueError as e:
        res.check(f"{name}: JSON parses", False, f"{e}\n{run.stdout}")
        return None
    res.check(f"{name}: JSON has the documented keys", list(got) == ESTIMATE_KEYS, run.stdout)
    return got


def same_numbers(a, b):
    keys = ["estimate", "standard_error", "ci95", "samples", "tasks", "stopped_early"]
    return all(a[k] == b[k] for k in keys)


def check_estimators(prog, res):
    samples = 2000000
    seen = {}
    for command, seeds in (("pi", [0, 1, 987654321, TOP_SEED]), ("integral", [0, 7])):
        for seed in seeds:
            name = f"{command} --samples {samples} --seed {seed} at {prog.ranks} ranks"
            args = [command, "--samples", str(samples), "--seed", str(seed), "--format", "json"]
            got = parse_estimate(res, name, prog.mpi(args))
            if got is None:
                continue
            est, se = got["estimate"], got["standard_error"]
            lo, hi = got["ci95"]
            res.check(f"{name}: within 5 standard errors of pi",
                      se > 0 and abs(est - math.pi) < 5 * se, f"{est} +- {se}")
            res.check(f"{name}: standard error of the right size",
                      0.2 / math.sqrt(samples) < se < 3.0 / math.sqrt(samples), f"{se}")
            res.check(f"{name}: 95% interval is estimate -/+ 1.96 standard errors",
                      abs((hi - est) - 1.959963984540054 * se) < 1e-12
                      and abs((est - lo) - 1.959963984540054 * se) < 1e-12, f"{lo} {est} {hi}")
            res.check(f"{name}: all samples, {prog.ranks} ranks, not stopped",
                      got["samples"] == samples and got["requested_samples"] == samples
                      and got["ranks"] == prog.ranks and got["seed"] == seed
                      and got["stopped_early"] is False and got["exact"] == math.pi, str(got))
            seen[(command, seed)] = est
            if seed == 0:
                one = parse_estimate(res, f"{name} (alone)", prog.direct(args))
                if one is not None:
                    res.check(f"{name}: the same numbers as one rank alone", same_numbers(got, one),
                              f"{got}\n{one}")
    pis = [v for (c, _), v in seen.items() if c == "pi"]
    res.check("pi: other seeds give other estimates", len(set(pis)) == len(pis), str(pis))
    if ("pi", 0) in seen and ("integral", 0) in seen:
        res.check("pi and integral use different streams", seen[("pi", 0)] != seen[("integral", 0)])

    # A run far too long for its time limit stops early with a partial estimate.
    run = prog.mpi(["pi", "--samples", str(10**13), "--time-limit", "1", "--format", "json"])
    got = parse_estimate(res, "pi --time-limit 1 on 10^13 samples", run)
    if got is not None:
        res.check("pi --time-limit: stopped early with part of the samples, promptly",
                  got["stopped_early"] is True and 0 < got["samples"] < 10**13
                  and got["requested_samples"] == 10**13 and run.seconds < 60,
                  f"{got}\n{run.seconds:.1f} s")
    run = prog.mpi(["pi", "--samples", "100000"])
    res.check("pi text output", run.rc == 0 and "estimate" in run.stdout
              and "95% interval" in run.stdout and "standard error" in run.stdout
              and run.stderr == "", run.describe())


BAD = [
    (["square", "--seeds", "-5"], "--seeds"),
    (["square", "--seeds", "abc"], "--seeds"),
    (["square", "--seeds", "0"], "--seeds"),
    (["square", "--seeds", "4294967297"], "--seeds"),
    (["square", "--seeds", "10", "--first", "4294967296"], "--first"),
    (["square", "--seeds", "10", "--first", "-1"], "--first"),
    (["square", "--seeds", "2", "--first", "4294967295"], "past 4294967295"),
    (["square", "--seeds", "4294967296", "--first", "1"], "past 4294967295"),
    (["square"], "--seeds"),
    (["pi", "--samples", "0"], "--samples"),
    (["pi", "--samples", "-3"], "--samples"),
    (["pi", "--samples", "1e6"], "--samples"),
    (["pi", "--seed", "-1"], "--seed"),
    (["pi", "--seed", "4294967296"], "--seed"),
    (["pi", "--seed", "x"], "--seed"),
    (["integral", "--samples", "0"], "--samples"),
    (["pi", "--time-limit", "0"], "--time-limit"),
    (["pi", "--time-limit", "soon"], "--time-limit"),
    (["pi", "--format", "xml"], "--format"),
    ([], "subcommand"),
    (["cube"], "subcommand"),
]


def check_command_line(prog, res):
    for args, mentions in BAD:
        name = f"montecarlo {' '.join(args)}"
        run = prog.run(args, direct=prog.ranks == 1)
        if prog.ranks == 1:
            res.check(f"{name}: exit 2, one line naming {mentions}, nothing on stdout",
                      run.stdout == "" and e2e.said_once(run, "montecarlo", 2, mentions=mentions,
                                                         alone=True), run.describe())
        else:
            res.check(f"{name} at {prog.ranks} ranks: exit 2, said once (by rank 0)",
                      run.stdout == "" and e2e.said_once(run, "montecarlo", 2, mentions=mentions),
                      run.describe())
    if prog.ranks == 1:
        run = prog.direct(["--help"])
        res.check("--help: exit 0 and lists the subcommands",
                  run.rc == 0 and all(s in run.stdout for s in ("square", "pi", "integral")),
                  run.describe())
        run = prog.direct(["square", "--help"])
        res.check("square --help: describes --seeds and --first",
                  run.rc == 0 and "--seeds" in run.stdout and "--first" in run.stdout,
                  run.describe())
        run = prog.direct(["--version"])
        res.check("--version", run.rc == 0 and run.stdout.startswith("mrkit "), run.describe())


def main():
    ap = e2e.mpi_arguments(__doc__.split("\n")[0], mpiexec_default=None)
    ap.add_argument("-v", "--verbose", action="store_true")
    opts = ap.parse_args()
    try:
        import numpy as np
    except ImportError:
        print(f"numpy is missing in {sys.executable}: install python3-numpy (Debian) or run "
              "with an interpreter that has it", flush=True)
        print("0 passed, 1 failed")
        return 1
    res = e2e.Results(opts.verbose)
    prog = e2e.Runner(opts.bin, opts.mpiexec, opts.ranks, timeout=RUN_TIMEOUT)
    t0 = time.monotonic()
    check_square(np, prog, res)
    check_estimators(prog, res)
    check_command_line(prog, res)
    return res.finish(f" ({time.monotonic() - t0:.1f} s, {opts.ranks} ranks, "
                      f"numpy {np.__version__})")


if __name__ == "__main__":
    sys.exit(main())
