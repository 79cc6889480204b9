#!/usr/bin/env python3
"""--checkpoint integrity, for wordcount and every montecarlo subcommand (square, pi, integral):
a record is used only if it verifies, whatever was done to the directory.

  damaged      one flipped byte in a record's header, another in a record's payload: the run
               names both files and gives the output of an uninterrupted run (or refuses with
               exit 3 naming the file); never a wrong result
  foreign      a record copied from another job's directory: not used
  misnamed     copies task-5.done / task-000000005.done beside the genuine record: no crash,
               never counted twice; a misnamed copy of another record standing in for a removed
               one, or a record renamed to another record's name: not used
  claim        two runs with different options started at once on a fresh directory (many
               pairs), with the claim's window widened by tests/support/checkpoint_race_shim
               (LD_PRELOAD), with and without flock: exactly one proceeds, with the right
               output, the other is refused (exit 3) naming the reason; a re-run of the winner
               resumes to its own output. Two runs of the same job at once: the second is
               refused as "in use by another run" (wordcount's first held by the test build,
               --hooked-bin, with MRKIT_TEST_SLOW_TASK)
  empty name   --checkpoint '' is refused (exit 2)
  modes        files in an owner-only directory are 0600, elsewhere they follow the umask
  bounded      wordcount --split-bytes 1 --checkpoint writes a bounded number of records and
               resumes at another rank count to the same output

Usage: checkpoint_integrity_e2e.py --bindir DIR --hooked-bin WORDCOUNT_HOOKED --ranks P
           --mpiexec MPIEXEC [--shim SO]
"""

import os
import shutil
import sys
import tempfile
import random
import concurrent.futures as futures

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
import e2e_support as e2e  # noqa: E402

VOLATILE = ("seconds", "ranks")


def canonical(out):
    """The JSON output without the keys that change from run to run."""
    data = e2e.json_or(out)
    if isinstance(data, dict):
        for key in VOLATILE:
            data.pop(key, None)
    return data


def records(ck):
    return sorted(n for n in os.listdir(ck) if n.startswith("task-") and n.endswith(".done"))


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset if offset >= 0 else os.path.getsize(path) + offset)
        b = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([b[0] ^ 0x01]))


class Program:
    """One checkpointing command: `args` for job A, `other` for job B (other results)."""

    def __init__(self, name, runner, program, args, other, env=None, hooked=None):
        self.name, self.runner, self.program = name, runner, program
        self.args, self.other, self.env = args, other, env
        self.hooked = hooked  # wordcount's test build, which reads MRKIT_TEST_SLOW_TASK

    def argv(self, ck, args=None):
        args = self.args if args is None else args
        if self.program == "montecarlo":  # global options before the subcommand
            return ["--checkpoint", ck] + args if ck is not None else args
        return args + (["--checkpoint", ck] if ck is not None else [])

    def run(self, ck, args=None, direct=False, env=None):
        return self.runner.run(self.argv(ck, args), direct=direct, env=env)

    def run_hooked(self, ck, args=None, direct=False, env=None):
        return self.hooked.run(self.argv(ck, args), direct=direct, env=env)


