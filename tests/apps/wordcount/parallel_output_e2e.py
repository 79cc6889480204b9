#!/usr/bin/env python3
"""End-to-end test of wordcount --top 0 written by all ranks (io/shared_output.hpp).

Usage (registered in CTest at P = 1, 2, 3 and 4 ranks):

    /usr/bin/python3 tests/apps/wordcount/parallel_output_e2e.py --bin build/bin/wordcount \
        --ranks P --mpiexec mpiexec

With --top 0 the whole vocabulary is sorted across the ranks and each rank writes its own range
of the result. Checked at P ranks:
  - `--top 0 -o FILE` in text, tsv and json is byte for byte the output of one rank (JSON: but
    for its "ranks" field) and, for text and tsv, an independent Python reference (a Counter
    over bytes.split(), sorted by (-count, word)); JSON parsed against the same reference
  - the same on standard output, and with fewer distinct words than ranks (empty ranges) and
    with no words at all
  - a full file system (a 64 KiB tmpfs, mounted when run as root; SKIP otherwise) as the -o
    target: exit 1, one line naming "No space left on device", no file and no temporary left
  - a rank that dies just before it writes its range (MRKIT_TEST_DIE_BEFORE_WRITE=RANK):
    mpiexec exits non-zero and no final file appears
The last line printed is `N passed, N failed`.
"""

import collections
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

PROGRAM = "wordcount"


