#!/usr/bin/env python3
"""SIGINT and SIGTERM end a run at once with one message that says what was saved (issue 13,
item 10).

Usage (as registered in CTest, once per rank count P = 1, 2):

    /usr/bin/python3 tests/apps/interrupt_e2e.py --bindir build/bin \
        --hooked-bin build/tests/wordcount_hooked --ranks P --mpiexec /usr/bin/mpiexec

What is checked, with SIGTERM and SIGINT sent to mpiexec (which passes either on to the ranks
as SIGTERM; at P > 1 the line says `interrupted (SIGTERM from mpirun: a signal, or another rank
failed)`, since mpiexec sends the same when a rank fails) and, at P = 1, to the program run
alone (an MPI singleton):
  1. wordcount on 40 files (about 44 tasks of 16 KiB), one task made slow (the test build,
     --hooked-bin, with MRKIT_TEST_SLOW_TASK, 60 s), with -o FILE: the
     launch ends within LIMIT seconds of the signal, exit 1 under mpiexec (Open MPI's own code
     for a job it ended) or 128 + the signal alone (130, 143), nothing on stdout, exactly one
     `wordcount: ...` line on stderr, `wordcount: interrupted (SIG...); nothing saved (use
     --checkpoint DIR to resume)`, and the -o file untouched (same bytes, no stray file beside).
  2. The same with --checkpoint DIR, signalled once a few records are saved (16 KiB tasks, one
     per record): the line names DIR and says to run the same command again;
     running it again (the shipped wordcount, not slowed) resumes (`resumed from checkpoint: K of N tasks`, K >= 1) and
     prints exactly what an uninterrupted run prints, whose total is Python's
     `len(data.split())` summed over the files.
  3. montecarlo pi (a run far too long to end by itself), with and without --checkpoint: the
     same promptness, exit code, one line and -o file untouched.

The last line printed is `N passed, N failed`; the exit status is non-zero on any failure.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

LIMIT = 10.0        # seconds from the signal to the end of the launch
STARTUP = 2.0       # seconds given to the ranks to start before the signal
RUN_TIMEOUT = 120.0
SLOW = "5:60"       # task 5 sleeps 60 s: the run is still under way when the signal comes
NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


def interrupted_launch(argv, sig, env=None, ready=None):
    """Starts argv in a session of its own, waits STARTUP seconds (and until `ready()` if
    given), sends `sig` to it and waits for the end (the session is killed after LIMIT more
    seconds). Returns (Run, seconds from the signal to the end)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True, env=env)
    time.sleep(STARTUP)
    while ready is not None and not ready() and time.monotonic() - t0 < 20 \
            and p.poll() is None:
        time.sleep(0.05)
    sent = time.monotonic()
    if p.poll() is None:
        p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=LIMIT)
        timed_out = False
    except subprocess.TimeoutExpired:
        e2e.kill_session(p.pid)
        out, err = p.communicate()
        timed_out = True
    return (e2e.Run(argv, None if timed_out else p.returncode, out, err,
                    time.monotonic() - t0, timed_out), time.monotonic() - sent)


def check_interrupted(res, name, run, after, program, sig, alone, ranks, mentions, out_file,
                      before, out_dir):
    """The common checks of an interrupted launch."""
    want_rc = 128 + sig if alone else 1
    res.check(f"{name}: ends within {LIMIT:g} s of the signal with exit {want_rc}",
              not run.timed_out and run.rc == want_rc and after <= LIMIT,
              f"{after:.1f} s after the signal\n{run.describe()}")
    res.check(f"{name}: nothing on stdout", run.out == b"", run.describe())
    # mpiexec passes either signal on as SIGTERM; with several ranks the ranks cannot tell it
    # from mpiexec ending the job because a rank failed, and say so.
    how = (NAMES[sig] if alone else "SIGTERM" if ranks == 1
           else "SIGTERM from mpirun: a signal, or another rank failed")
    starts = f"{program}: interrupted ({how}); "
    res.check(f"{name}: one line `{starts}...` naming what was saved",
              e2e.said_once(run, program, run.rc, starts=starts, mentions=mentions),
              run.describe())
    with open(out_file, "rb") as f:
        now = f.read()
    res.check(f"{name}: the -o file is untouched, nothing left beside it",
              now == before and sorted(os.listdir(out_dir)) == ["out.txt"],
              f"{e2e.short(now)}\n{os.listdir(out_dir)}")


def make_corpus(root):
    """40 files of words; returns the total by Python's bytes.split()."""
    os.makedirs(root)
    total = 0
    for i in range(40):
        data = " ".join(f"w{i}x{j % 13}" for j in range(1000 + 97 * i)).encode() + b"\n"
        with open(os.path.join(root, f"f{i:02d}.txt"), "wb") as f:
            f.write(data)
        total += len(data.split())
    return total


