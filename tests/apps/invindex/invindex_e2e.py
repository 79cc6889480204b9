#!/usr/bin/env python3
"""End-to-end test of `invindex` against Python: for each word of bytes.split(), the files that
hold it with their counts (collections.Counter per file), files in the order of the listing,
words bytewise.

Usage (CTest, once per rank count P):
    invindex_e2e.py --bin build/bin/invindex --ranks P --mpiexec mpiexec

Checked at P ranks: the input sets of tests/support/word_inputs.py (edge cases: empty files, no
final newline, CRLF, NUL bytes, words and a file name that are not UTF-8, a tab and a backslash
in names and words, a 3 KB and a 1 MB word; the shipped corpus and /usr/share/common-licenses)
at split sizes 1 (tiny set only), 7, 4096 and the default, both schedules, byte for byte (TSV);
the text and JSON formats, -o, --output-dir (the parts concatenated are the -o output; JSON:
one object per line, the elements of "words"); --stats; --checkpoint (a complete checkpoint
gives the same output again; another input is refused); bad command lines (exit 2) and a
missing path (exit 3) give one line. The last line is `N passed, N failed`.
"""

import collections
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../support"))
import e2e_support as e2e  # noqa: E402
import word_inputs as wi  # noqa: E402

e2e.set_mpi_defaults()
PROGRAM = "invindex"
RUN_TIMEOUT = 60


def reference(args):
    """[(word, [(path, count), ...])], words bytewise, files in listing order."""
    index = {}
    for path in wi.listing(args):
        for word, n in collections.Counter(wi.words(wi.read(path))).items():
            index.setdefault(word, []).append((path, n))
    return sorted(index.items())


def tsv(index):
    return b"".join(wi.tsv_escape(w) + b"".join(b"\t%s\t%d" % (wi.tsv_escape(p), n)
                                                 for p, n in files) + b"\n"
                    for w, files in index)


def text(index):
    return b"".join(w + b": " + b", ".join(b"%s (%d)" % (p, n) for p, n in files) + b"\n"
                    for w, files in index)


def json_items(index):
    return [{"word": wi.to_text(w), "files": [{"path": wi.to_text(p), "count": n}
                                              for p, n in files]} for w, files in index]


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


def check_index(res, run, sets, refs):
    for set_name, split in (("tiny", "1"), ("medium", "7"), ("big", "4096"), ("big", None)):
        for schedule in ("static", "dynamic"):
            argv = ["--format", "tsv", "--schedule", schedule]
            argv += ["--split-bytes", split] if split else []
            r = run.mpi(argv + path_args(sets[set_name]))
            want = tsv(refs[set_name])
            res.check(f"{set_name} set, split {split or 'default'}, {schedule}, {run.ranks} "
                      f"ranks: Python's index ({len(refs[set_name])} words)",
                      r.rc == 0 and r.out == want and r.err == b"",
                      r.describe(300) + "\n" + diff(r.out, want))
    # A file named twice is listed twice, and a file's own order is kept.
    one = os.path.join(sets["tiny"][0], b"no-final-newline.txt")
    args = [one, sets["tiny"][0], one]
    r = run.mpi(["--format", "tsv", "--split-bytes", "7"] + path_args(args))
    want = tsv(reference(args))
    res.check("a file named twice: twice in the postings, in command-line order",
              r.rc == 0 and r.out == want, r.describe(300) + "\n" + diff(r.out, want))


def check_formats(res, run, sets, refs, tmp):
    args = path_args(sets["big"])
    index = refs["big"]
    r = run.mpi(args)
    res.check("text: 'word: path (count), path (count)' per word",
              r.rc == 0 and r.out == text(index), r.describe(300) + "\n" + diff(r.out, text(index)))
    r = run.mpi(["--format", "json"] + args)
    res.check("--format json: one object {words: [{word, files: [{path, count}]}]} on one line",
              r.rc == 0 and r.out.count(b"\n") == 1 and r.out.endswith(b"\n")
              and e2e.json_or(r.out) == {"words": json_items(index)}, r.describe(300))
    for fmt in ("text", "tsv", "json"):
        out = os.path.join(tmp, f"out.{fmt}")
        r = run.mpi(["--format", fmt, "-o", out] + args)
        written = wi.read(out) if os.path.exists(out) else None
        want = {"text": text(index), "tsv": tsv(index), "json": None}[fmt]
        res.check(f"-o FILE --format {fmt}: FILE holds the result, stdout empty",
                  r.rc == 0 and r.out == b"" and written is not None
                  and (want is None or written == want), r.describe(300))
        parts_dir = os.path.join(tmp, f"parts-{fmt}")
        r = run.mpi(["--format", fmt, "--output-dir", parts_dir] + args)
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
                      "\"words\" in order", joined.endswith(b"\n") and lines == json_items(index),
                      e2e.short(joined, 400))


