#!/usr/bin/env python3
"""End-to-end test of --progress of wordcount and montecarlo, on a terminal and off it.

Usage (registered in CTest once per rank count P = 1, 2):

    /usr/bin/python3 tests/apps/progress_e2e.py --bindir build/bin \
        --hooked-bin build/tests/wordcount_hooked --ranks P --mpiexec mpiexec

The progress meter (lib/src/tasks/progress_meter.cpp) writes on the mother's standard error. On a
terminal (the default there) an update every 250 ms, "\\r" LINE "\\033[K", rewrites one line, and
"\\r\\033[K" clears it at the end; elsewhere --progress prints LINE "\\n" every 5 s. LINE is
"PROGRAM: " the percent done (%5.1f) "% of N tasks, S.S s elapsed, ~S.S s left".

Checked for each program, on inputs sized here to take long enough (wordcount over a generated
file with a small --split-bytes, montecarlo square --format json over many seeds):
  1. P == 1, the program on its own (an MPI singleton) with standard error a pseudo-terminal
     and no --progress: several updates, the percents never going down, one task count, the
     line cleared at the end and nothing else on the terminal; standard output (a pipe) byte
     for byte that of the same run with standard error a pipe, which prints nothing there.
  2. Under mpiexec -n P, --progress on a run of more than 5 s: Open MPI gives the ranks a pipe
     for standard error, so these are the off-terminal lines, at least one and at most one per
     5 s; standard output byte for byte that of the run without --progress, whose standard
     error stays empty. wordcount's long run is its test build (--hooked-bin) with
     MRKIT_TEST_SLOW_TASK=1:5.5 and --schedule static (the mother's second task sleeps 5.5 s),
     montecarlo's a big square.
     The stdout of the hooked run is also checked against a run without the hook.
  3. Under mpiexec -n P with standard error a pseudo-terminal and no --progress: standard
     output as with a pipe, and whatever reaches the terminal is progress output (nothing, as
     Open MPI runs: the ranks' standard error is not the terminal; noted in the log). Under
     scripts/mpirun-laptop on a pseudo-terminal, which tells the ranks so, updates in place
     as in 1.

Python 3 standard library only. The last line printed is `N passed, N failed`.
"""

import os
import random
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

LINE = r"(\w+): +(\d+\.\d)% of (\d+) tasks, (\d+\.\d) s elapsed, ~(\d+\.\d) s left"
ON_TERMINAL = re.compile(rb"((?:\r" + LINE.encode() + rb"\x1b\[K)+)\r\x1b\[K")
OFF_TERMINAL = re.compile(rb"(?:" + LINE.encode() + rb"\n)+")
TERMINAL_SECONDS = 1.5   # a run on the terminal: about six updates
LONG_SECONDS = 7.0       # a run off the terminal: past the first line, at 5 s
TIMEOUT = 90


def updates(data):
    """(program, percent, tasks, elapsed) of each progress line in `data`."""
    return [(m.group(1).decode(), float(m.group(2)), int(m.group(3)), float(m.group(4)))
            for m in re.finditer(LINE.encode(), data)]


def sized(launch, size, want, limit):
    """Runs launch(size), growing size (up to limit) until the run takes `want` seconds.
    Returns the size and that run."""
    while True:
        run = launch(size)
        if run.rc != 0 or run.seconds >= want or size >= limit:
            return size, run
        size = min(limit, int(size * 1.15 * want / max(run.seconds, 0.05)) + 1)


def check_terminal(res, name, program, run, want_out):
    """A run with the terminal as standard error and no --progress: updates in place."""
    res.check(f"{name}: exit 0", run.rc == 0, run.describe())
    m = ON_TERMINAL.fullmatch(run.err)
    seen = updates(m.group(1)) if m else []
    res.check(f"{name}: several updates rewriting one line, then the line cleared",
              m is not None and len(seen) >= 2, f"{run.seconds:.1f} s; terminal: {run.err!r}")
    percents = [u[1] for u in seen]
    res.check(f"{name}: every update names {program}, one task count, percents not going down",
              all(u[0] == program and u[2] == seen[0][2] for u in seen)
              and percents == sorted(percents) and all(0 < p <= 100 for p in percents),
              str(seen))
    res.check(f"{name}: standard output as with standard error a pipe", run.out == want_out,
              f"got {e2e.short(run.out, 400)}\nexpected {e2e.short(want_out, 400)}")


def check_long(res, name, program, plain, run):
    """`run` is `plain` (standard error a pipe, no --progress) with --progress."""
    res.check(f"{name}, without --progress: exit 0, nothing on standard error "
              f"({plain.seconds:.1f} s)", plain.rc == 0 and plain.err == b"", plain.describe())
    res.check(f"{name}, --progress: exit 0, a run of more than 5 s", run.rc == 0 and
              run.seconds > 5.2, f"{run.seconds:.1f} s\n{run.describe()}")
    seen = updates(run.err)
    res.check(f"{name}, --progress: lines of progress, at most one per 5 s",
              OFF_TERMINAL.fullmatch(run.err) is not None
              and 1 <= len(seen) <= run.seconds / 5 + 1
              and all(u[0] == program and 0 < u[1] <= 100 and u[3] >= 5 for u in seen),
              f"{run.seconds:.1f} s; standard error: {run.err!r}")
    res.check(f"{name}, --progress: standard output as without", run.out == plain.out,
              f"got {e2e.short(run.out, 400)}\nexpected {e2e.short(plain.out, 400)}")


