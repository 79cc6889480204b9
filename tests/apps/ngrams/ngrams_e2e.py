#!/usr/bin/env python3
"""End-to-end test of `ngrams` against Python: collections.Counter over the n-grams of each
file's bytes.split() (N consecutive words of one file, joined by one space), sorted by count
descending, then n-gram bytewise.

Usage (CTest, once per rank count P):
    ngrams_e2e.py --bin build/bin/ngrams --hooked-bin build/tests/ngrams_hooked --ranks P \
        --mpiexec mpiexec

Checked at P ranks: the three input sets of tests/support/word_inputs.py (edge cases: empty
files, no final newline, CRLF, NUL bytes, words that are not UTF-8, files with fewer than N
words, a 3 KB and a 1 MB word; the shipped corpus and /usr/share/common-licenses) at split sizes
1 (tiny set only), 7, 4096 and the default, both schedules, N = 1, 2, 3, 7, with and without
-i, byte for byte (TSV); the text and JSON formats, --top K, -o, --output-dir (the parts
concatenated are the -o output; JSON: one object per line, the elements of "ngrams"); --stats;
a checkpointed run killed part-way (ngrams_hooked holds its last task) and resumed prints what
an uninterrupted run prints, and the checkpoint refuses other options; bad command lines
(exit 2) and a missing path (exit 3) give one line. The last line is `N passed, N failed`.
"""

import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../support"))
import e2e_support as e2e  # noqa: E402
import word_inputs as wi  # noqa: E402

e2e.set_mpi_defaults()
PROGRAM = "ngrams"
RUN_TIMEOUT = 60


class Reference:
    """Python's n-gram counts of a list of path arguments."""

    def __init__(self, args):
        self.files = [wi.read(p) for p in wi.listing(args)]
        self.cache = {}

    def counts(self, n, fold=False):
        key = (n, fold)
        if key not in self.cache:
            c = collections.Counter()
            for data in self.files:
                w = wi.words(data, fold)
                c.update(b" ".join(w[i:i + n]) for i in range(len(w) - n + 1))
            self.cache[key] = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))
        return self.cache[key]


def tsv(pairs):
    return b"".join(b"%d\t%s\n" % (c, wi.tsv_escape(g)) for g, c in pairs)


def text(pairs, width):
    return b"".join(b"%*d %s\n" % (width, c, g) for g, c in pairs)


def width_of(all_pairs):
    return len(str(all_pairs[0][1])) if all_pairs else 1


def json_items(pairs):
    return [{"count": c, "ngram": wi.to_text(g)} for g, c in pairs]


def json_object(n, all_pairs, shown):
    return {"n": n, "distinct": len(all_pairs), "total": sum(c for _, c in all_pairs),
            "ngrams": json_items(shown)}


def diff(got, want):
    g, w = got.split(b"\n"), want.split(b"\n")
    for i in range(max(len(g), len(w))):
        a = g[i] if i < len(g) else None
        b = w[i] if i < len(w) else None
        if a != b:
            return (f"got {len(got)} bytes, expected {len(want)}; first difference at line "
                    f"{i + 1}:\n  expected {e2e.short(b)}\n  got      {e2e.short(a)}")
    return "(same)"


def path_args(args):
    return [os.fsdecode(a) for a in args]


def check_counts(res, run, sets, refs):
    """N, -i, split sizes and schedules: TSV byte for byte against Python."""
    cases = []
    for set_name, split in (("tiny", "1"), ("medium", "7"), ("big", "4096"), ("big", None)):
        for schedule in ("static", "dynamic"):
            cases.append((set_name, split, schedule, 2, False))
    cases += [("tiny", "1", "dynamic", n, False) for n in (1, 7)]
    cases += [("medium", "7", "dynamic", 3, False)]
    cases += [("big", None, "static", 3, False)]
    cases += [("medium", "7", "static", 2, True), ("big", "4096", "dynamic", 3, True)]
    for set_name, split, schedule, n, fold in cases:
        argv = ["-n", str(n), "--format", "tsv", "--schedule", schedule]
        argv += (["--split-bytes", split] if split else []) + (["-i"] if fold else [])
        name = (f"{set_name} set, -n {n}{' -i' if fold else ''}, split {split or 'default'}, "
                f"{schedule}, {run.ranks} ranks")
        r = run.mpi(argv + path_args(sets[set_name]))
        want = tsv(refs[set_name].counts(n, fold))
        lines = want.count(b"\n")
        res.check(f"{name}: Python's counts ({lines} n-grams)",
                  r.rc == 0 and r.out == want and r.err == b"",
                  r.describe(300) + "\n" + diff(r.out, want))