def check_stats(res, run, sets):
    args = ["--split-bytes", "7"] + path_args(sets["tiny"])
    e2e.check_rank_stats(res, lambda a: run.mpi(a), PROGRAM, run.ranks, args,
                         lambda r, fmt: r.out if r.rc == 0 and r.out else None)


def check_checkpoint(res, run, sets, refs, tmp):
    args = ["--format", "tsv", "--split-bytes", "4096"] + path_args(sets["medium"])
    want = tsv(refs["medium"])
    ck = os.path.join(tmp, "ck")
    first = run.mpi(args + ["--checkpoint", ck])
    res.check("--checkpoint: a checkpointed run prints Python's index",
              first.rc == 0 and first.out == want, first.describe(300))
    again = run.mpi(args + ["--checkpoint", ck])
    res.check("--checkpoint: run again on its complete checkpoint, the same output",
              again.rc == 0 and again.out == want, again.describe(300))
    other = run.mpi(args + ["--checkpoint", ck, path_args(sets["tiny"])[0]], fast_kill=True)
    res.check("--checkpoint: another input is refused (exit 3, one line)",
              e2e.said_once(other, PROGRAM, 3), other.describe(300))


def check_command_line(res, run, sets, tmp):
    one = os.fsdecode(os.path.join(sets["tiny"][0], b"one-word.txt"))
    direct = run.ranks == 1
    launch = (lambda a: run.direct(a)) if direct else (lambda a: run.mpi(a, fast_kill=True))
    bad = [("missing path", [one, "no/such/file"], 3, "no/such/file"),
           ("no path", [], 2, None),
           ("-o with --output-dir", ["-o", os.path.join(tmp, "never.txt"), "--output-dir",
                                     os.path.join(tmp, "never"), one], 2, "--output-dir"),
           ("--format xml", ["--format", "xml", one], 2, "--format"),
           ("--split-bytes 0", ["--split-bytes", "0", one], 2, "--split-bytes")]
    if not direct:
        bad = bad[:1]
    for name, argv, code, mentions in bad:
        r = launch(argv)
        res.check(f"{name}: exit {code}, one '{PROGRAM}:' line"
                  f"{f' naming {mentions}' if mentions else ''}, nothing on stdout",
                  e2e.said_once(r, PROGRAM, code, mentions=mentions, alone=direct) and r.out == b"",
                  r.describe(300))
    res.check("nothing written by refused runs", not os.path.exists(os.path.join(tmp, "never"))
              and not os.path.exists(os.path.join(tmp, "never.txt")), str(os.listdir(tmp)))
    if direct:
        r = run.direct(["--help"])
        res.check("--help: exit 0, names the options",
                  r.rc == 0 and all(o in r.stdout for o in ("--format", "--output-dir",
                                                            "--checkpoint", "--split-bytes",
                                                            "--schedule", "--stats",
                                                            "--progress")), r.describe(300))
        r = run.direct(["--version"])
        res.check("--version: exit 0, one line", r.rc == 0 and r.out.count(b"\n") == 1,
                  r.describe(300))


def main():
    opts = e2e.mpi_arguments(__doc__.splitlines()[0]).parse_args()
    res = e2e.Results()
    tmp = tempfile.mkdtemp(prefix="mrkit-invindex-")
    t0 = time.monotonic()
    try:
        sets = wi.make_sets(os.path.join(tmp, "in"))
        refs = {name: reference(args) for name, args in sets.items()}
        run = e2e.Runner(opts.bin, opts.mpiexec, opts.ranks, timeout=RUN_TIMEOUT)
        check_index(res, run, sets, refs)
        check_formats(res, run, sets, refs, tmp)
        check_stats(res, run, sets)
        check_checkpoint(res, run, sets, refs, tmp)
        check_command_line(res, run, sets, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res.finish(f" ({time.monotonic() - t0:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