def main():
    ap = e2e.mpi_arguments(__doc__.splitlines()[0], binary="--bindir")
    ap.add_argument("--hooked-bin", required=True,
                    help="the test build of wordcount that reads MRKIT_TEST_SLOW_TASK")
    args = ap.parse_args()
    wordcount = os.path.join(args.bindir, "wordcount")
    montecarlo = os.path.join(args.bindir, "montecarlo")
    res = e2e.Results()
    tmp = tempfile.mkdtemp(prefix="mrkit-interrupt-")
    try:
        corpus = os.path.join(tmp, "corpus")
        total = make_corpus(corpus)
        out_dir = os.path.join(tmp, "out")
        os.makedirs(out_dir)
        out_file = os.path.join(out_dir, "out.txt")
        before = b"the output of an earlier run\n"
        # 16 KiB: one task per checkpoint record (see tasks_per_record in word_count.cpp).
        wc_args = [corpus, "--split-bytes", "16384", "-o", out_file]
        reference = e2e.launch([args.mpiexec, "-n", str(args.ranks), wordcount, corpus,
                                "--split-bytes", "16384"], RUN_TIMEOUT)
        last = reference.stdout.strip().splitlines()[-1:] if reference.rc == 0 else []
        res.check("an uninterrupted wordcount: exit 0 and Python's total",
                  last == [f"{total} total"], reference.describe())
        slow_env = dict(os.environ, MRKIT_TEST_SLOW_TASK=SLOW)

        launches = [("mpiexec", False)] + ([("alone", True)] if args.ranks == 1 else [])
        for how, alone in launches:
            for sig in (signal.SIGTERM, signal.SIGINT):
                def argv(program, rest):
                    head = [program] if alone else [args.mpiexec, "-n", str(args.ranks), program]
                    return head + rest

                # 1. wordcount without a checkpoint.
                with open(out_file, "wb") as f:
                    f.write(before)
                name = f"wordcount, {NAMES[sig]} to {how} at {args.ranks} ranks"
                run, after = interrupted_launch(argv(args.hooked_bin, wc_args), sig,
                                                env=slow_env)
                check_interrupted(res, name, run, after, "wordcount", sig, alone,
                                  args.ranks, "nothing saved (use --checkpoint DIR to resume)", out_file,
                                  before, out_dir)

                # 2. wordcount with a checkpoint, then resumed.
                ck = os.path.join(tmp, f"ck-{how}-{sig}")
                name = f"wordcount --checkpoint, {NAMES[sig]} to {how} at {args.ranks} ranks"
                run, after = interrupted_launch(
                    argv(args.hooked_bin, wc_args + ["--checkpoint", ck]), sig, env=slow_env,
                    ready=lambda ck=ck: os.path.isdir(ck) and len(os.listdir(ck)) >= 4)
                check_interrupted(res, name, run, after, "wordcount", sig, alone,
                                  args.ranks, f"saved in checkpoint {ck}: run the same command again",
                                  out_file, before, out_dir)
                again = e2e.launch(argv(wordcount, wc_args + ["--checkpoint", ck]),
                                   RUN_TIMEOUT)
                with open(out_file, "rb") as f:
                    got = f.read()
                resumed = [ln for ln in again.stderr_lines()
                           if ln.startswith("wordcount: resumed from checkpoint: ")]
                done = int(resumed[0].split(": ")[2].split()[0]) if resumed else 0
                res.check(f"{name}: run again, it resumes ({done} tasks done) and prints what "
                          "an uninterrupted run prints",
                          again.rc == 0 and done >= 1 and got == reference.out,
                          f"{again.describe()}\n-o: {e2e.short(got, 300)}")

                # 3. montecarlo, with and without a checkpoint.
                for ck_args, mentions in (([], "nothing saved (use --checkpoint DIR to resume)"),
                                          (["--checkpoint", ck + "-mc"],
                                           f"saved in checkpoint {ck}-mc: run the same command")):
                    with open(out_file, "wb") as f:
                        f.write(before)
                    name = (f"montecarlo pi {' '.join(ck_args)}, {NAMES[sig]} to {how} at "
                            f"{args.ranks} ranks")
                    run, after = interrupted_launch(
                        argv(montecarlo, ["pi", "--samples", str(10**15), "-o", out_file]
                             + ck_args), sig)
                    check_interrupted(res, name, run, after, "montecarlo", sig, alone,
                                      args.ranks, mentions, out_file, before, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