def check_mpi_terminal(res, name, run, want_out):
    """Under mpiexec with mpiexec's standard error a terminal, no --progress."""
    res.check(f"{name}: exit 0, standard output as with a pipe",
              run.rc == 0 and run.out == want_out, run.describe())
    res.check(f"{name}: the terminal shows progress or nothing",
              run.err == b"" or ON_TERMINAL.fullmatch(run.err) or OFF_TERMINAL.fullmatch(run.err),
              f"terminal: {run.err!r}")
    print(f"note: {name}: {len(updates(run.err))} progress update(s) reached the terminal",
          flush=True)


def write_corpus(path, megabytes):
    rng = random.Random(20240613)
    words = [bytes(rng.choice(b"abcdefghijklmnop") for _ in range(rng.randint(1, 9)))
             for _ in range(4000)]
    chunk = b" ".join(rng.choices(words, k=200_000)) + b"\n"
    with open(path, "wb") as f:
        for _ in range(max(1, megabytes * 2**20 // len(chunk))):
            f.write(chunk)


def test_wordcount(res, bindir, hooked_bin, mpiexec, ranks, tmp):
    corpus = os.path.join(tmp, "corpus.txt")
    write_corpus(corpus, 24)
    run = e2e.Runner(os.path.join(bindir, "wordcount"), mpiexec, ranks, timeout=TIMEOUT)
    base = ["--format", "tsv", "--top", "20", corpus]
    if ranks == 1:
        # Smaller tasks, more of them, until a run takes TERMINAL_SECONDS: 4096 / k bytes each.
        def split(k):
            return ["--split-bytes", str(max(8, 4096 // k))]
        k, plain = sized(lambda k: run.direct(split(k) + base), 16, TERMINAL_SECONDS, 512)
        res.check(f"wordcount {' '.join(split(k))}, alone, standard error a pipe: exit 0, "
                  "nothing on it", plain.rc == 0 and plain.err == b"", plain.describe())
        check_terminal(res, f"wordcount {' '.join(split(k))}, alone, on a terminal",
                       "wordcount", run.direct(split(k) + base, terminal=True), plain.out)

    args = ["--schedule", "static", "--split-bytes", "65536"] + base
    env = dict(os.environ, MRKIT_TEST_SLOW_TASK="1:5.5")
    hooked = e2e.Runner(hooked_bin, mpiexec, ranks, timeout=TIMEOUT)
    slow = hooked.mpi(args, env=env)
    check_long(res, f"wordcount --schedule static at {ranks} ranks, a task of 5.5 s", "wordcount",
               slow, hooked.mpi(args + ["--progress"], env=env))
    plain = run.mpi(args)
    res.check(f"wordcount --schedule static at {ranks} ranks: the slow task changes nothing on "
              "standard output", plain.rc == 0 and plain.out == slow.out, plain.describe())
    check_mpi_terminal(res, f"wordcount at {ranks} ranks, mpiexec on a terminal",
                       run.mpi(args, terminal=True), plain.out)
    # scripts/mpirun-laptop tells the ranks when its own standard error is a terminal
    # (MRKIT_STDERR_TERMINAL=1): progress then shows by default, as for a program alone. Small
    # dynamic tasks, more of them, until a run takes TERMINAL_SECONDS.
    laptop = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                          "mpirun-laptop")

    def on_laptop(k, terminal=False):
        return e2e.launch([laptop, "-n", str(ranks), run.binary, "--schedule", "dynamic",
                           "--split-bytes", str(max(8, 4096 // k))] + base, TIMEOUT,
                          terminal=terminal)
    k, piped = sized(on_laptop, 16, TERMINAL_SECONDS, 512)
    check_terminal(res, f"wordcount at {ranks} ranks, scripts/mpirun-laptop on a terminal",
                   "wordcount", on_laptop(k, terminal=True), piped.out)


def test_montecarlo(res, bindir, mpiexec, ranks):
    run = e2e.Runner(os.path.join(bindir, "montecarlo"), mpiexec, ranks, timeout=TIMEOUT)

    def square(seeds):
        return ["square", "--seeds", str(seeds), "--format", "json"]
    seeds = 1_000_000  # grown by sized(): a sanitizer build is 20x slower than Release
    if ranks == 1:
        seeds, plain = sized(lambda n: run.direct(square(n)), seeds, TERMINAL_SECONDS, 2**32 - 1)
        res.check(f"montecarlo square --seeds {seeds}, alone, standard error a pipe: exit 0, "
                  "nothing on it", plain.rc == 0 and plain.err == b"", plain.describe())
        check_terminal(res, f"montecarlo square --seeds {seeds}, alone, on a terminal",
                       "montecarlo", run.direct(square(seeds), terminal=True), plain.out)

    seeds, plain = sized(lambda n: run.mpi(square(n)), seeds, LONG_SECONDS, 2**32 - 1)
    check_long(res, f"montecarlo square --seeds {seeds} at {ranks} ranks", "montecarlo", plain,
               run.mpi(square(seeds) + ["--progress"]))
    short = square(max(1000, seeds // 8))  # about 1 s
    check_mpi_terminal(res, f"montecarlo square at {ranks} ranks, mpiexec on a terminal",
                       run.mpi(short, terminal=True), run.mpi(short).out)


def main():
    ap = e2e.mpi_arguments(__doc__.split("\n")[0], binary="--bindir")
    ap.add_argument("--hooked-bin", required=True,
                    help="the test build of wordcount that reads MRKIT_TEST_SLOW_TASK")
    a = ap.parse_args()
    res = e2e.Results()
    with tempfile.TemporaryDirectory(prefix="progress-e2e-") as tmp:
        test_wordcount(res, a.bindir, a.hooked_bin, a.mpiexec, a.ranks, tmp)
    test_montecarlo(res, a.bindir, a.mpiexec, a.ranks)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