def check_formats(res, run, sets, refs, tmp):
    args = path_args(sets["big"])
    pairs = refs["big"].counts(2)
    width = width_of(pairs)
    r = run.mpi(["-n", "2"] + args)
    res.check("text: count right-aligned to the largest, a space, the n-gram",
              r.rc == 0 and r.out == text(pairs, width), r.describe(300) + "\n" +
              diff(r.out, text(pairs, width)))
    r = run.mpi(["-n", "2", "--top", "0"] + args)
    res.check("--top 0 lists every n-gram, as no --top does", r.rc == 0 and r.out == text(pairs, width),
              r.describe(300))
    r = run.mpi(["-n", "2", "--top", "5", "--format", "tsv"] + args)
    res.check("--top 5 --format tsv: the first 5 by count, ties bytewise",
              r.rc == 0 and r.out == tsv(pairs[:5]), r.describe(300) + "\n" +
              diff(r.out, tsv(pairs[:5])))
    r = run.mpi(["-n", "3", "-i", "--top", "7", "--format", "json"] + args)
    got = e2e.json_or(r.out)
    all3 = refs["big"].counts(3, True)
    res.check("--format json --top 7: one object {n, distinct, total, ngrams: [{ngram, count}]}",
              r.rc == 0 and r.out.endswith(b"\n") and r.out.count(b"\n") == 1
              and got == json_object(3, all3, all3[:7]),
              r.describe(600))
    # -o and --output-dir, in every format.
    outputs = {}
    for fmt in ("text", "tsv", "json"):
        out = os.path.join(tmp, f"out.{fmt}")
        r = run.mpi(["-n", "2", "--format", fmt, "-o", out] + args)
        written = wi.read(out) if os.path.exists(out) else None
        outputs[fmt] = written
        want = {"text": text(pairs, width), "tsv": tsv(pairs), "json": None}[fmt]
        res.check(f"-o FILE --format {fmt}: FILE holds the result, stdout empty",
                  r.rc == 0 and r.out == b"" and written is not None
                  and (want is None or written == want), r.describe(300))
        parts_dir = os.path.join(tmp, f"parts-{fmt}")
        r = run.mpi(["-n", "2", "--format", fmt, "--output-dir", parts_dir] + args)
        names = sorted(os.listdir(parts_dir)) if os.path.isdir(parts_dir) else []
        parts = [n for n in names if n.startswith("part-")]
        joined = b"".join(wi.read(os.path.join(parts_dir, n)) for n in parts)
        res.check(f"--output-dir --format {fmt}: {run.ranks} parts and _SUCCESS, nothing on stdout",
                  r.rc == 0 and r.out == b"" and parts == [f"part-{i:05d}" for i in range(run.ranks)]
                  and "_SUCCESS" in names, r.describe(300) + f"\n{names}")
        if fmt != "json":
            res.check(f"--output-dir --format {fmt}: the parts concatenated are the -o output",
                      joined == written, diff(joined, written or b""))
        else:
            lines = [e2e.json_or(ln) for ln in joined.split(b"\n")[:-1]]
            res.check("--output-dir --format json: one object per line, the elements of "
                      "\"ngrams\" in order", joined.endswith(b"\n") and lines == json_items(pairs),
                      e2e.short(joined, 400))
    whole = e2e.json_or(outputs["json"] or b"")
    res.check("-o --format json: every n-gram", whole == json_object(2, pairs, pairs),
              e2e.short(outputs["json"] or b"", 400))


def check_stats(res, run, sets):
    args = ["-n", "2", "--split-bytes", "7"] + path_args(sets["tiny"])
    e2e.check_rank_stats(res, lambda a: run.mpi(a), PROGRAM, run.ranks, args,
                         lambda r, fmt: r.out if r.rc == 0 and r.out else None)