def make_corpus(work):
    """Three files (one empty) with Zipf-like counts and many ties, some words needing escapes."""
    rng = random.Random(17)
    vocab = [f"w{i}".encode() for i in range(2500)]
    vocab += ["é".encode(), b"back\\slash", b'"quoted"', b"x" * 300]
    words = []
    for i, w in enumerate(vocab):
        words += [w] * (1 + 300 // (1 + i % 97))
    rng.shuffle(words)
    paths = []
    for name, part in (("a.txt", words[: len(words) // 2]), ("b.txt", words[len(words) // 2:]),
                       ("empty.txt", [])):
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            line = []
            for i, w in enumerate(part):
                line.append(w)
                if i % 11 == 10:
                    f.write(b" ".join(line) + b"\n")
                    line = []
            f.write(b"\t".join(line) + b"\n")
        paths.append(path)
    return paths


def reference(paths):
    """(per-file word counts, total, words in output order) from Python alone."""
    per_file = []
    counts = collections.Counter()
    for path in paths:
        with open(path, "rb") as f:
            words = f.read().split()
        per_file.append(len(words))
        counts.update(words)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return per_file, sum(per_file), ordered


def expected_text(paths, ref):
    per_file, total, ordered = ref
    width = len(str(total))
    out = b"".join(f"{n:>{width}} ".encode() + p.encode() + b"\n" for p, n in zip(paths, per_file))
    out += f"{total:>{width}} total\n".encode()
    out += f"\n{len(ordered)} distinct words; most frequent:\n".encode()
    cw = max([1] + [len(str(c)) for _, c in ordered])
    out += b"".join(f"{c:>{cw}} ".encode() + w + b"\n" for w, c in ordered)
    return out


def expected_tsv(paths, ref):
    per_file, total, ordered = ref
    esc = lambda b: b.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n") \
        .replace(b"\r", b"\\r")
    out = b"".join(f"file\t{n}\t".encode() + esc(p.encode()) + b"\n"
                   for p, n in zip(paths, per_file))
    out += f"total\t{total}\n".encode()
    out += b"".join(f"word\t{c}\t".encode() + esc(w) + b"\n" for w, c in ordered)
    return out


def json_matches(data, paths, ref, ranks):
    per_file, total, ordered = ref
    j = e2e.json_or(data)
    if not isinstance(j, dict):
        return False
    top = [(e["word"].encode("utf-8", "surrogateescape"), e["count"]) for e in j.get("top", [])]
    return (j.get("total_words") == total and j.get("distinct_words") == len(ordered)
            and j.get("ranks") == ranks and top == ordered
            and j.get("files") == [{"path": p, "words": n} for p, n in zip(paths, per_file)])


def without_ranks(data, ranks):
    return data.replace(f',"ranks":{ranks},'.encode(), b',"ranks":R,')


def check_corpus(res, runner, p, work, label, paths):
    ref = reference(paths)
    for fmt in ("text", "tsv", "json"):
        one = runner.direct(["--top", "0", "--format", fmt] + paths)
        target = os.path.join(work, f"out-{label}.{fmt}")
        r = runner.mpi(["--top", "0", "--format", fmt, "-o", target] + paths)
        got = b""
        if os.path.exists(target):
            with open(target, "rb") as f:
                got = f.read()
        name = f"{label}: --top 0 --format {fmt} -o FILE at {p} ranks"
        res.check(f"{name}: exit 0, nothing on stdout", r.rc == 0 and r.out == b"", r.describe())
        if fmt == "json":
            res.check(f"{name}: the 1-rank output but for 'ranks'",
                      one.rc == 0 and without_ranks(got, p) == without_ranks(one.out, 1),
                      f"got {e2e.short(got, 300)}\nwant {e2e.short(one.out, 300)}")
            res.check(f"{name}: the Python reference", json_matches(got, paths, ref, p),
                      e2e.short(got, 300))
        else:
            want = expected_text(paths, ref) if fmt == "text" else expected_tsv(paths, ref)
            res.check(f"{name}: the 1-rank output", one.rc == 0 and got == one.out,
                      f"got {e2e.short(got, 300)}\nwant {e2e.short(one.out, 300)}")
            res.check(f"{name}: the Python reference", got == want,
                      f"got {e2e.short(got, 300)}\nwant {e2e.short(want, 300)}")
        names = sorted(os.listdir(work))
        res.check(f"{name}: no temporary file left",
                  not [n for n in names if n.startswith(".")], str(names))
        if fmt != "json":
            r = runner.mpi(["--top", "0", "--format", fmt] + paths)
            res.check(f"{label}: --top 0 --format {fmt} on standard output at {p} ranks: the same",
                      r.rc == 0 and r.out == got, r.describe())


def check_full_disk(res, runner, p, work):
    full = os.path.join(work, "full")
    os.mkdir(full)
    if os.geteuid() != 0:
        print("SKIP  full file system: not root, cannot mount a tmpfs")
        return
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", full],
                       capture_output=True, text=True)
    if m.returncode != 0:
        print(f"SKIP  full file system: mount failed: {m.stderr.strip()}")
        return
    try:
        big = os.path.join(work, "big.txt")
        with open(big, "w") as f:
            f.write(" ".join(f"word{i:06d}" for i in range(20000)) + "\n")  # ~300 KB of output
        target = os.path.join(full, "out.txt")
        r = runner.mpi(["--top", "0", "-o", target, big], fast_kill=True)
        left = os.listdir(full)
        res.check(f"--top 0 -o on a full 64 KiB tmpfs at {p} ranks: exit 1, one line naming "
                  "'No space left on device', nothing left",
                  e2e.said_once(r, PROGRAM, 1, mentions="No space left on device") and not left,
                  f"left {left}\n{r.describe()}")
    finally:
        subprocess.run(["umount", "-l", full], check=False)


def check_killed_rank(res, runner, p, work, paths):
    victim = p - 1
    target = os.path.join(work, "killed.txt")
    env = dict(os.environ, MRKIT_TEST_DIE_BEFORE_WRITE=str(victim))
    r = runner.mpi(["--top", "0", "-o", target] + paths, env=env, fast_kill=True)
    res.check(f"rank {victim} of {p} dies before it writes: non-zero exit, no final file",
              r.rc not in (0, None) and not os.path.exists(target), r.describe())


def main():
    a = e2e.mpi_arguments(__doc__.split("\n")[0]).parse_args()
    res = e2e.Results()
    p = a.ranks
    runner = e2e.Runner(a.bin, a.mpiexec, p, timeout=60)
    work = tempfile.mkdtemp(prefix="mrkit-parallel-output-")
    try:
        corpus = os.path.join(work, "corpus")
        os.mkdir(corpus)
        out = os.path.join(work, "out")
        os.mkdir(out)
        paths = make_corpus(corpus)
        check_corpus(res, runner, p, out, "corpus", paths)
        few = os.path.join(corpus, "few.txt")
        with open(few, "wb") as f:
            f.write(b"b a b\n")
        check_corpus(res, runner, p, out, "two words", [few])
        check_corpus(res, runner, p, out, "no words", [os.path.join(corpus, "empty.txt")])
        check_full_disk(res, runner, p, work)
        check_killed_rank(res, runner, p, out, paths)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
