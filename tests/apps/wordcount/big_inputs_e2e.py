#!/usr/bin/env python3
"""wordcount on inputs that break naive programs, at 1 to 4 ranks (label `slow`).

  1. A 100 MB line without white space (one word) between short words, cut by many tasks.
  2. A sparse file of 4.5 GiB (> 2^32 bytes) with words at offsets past 2^31 and 2^32.
  3. A real file of 2.2 billion words (> 2^31), and one word seen 2.2 billion times.
  4. 100,000 small files: every file's count.
  5. 10 million distinct words: the table holds them all, --stats reports each rank's peak
     memory, and doubling the input with the same vocabulary does not grow it (memory follows
     the vocabulary, not the input).

References: Python's bytes.split() streamed over the file, GNU `wc -w`, and what was written.
  big_inputs_e2e.py --bin WORDCOUNT --mpiexec MPIEXEC [--ranks 1,2,3,4] [--work DIR]
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e

WS = b" \t\n\v\f\r"
TIMEOUT = 600


def stream_word_count(path, chunk=64 << 20):
    """bytes.split() semantics over a file of any size, one chunk at a time."""
    words = 0
    prev_space = True
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                return words
            words += len(b.split())
            if not prev_space and b[0] not in WS:
                words -= 1  # the first word of this chunk continues the last of the previous
            prev_space = b[-1] in WS


def wc_w(path):
    p = subprocess.run(["wc", "-w", path], capture_output=True, check=True, env={"LC_ALL": "C"})
    return int(p.stdout.split()[0])


class Runner:
    def __init__(self, binary, mpiexec):
        self.binary = binary
        self.mpiexec = mpiexec

    def run(self, ranks, args):
        r = e2e.launch([self.mpiexec, "-n", str(ranks), self.binary] + args, TIMEOUT)
        return r.rc, r.out, r.stderr

    def json(self, res, name, ranks, args):
        rc, out, err = self.run(ranks, ["--format", "json"] + args)
        if not res.check(f"{name}: exit 0", rc == 0, f"exit {rc}: {err[-2000:]}"):
            return None, err
        return json.loads(out), err


def stats_json(err):
    """The --stats=json object printed on standard error."""
    for line in err.splitlines():
        if line.startswith("{") and '"per_rank"' in line:
            return json.loads(line)
    return None


def long_line(res, run, work, ranks_list):
    path = os.path.join(work, "long_line.txt")
    giant = b"x" * 100_000_000
    with open(path, "wb") as f:
        f.write(b"first words\n" + giant + b"\nlast word\n")
    want_total = stream_word_count(path)
    res.check("100 MB line: the Python reference sees 5 words", want_total == 5, str(want_total))
    for ranks in ranks_list:
        for split in ([], ["--split-bytes", str(7_000_000)]):
            name = f"100 MB line, {ranks} rank(s) {' '.join(split)}"
            got, _ = run.json(res, name, ranks, split + ["--top", "0", path])
            if got is None:
                continue
            top = {w["word"]: w["count"] for w in got["top"]}
            res.check(f"{name}: total {want_total}, the 100 MB word counted once",
                      got["total_words"] == want_total and top.get(giant.decode()) == 1
                      and len(top) == 5, f"total {got['total_words']}, {len(top)} distinct")


def sparse_file(res, run, work, ranks_list):
    path = os.path.join(work, "sparse.bin")
    size = 4 * 2**30 + 2**29  # 4.5 GiB
    islands = {0: b"begin here\n", 2**31 - 3: b" past two ", 2**32 - 2: b"\nover four gib ",
               size - 12: b" the end.\n"}
    with open(path, "wb") as f:
        f.truncate(size)
        for at, data in islands.items():
            f.seek(at)
            f.write(data)
    res.check("sparse file is over 2^32 bytes", os.path.getsize(path) > 2**32)
    want = stream_word_count(path)
    for ranks in ranks_list:
        for sched in ("static", "dynamic"):
            name = f"4.5 GiB sparse file, {ranks} rank(s), {sched}"
            got, _ = run.json(res, name, ranks, ["--schedule", sched, path])
            if got is not None:
                res.check(f"{name}: {want} words as bytes.split()", got["total_words"] == want,
                          f"got {got['total_words']}")
    os.unlink(path)


def past_2_31(res, run, work, ranks_list):
    path = os.path.join(work, "a_lines.txt")
    words = 2_200_000_000  # > 2^31
    with open(path, "wb") as f:
        block = b"a\n" * (1 << 20)
        for _ in range(words // (1 << 20)):
            f.write(block)
        f.write(b"a\n" * (words % (1 << 20)))
    ref = wc_w(path)
    res.check(f"{words} words: GNU wc -w agrees with what was written", ref == words, str(ref))
    for ranks in ranks_list[:2]:
        name = f"{words} words, {ranks} rank(s)"
        got, _ = run.json(res, name, ranks, [path])
        if got is not None:
            res.check(f"{name}: total {words} (past 2^31)", got["total_words"] == words,
                      f"got {got['total_words']}")
    name = f"{words} words, --top 1 -i, {ranks_list[-1]} rank(s)"
    got, _ = run.json(res, name, ranks_list[-1], ["--top", "1", "-i", path])
    if got is not None:
        res.check(f"{name}: 'a' counted {words} times", got["top"] == [{"word": "a", "count": words}]
                  and got["distinct_words"] == 1, str(got.get("top")))
    os.unlink(path)


def many_files(res, run, work, ranks_list):
    """100,000 small files in 100 directories: counts per file and in total as bytes.split()."""
    rng = random.Random(7)
    words = [b"alpha", b"Beta", b"gamma", b"\xc3\xa9t\xc3\xa9", b"x", b"a-b"]
    root = os.path.join(work, "many")
    want = {}
    for n in range(100_000):
        d = os.path.join(root, f"d{n // 1000:03d}")
        if n % 1000 == 0:
            os.makedirs(d)
        data = b" ".join(rng.choice(words) for _ in range(rng.randrange(0, 40)))
        if n % 7 == 0:
            data = b"\n" + data  # some start with white space, some end inside a word
        path = os.path.join(d, f"f{n:06d}.txt")
        with open(path, "wb") as f:
            f.write(data)
        want[path] = len(data.split())
    total = sum(want.values())
    for ranks in ranks_list:
        name = f"100,000 small files, {ranks} rank(s)"
        got, _ = run.json(res, name, ranks, [root])
        if got is None:
            continue
        files = {f["path"]: f["words"] for f in got["files"]}
        res.check(f"{name}: every file's count and the total ({total}) as bytes.split()",
                  files == want and got["total_words"] == total,
                  f"{len(files)} files, total {got['total_words']}")
    shutil.rmtree(root)


def vocabulary(res, run, work, ranks_list):
    n = 10_000_000
    once = os.path.join(work, "vocab1.txt")
    twice = os.path.join(work, "vocab2.txt")
    with open(once, "wb") as f:
        step = 1_000_003  # coprime with n: a permutation of 0..n-1
        for start in range(0, n, 1_000_000):
            f.write(b"".join(b"v%07d\n" % ((i * step) % n) for i in range(start, start + 1_000_000)))
    with open(twice, "wb") as f:
        with open(once, "rb") as g:
            data = g.read()
        f.write(data)
        f.write(data)
    first = [f"v{i:07d}" for i in range(3)]
    one_rank_peak = None  # one rank holding the whole vocabulary
    for ranks in sorted(set([1] + ranks_list)):
        peaks = []
        for path, times in ((once, 1), (twice, 2)):
            name = f"{n} distinct words x{times}, {ranks} rank(s)"
            got, err = run.json(res, name, ranks, ["--top", "3", "--stats=json", path])
            if got is None:
                continue
            res.check(f"{name}: {n} distinct, total {n * times}, top 3 as sorted",
                      got["distinct_words"] == n and got["total_words"] == n * times
                      and got["top"] == [{"word": w, "count": times} for w in first],
                      f"distinct {got['distinct_words']}, total {got['total_words']}, "
                      f"top {got['top']}")
            stats = stats_json(err)
            ok = stats is not None and len(stats["per_rank"]) == ranks and all(
                r.get("peak_memory_bytes", 0) > 0 and r.get("data_bytes", 0) > 0
                for r in stats["per_rank"])
            res.check(f"{name}: --stats=json reports every rank's peak memory and table", ok,
                      err[-1500:])
            if ok:
                peaks.append(max(r["peak_memory_bytes"] for r in stats["per_rank"]))
        if len(peaks) != 2:
            continue
        mb = [f"{p / 1e6:.0f} MB" for p in peaks]
        if ranks == 1:
            one_rank_peak = peaks[0]
            res.check(f"1 rank: twice the input, same vocabulary: peak memory {mb[0]} -> {mb[1]} "
                      "(follows the vocabulary, not the input)", peaks[1] <= 1.1 * peaks[0] + 32e6)
        elif one_rank_peak is not None:
            # A rank holds at most the whole vocabulary, as one rank alone does.
            res.check(f"{ranks} ranks: peak memory per rank {mb[0]} (x1), {mb[1]} (x2) stays "
                      f"within what one rank needs for the whole vocabulary "
                      f"({one_rank_peak / 1e6:.0f} MB)",
                      max(peaks) <= 1.25 * one_rank_peak + 64e6)
    os.unlink(once)
    os.unlink(twice)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--mpiexec", required=True)
    ap.add_argument("--ranks", default="1,2,3,4")
    ap.add_argument("--work", default=None, help="scratch directory (default: a temporary one)")
    ap.add_argument("--only", default=None, help="run one case: long_line, sparse_file, "
                                                 "past_2_31, many_files, vocabulary")
    a = ap.parse_args()
    ranks_list = [int(r) for r in a.ranks.split(",")]
    work = tempfile.mkdtemp(prefix="mrkit-big-", dir=a.work)
    e2e.set_mpi_defaults()
    res = e2e.Results()
    run = Runner(a.bin, a.mpiexec)
    try:
        for case in (long_line, sparse_file, past_2_31, many_files, vocabulary):
            if a.only in (None, case.__name__):
                case(res, run, work, ranks_list)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