def records_in(ck):
    """The finished records in checkpoint `ck` (task-NNNNNNNN.done files)."""
    return sum(1 for n in os.listdir(ck) if n.startswith("task-") and n.endswith(".done"))


def tasks_run(r):
    """The tasks all ranks ran, by --stats=json (-1 without it)."""
    found = [e2e.json_or(ln) for ln in e2e.stats_json_lines(r.err)]
    if len(found) != 1 or not isinstance(found[0], dict):
        return -1
    return sum(entry.get("tasks", 0) for entry in found[0].get("per_rank", []))


def check_checkpoint(res, run, hooked, sets, refs, tmp):
    """A run held in its last task by ngrams_hooked, killed once its other tasks are recorded,
    then resumed by the shipped ngrams: the output of an uninterrupted run."""
    args = ["-n", "2", "--format", "tsv", "--split-bytes", "4096"] + path_args(sets["big"])
    want = tsv(refs["big"].counts(2))
    ck = os.path.join(tmp, "ck")
    plain = run.mpi(args + ["--checkpoint", ck + "-plain", "--stats=json"])
    res.check("--checkpoint: a checkpointed run prints Python's counts",
              plain.rc == 0 and plain.out == want, plain.describe(300))
    tasks = (sum(len(wi.read(p)) for p in wi.listing(sets["big"])) + 4095) // 4096
    env = dict(os.environ, MRKIT_TEST_SLOW_TASK=f"{tasks - 1}:60")
    argv = hooked.mpi_argv(args + ["--checkpoint", ck])
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    deadline = time.monotonic() + 40
    seen = 0
    while time.monotonic() < deadline and p.poll() is None:
        now = records_in(ck) if os.path.isdir(ck) else 0
        if now > 0 and now == seen:
            break  # the records stopped growing: only the held task is left
        seen = now
        time.sleep(0.5)
    still_running = p.poll() is None
    e2e.kill_session(p.pid)
    p.wait()
    res.check(f"--checkpoint: killed (SIGKILL) while its last task is held, with {seen} "
              "records in the checkpoint", still_running and seen > 0,
              f"running: {still_running}, files: {seen}")
    again = run.mpi(args + ["--checkpoint", ck, "--stats=json"])
    ran_all, ran_again = tasks_run(plain), tasks_run(again)
    res.check(f"--checkpoint: the same command again resumes (runs {ran_again} of {ran_all} "
              "tasks, by --stats) and prints what an uninterrupted run prints",
              again.rc == 0 and again.out == want and 0 < ran_again < ran_all,
              again.describe(300) + "\n" + diff(again.out, want))
    other = run.mpi(["-n", "3"] + args[2:] + ["--checkpoint", ck], fast_kill=True)
    res.check("--checkpoint: the checkpoint of -n 2 refuses -n 3 (exit 3, one line)",
              e2e.said_once(other, PROGRAM, 3), other.describe(300))
    folded = run.mpi(args + ["-i", "--checkpoint", ck], fast_kill=True)
    res.check("--checkpoint: the checkpoint of a run without -i refuses -i (exit 3, one line)",
              e2e.said_once(folded, PROGRAM, 3), folded.describe(300))
    # A complete checkpoint written at P ranks is whole at another rank count, which then maps
    # nothing. (The default split with --checkpoint depends on the input alone; on inputs this
    # small every split rule gives 1 MiB, so this checks the resume, not that rule.)
    args = ["-n", "2", "--format", "tsv"] + path_args(sets["big"])
    other_ranks = 2 if run.ranks == 1 else 1
    first = run.mpi(args + ["--checkpoint", ck + "-default"])
    again = run.mpi(args + ["--checkpoint", ck + "-default", "--stats=json"], ranks=other_ranks)
    res.check(f"--checkpoint, default split: written at {run.ranks} ranks, used whole at "
              f"{other_ranks} (no task mapped again), the same output",
              first.rc == 0 and first.out == want and again.rc == 0 and again.out == want
              and tasks_run(again) == 0, again.describe(300))