def main():
    ap = e2e.mpi_arguments(__doc__.split("\n")[0], binary="--bindir")
    ap.add_argument("--shim", default=None, help="checkpoint_race_shim.so (LD_PRELOAD)")
    ap.add_argument("--hooked-bin", required=True,
                    help="the test build of wordcount that reads MRKIT_TEST_SLOW_TASK")
    ap.add_argument("--pairs", type=int, default=0,
                    help="claim pairs for wordcount (default 16; a third for each montecarlo "
                         "subcommand)")
    opts = ap.parse_args()
    e2e.set_mpi_defaults()
    res = e2e.Results()
    work = tempfile.mkdtemp(prefix="mrkit-ck-integrity-")
    try:
        run_all(opts, res, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return res.finish()


def make_input(work):
    r = random.Random(13)
    words = [("w%d" % i) for i in range(3000)] + ["The", "the", "THE", "Apple", "apple"]
    d = os.path.join(work, "in")
    os.makedirs(d)
    for k in range(3):
        with open(os.path.join(d, "part%d.txt" % k), "w") as f:
            f.write(" ".join(r.choice(words) for _ in range(12000 + 4000 * k)))
    return d


def run_all(opts, res, work):
    inp = make_input(work)
    wc = e2e.Runner(os.path.join(opts.bindir, "wordcount"), opts.mpiexec, opts.ranks,
                    timeout=120, fast_kill=True)
    mc = e2e.Runner(os.path.join(opts.bindir, "montecarlo"), opts.mpiexec, opts.ranks,
                    timeout=120, fast_kill=True)
    wc_hooked = e2e.Runner(opts.hooked_bin, opts.mpiexec, opts.ranks, timeout=120,
                           fast_kill=True)
    wc_args = ["--format", "json", "--top", "30", "--split-bytes", "20000", inp]
    programs = [
        Program("wordcount", wc, "wordcount", wc_args, ["-i"] + wc_args, hooked=wc_hooked),
        Program("montecarlo square", mc, "montecarlo",
                ["--format", "json", "square", "--seeds", "600000"],
                ["--format", "json", "square", "--seeds", "600000", "--first", "1"]),
        Program("montecarlo pi", mc, "montecarlo",
                ["--format", "json", "pi", "--samples", "12000000"],
                ["--format", "json", "pi", "--samples", "12000000", "--seed", "1"]),
        Program("montecarlo integral", mc, "montecarlo",
                ["--format", "json", "integral", "--samples", "12000000"],
                ["--format", "json", "integral", "--samples", "12000000", "--seed", "1"]),
    ]
    pairs = opts.pairs or 16
    for n, p in enumerate(programs):
        check_program(res, work, p, f"p{n}")
        check_claims(res, work, p, f"p{n}", opts.shim, pairs if n == 0 else max(1, pairs // 3))
    check_empty_name(res, wc, mc, inp)
    check_modes(res, work, programs[0])
    check_bounded(res, work, wc)


def check_program(res, work, p, tag):
    ref = p.run(None)
    ref_b = p.run(None, args=p.other)
    if not res.check(f"{p.name}: reference runs", ref.rc == 0 and ref_b.rc == 0,
                     ref.describe() + "\n" + ref_b.describe()):
        return
    want = canonical(ref.out)
    res.check(f"{p.name}: the other job's output differs", canonical(ref_b.out) != want)
    ck = os.path.join(work, tag + "-ck")
    ck_b = os.path.join(work, tag + "-ck-other")
    first = p.run(ck)
    other = p.run(ck_b, args=p.other)
    names = records(ck) if os.path.isdir(ck) else []
    if not res.check(f"{p.name}: a checkpointed run gives the reference output ({len(names)} "
                     f"records)", first.rc == 0 and other.rc == 0 and canonical(first.out) == want
                     and len(names) >= 4, first.describe() + "\n" + other.describe()):
        return

    def verdict(label, run, named):
        """Either the uninterrupted output with a warning naming every file, or exit 3 naming
        one of them: never a wrong result."""
        err = run.stderr
        used_nothing_bad = run.rc == 0 and canonical(run.out) == want and all(
            n in err for n in named)
        refused = run.rc == 3 and any(n in err for n in named) and not run.out
        res.check(f"{p.name}: {label}", used_nothing_bad or refused, run.describe())
        return used_nothing_bad

    def fresh_copy(label):
        d = os.path.join(work, f"{tag}-{label}")
        shutil.copytree(ck, d)
        return d

    # One flipped byte in a header (offset 16), one in the payload (the last byte).
    d = fresh_copy("flip")
    a, b = records(d)[2], records(d)[-1]
    flip(os.path.join(d, a), 16)
    flip(os.path.join(d, b), -1)
    if verdict("flipped bytes in two records: not used, each named", p.run(d),
               [os.path.join(d, a), os.path.join(d, b)]):
        again = p.run(d)
        res.check(f"{p.name}: after recomputing them the checkpoint is whole again",
                  again.rc == 0 and canonical(again.out) == want and "warning" not in again.stderr,
                  again.describe())

    # A truncated record.
    d = fresh_copy("short")
    a = records(d)[1]
    with open(os.path.join(d, a), "r+b") as f:
        f.truncate(os.path.getsize(os.path.join(d, a)) // 2)
    verdict("a truncated record: not used, named", p.run(d), [os.path.join(d, a)])

    # A record of another job (other options, same record number).
    d = fresh_copy("foreign")
    a = records(d)[3]
    shutil.copyfile(os.path.join(ck_b, a), os.path.join(d, a))
    verdict("a record copied from another job's checkpoint: not used, named", p.run(d),
            [os.path.join(d, a)])

    # Misnamed copies beside the genuine record: no crash, never counted twice.
    d = fresh_copy("misnamed")
    a = records(d)[1]
    number = int(a[5:-5])
    for alias in (f"task-{number}.done", f"task-{number:09d}.done", f"task-+{number}.done"):
        shutil.copyfile(os.path.join(d, a), os.path.join(d, alias))
    r = p.run(d)
    res.check(f"{p.name}: misnamed copies beside every genuine record: ignored, not counted twice",
              r.rc == 0 and canonical(r.out) == want and f"task-{number}.done" in r.stderr,
              r.describe())

    # A misnamed copy of record k standing in for a removed record k+1; record k under record
    # k+2's canonical name.
    d = fresh_copy("standin")
    names = records(d)
    k = int(names[0][5:-5])
    os.remove(os.path.join(d, names[1]))
    shutil.copyfile(os.path.join(d, names[0]), os.path.join(d, f"task-{k + 1}.done"))
    shutil.copyfile(os.path.join(d, names[0]), os.path.join(d, names[2]))
    r = p.run(d)
    verdict("another record under a removed record's (misnamed) or a present record's name: "
            "not used", r, [os.path.join(d, names[2])])


def check_claims(res, work, p, tag, shim, pairs):
    """Two runs at once on a fresh directory, `pairs` times with different options (half with
    flock disabled by the shim, so that only the atomic manifest decides), then two runs of one
    job at once."""
    ref_a, ref_b = p.run(None), p.run(None, args=p.other)
    want = {"A": canonical(ref_a.out), "B": canonical(ref_b.out)}
    base_env = dict(os.environ)
    if shim:
        base_env["LD_PRELOAD"] = shim
        base_env["MRKIT_TEST_CLAIM_DELAY_MS"] = "300"
    problems = []
    winners = {"A": 0, "B": 0}
    for i in range(pairs):
        ck = os.path.join(work, f"{tag}-claim-{i}")
        env = dict(base_env)
        if shim and i % 2 == 0:
            env["MRKIT_TEST_NO_FLOCK"] = "1"
        with futures.ThreadPoolExecutor(2) as pool:
            fa = pool.submit(p.run, ck, None, False, env)
            fb = pool.submit(p.run, ck, p.other, False, env)
            runs = {"A": fa.result(), "B": fb.result()}
        ok = [k for k, r in runs.items() if r.rc == 0]
        refused = [k for k, r in runs.items() if r.rc == 3 and (
            "different run" in r.stderr or "in use by another run" in r.stderr)]
        wrong = [k for k in ok if canonical(runs[k].out) != want[k]]
        if len(ok) != 1 or len(refused) != 1 or wrong:
            problems.append(f"pair {i}: " + " | ".join(
                f"{k}: exit {r.rc} {r.stderr.strip()[:200]}" for k, r in runs.items()))
            continue
        winner = ok[0]
        winners[winner] += 1
        again = p.run(ck, args=p.args if winner == "A" else p.other)
        if again.rc != 0 or canonical(again.out) != want[winner]:
            problems.append(f"pair {i}: the winner's re-run: {again.describe()}")
    res.check(f"{p.name}: {pairs} pairs of runs with different options started at once on one "
              f"directory: one proceeds (A {winners['A']}, B {winners['B']}), the other is "
              f"refused, no wrong result", not problems, "\n".join(problems[:5]))

    # One job twice at once: the second is refused while the first holds the directory.
    ck = os.path.join(work, f"{tag}-claim-same")
    env = dict(base_env)
    env.pop("MRKIT_TEST_NO_FLOCK", None)
    run_same = p.run
    if p.program == "wordcount":
        env["MRKIT_TEST_SLOW_TASK"] = "0:1.5"
        run_same = p.run_hooked
    else:
        env["MRKIT_TEST_CLAIM_DELAY_MS"] = "1500"
        if not shim:
            return
    with futures.ThreadPoolExecutor(2) as pool:
        fa = pool.submit(run_same, ck, None, False, env)
        fb = pool.submit(run_same, ck, None, False, env)
        runs = [fa.result(), fb.result()]
    ok = [r for r in runs if r.rc == 0]
    busy = [r for r in runs if r.rc == 3 and "in use by another run" in r.stderr]
    res.check(f"{p.name}: the same job twice at once: one proceeds, the other is refused as "
              f"in use", len(ok) == 1 and len(busy) == 1 and canonical(ok[0].out) == want["A"],
              "\n".join(r.describe() for r in runs))


def check_empty_name(res, wc, mc, inp):
    r = wc.run(["--checkpoint", "", inp])
    res.check("wordcount --checkpoint '': refused, exit 2",
              e2e.said_once(r, "wordcount", 2) and not r.out, r.describe())
    r = mc.run(["--checkpoint", "", "pi", "--samples", "1000"])
    res.check("montecarlo --checkpoint '' pi: refused, exit 2",
              e2e.said_once(r, "montecarlo", 2) and not r.out, r.describe())


def check_modes(res, work, p):
    """Files in an owner-only directory are 0600; elsewhere they follow the umask."""
    for dir_mode, umask in ((0o700, 0o022), (0o755, 0o022), (0o755, 0o027)):
        ck = os.path.join(work, f"mode-{dir_mode:o}-{umask:o}")
        os.mkdir(ck)
        os.chmod(ck, dir_mode)
        old = os.umask(umask)
        try:
            r = p.run(ck)
        finally:
            os.umask(old)
        want = 0o600 if dir_mode & 0o077 == 0 else 0o666 & ~umask
        modes = {n: os.stat(os.path.join(ck, n)).st_mode & 0o777
                 for n in os.listdir(ck) if not n.startswith(".")}
        res.check(f"{p.name}: checkpoint files in a {dir_mode:o} directory under umask "
                  f"{umask:03o} are {want:o}", r.rc == 0 and len(modes) > 2
                  and all(m == want for m in modes.values()),
                  f"{r.describe()}\nmodes: " + ", ".join(f"{n} {m:o}" for n, m in modes.items()))


def check_bounded(res, work, wc):
    d = os.path.join(work, "small")
    os.makedirs(d)
    text = " ".join("x%d" % (i % 97) for i in range(6000))  # ~24 KB
    with open(os.path.join(d, "a.txt"), "w") as f:
        f.write(text)
    args = ["--format", "json", "--top", "0", "--split-bytes", "1", d]
    ref = wc.run(args)
    ck = os.path.join(work, "small-ck")
    r = wc.run(args + ["--checkpoint", ck], timeout=60)
    n = len(records(ck)) if os.path.isdir(ck) else -1
    res.check(f"wordcount --split-bytes 1 --checkpoint on {len(text)} bytes: {n} records "
              f"(bounded: at most 4096, one per 16 KiB of input)",
              r.rc == 0 and canonical(r.out) == canonical(ref.out) and 0 < n <= 4,
              r.describe())
    if n > 1:
        os.remove(os.path.join(ck, records(ck)[-1]))
        again = wc.run(args + ["--checkpoint", ck], direct=True)
        res.check("wordcount: a grouped checkpoint resumes at 1 rank with the same output",
                  again.rc == 0 and canonical(again.out) == canonical(ref.out)
                  and "resumed from checkpoint" in again.stderr, again.describe())


if __name__ == "__main__":
    sys.exit(main())