def check_straggler(res, hooked, sets, refs):
    """--task-time-limit: a slow task is named once and re-run on an idle rank; same result."""
    env = dict(os.environ, MRKIT_TEST_SLOW_TASK="3:1.5")
    r = hooked.mpi(["-n", "2", "--format", "tsv", "--split-bytes", "1024", "--task-time-limit",
                    "0.3"] + path_args(sets["medium"]), env=env)
    warned = [ln for ln in r.stderr_lines() if ln.startswith("ngrams: warning: task 3 has run")]
    res.check("--task-time-limit 0.3 with task 3 held 1.5 s: one warning naming it, Python's "
              "counts", r.rc == 0 and len(warned) == 1 and r.out == tsv(refs["medium"].counts(2)),
              r.describe(300))


def check_command_line(res, run, sets, tmp):
    one = os.fsdecode(os.path.join(sets["tiny"][0], b"one-word.txt"))
    direct = run.ranks == 1
    launch = (lambda a: run.direct(a)) if direct else (lambda a: run.mpi(a, fast_kill=True))
    bad = [("-n 0", ["-n", "0", one], 2, "-n"), ("no -n", [one], 2, "-n"),
           ("-n x", ["-n", "x", one], 2, "-n"), ("no path", ["-n", "2"], 2, None),
           ("missing path", ["-n", "2", one, "no/such/file"], 3, "no/such/file"),
           ("--top with --output-dir", ["-n", "2", "--top", "3", "--output-dir",
                                        os.path.join(tmp, "never"), one], 2, "--output-dir"),
           ("-o with --output-dir", ["-n", "2", "-o", os.path.join(tmp, "never.txt"),
                                     "--output-dir", os.path.join(tmp, "never"), one], 2,
            "--output-dir"),
           ("--format xml", ["-n", "2", "--format", "xml", one], 2, "--format")]
    if not direct:  # the same parsing on every rank: two cases under mpiexec suffice
        bad = [b for b in bad if b[0] in ("-n 0", "missing path")]
    for name, argv, code, mentions in bad:
        r = launch(argv)
        res.check(f"{name}: exit {code}, one '{PROGRAM}:' line{f' naming {mentions}' if mentions else ''}"
                  ", nothing on stdout",
                  e2e.said_once(r, PROGRAM, code, mentions=mentions, alone=direct) and r.out == b"",
                  r.describe(300))
    res.check("nothing written by refused runs", not os.path.exists(os.path.join(tmp, "never"))
              and not os.path.exists(os.path.join(tmp, "never.txt")), str(os.listdir(tmp)))
    if direct:
        r = run.direct(["--help"])
        res.check("--help: exit 0, names the options",
                  r.rc == 0 and all(o in r.stdout for o in ("-n", "--top", "-i", "--format",
                                                            "--output-dir", "--checkpoint",
                                                            "--split-bytes", "--schedule",
                                                            "--stats", "--progress")),
                  r.describe(300))
        r = run.direct(["--version"])
        res.check("--version: exit 0, one line", r.rc == 0 and r.out.count(b"\n") == 1,
                  r.describe(300))


def main():
    ap = e2e.mpi_arguments(__doc__.splitlines()[0])
    ap.add_argument("--hooked-bin", required=True, help="ngrams_hooked (MRKIT_TEST_SLOW_TASK)")
    opts = ap.parse_args()
    res = e2e.Results()
    tmp = tempfile.mkdtemp(prefix="mrkit-ngrams-")
    t0 = time.monotonic()
    try:
        sets = wi.make_sets(os.path.join(tmp, "in"))
        refs = {name: Reference(args) for name, args in sets.items()}
        run = e2e.Runner(opts.bin, opts.mpiexec, opts.ranks, timeout=RUN_TIMEOUT)
        hooked = e2e.Runner(opts.hooked_bin, opts.mpiexec, opts.ranks, timeout=RUN_TIMEOUT)
        check_counts(res, run, sets, refs)
        check_formats(res, run, sets, refs, tmp)
        check_stats(res, run, sets)
        check_checkpoint(res, run, hooked, sets, refs, tmp)
        if opts.ranks > 1:
            check_straggler(res, hooked, sets, refs)
        check_command_line(res, run, sets, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res.finish(f" ({time.monotonic() - t0:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
