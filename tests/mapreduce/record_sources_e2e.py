#!/usr/bin/env python3
"""The record sources over files (mapreduce/file_source.hpp) against Python's own splitting.

Usage (as registered in CTest, once per rank count P):
    record_sources_e2e.py --bin build/tests/record_dump --ranks P --mpiexec mpiexec

Generated files (fixed seed) with the edge cases of issue 16: empty files, empty lines, no
final newline, CRLF, a lone CR, NUL bytes, bytes that are not UTF-8, U+00A0 inside words, \\v
and \\f, a line and a word longer than the read block, many small files (read in batches)
and one over 1 MiB (read with pread). For each source, the records printed by `record_dump`
(file, offset, bytes; gathered in task order) must equal, in order, the reference:
  * words:   re.finditer(rb"[^ \\t\\n\\v\\f\\r]+", data), i.e. data.split(), with offsets;
             words-i: the same over data.translate(ASCII A-Z -> a-z);
  * lines:   [l.removesuffix(b"\\r") for l in data.split(b"\\n")], without the empty piece after
             a final newline, with the offsets where they begin;
  * fixed:N: data[k*N:(k+1)*N] at offset k*N.
at split sizes 1 and 7 (small files only) and 4096 and the default (all files), both schedules,
and read blocks of 5 bytes and the default. Files whose size is not a multiple of N are refused
with one line naming the file (exit 3).
"""

import os
import random
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

WORD = re.compile(rb"[^ \t\n\v\f\r]+")
FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def words(data):
    return [(m.start(), m.group()) for m in WORD.finditer(data)]


def lines(data):
    out, start = [], 0
    while start < len(data):
        nl = data.find(b"\n", start)
        end = len(data) if nl < 0 else nl
        line = data[start:end]
        if nl >= 0 or line:
            out.append((start, line[:-1] if line.endswith(b"\r") else line))
        if nl < 0:
            break
        start = nl + 1
    return out


def fixed(data, n):
    return [(k, data[k:k + n]) for k in range(0, len(data), n)]


def reference(kind, files):
    out = []
    for index, data in enumerate(files):
        if kind == "words":
            recs = words(data)
        elif kind == "words-i":
            recs = words(data.translate(FOLD))
        elif kind == "lines":
            recs = lines(data)
        else:
            recs = fixed(data, int(kind.split(":")[1]))
        out += [f"{index} {off} {rec.hex()}" for off, rec in recs]
    return out


def small_files(rng):
    alphabet = [b"a", b"B", b"c", b" ", b"\t", b"\n", b"\r\n", b"\r", b"\x00", b"\xff",
                b"\xc2\xa0", b"\v", b"\f", b"Zz", b"word"]
    files = [b"", b"\n", b"\r\n", b"one", b"two lines\nno final newline",
             b"\n\n\nempty lines\n\n", b"  lead and trail  \n", b"crlf\r\nline\r\n",
             b"lone\rcr\n", b"nul\x00inside\x00\n", b"\xff\xfe not utf-8 \xc3\x28\n"]
    for _ in range(6):
        files.append(b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120))))
    return files


def big_files(rng):
    vocab = [b"the", b"The", b"LORD", b"and", b"of", b"\xc3\xa9t\xc3\xa9", b"x" * 40]
    text = b" ".join(rng.choice(vocab) + rng.choice([b"", b"\n", b"\r\n"])
                     for _ in range(250_000))
    return [b"w" * 70_000 + b"\n" + b"a b\n" * 10, text[:1_300_000], b"tail without newline"]


def write(dirname, files):
    paths = []
    for i, data in enumerate(files):
        path = os.path.join(dirname, f"f{i:03d}")
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths


def run_configs(res, runner, label, configs, paths, files):
    r = runner.mpi(configs + ["--"] + paths)
    if not res.check(f"{label}: record_dump exits 0", r.rc == 0, r.describe()):
        return
    sections, current = {}, None
    for line in r.out.decode("ascii").splitlines():
        if line.startswith("# "):
            current = sections.setdefault(line[2:], [])
        else:
            current.append(line)
    for config in configs:
        kind = config.split(",")[0]
        want = reference(kind, files)
        got = sections.get(config)
        detail = ""
        if got != want and got is not None:
            first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                         min(len(got), len(want)))
            detail = (f"{len(got)} records, {len(want)} expected; first difference at {first}:"
                      f" got {e2e.short(got[first:first + 2])} want {e2e.short(want[first:first + 2])}")
        res.check(f"{label}: {config} ({len(want)} records)", got == want, detail)


def main():
    args = e2e.mpi_arguments(__doc__).parse_args()
    res = e2e.Results(verbose=True)
    runner = e2e.Runner(args.bin, args.mpiexec, args.ranks, timeout=180, fast_kill=True)
    rng = random.Random(20261203)
    with tempfile.TemporaryDirectory() as tmp:
        small_dir, big_dir, fixed_dir = (os.path.join(tmp, d) for d in ("small", "big", "fixed"))
        for d in (small_dir, big_dir, fixed_dir):
            os.mkdir(d)
        small = small_files(rng)
        big = big_files(rng)
        paths_small = write(small_dir, small)
        paths_big = write(big_dir, big)
        kinds = ["words", "words-i", "lines"]
        configs = [f"{k},{split},{sched}" for k in kinds for split in (1, 7)
                   for sched in ("static", "dynamic")]
        configs += [f"{k},7,dynamic,5" for k in kinds]
        run_configs(res, runner, "small files", configs, paths_small, small)
        configs = [f"{k},{split},{sched}" for k in kinds for split in (4096, 0)
                   for sched in ("static", "dynamic")]
        configs += [f"{k},4096,dynamic,4000" for k in kinds]
        run_configs(res, runner, "big files", configs, paths_small + paths_big, small + big)

        recs = [b"", bytes(range(12)), bytes(rng.randrange(256) for _ in range(12 * 900))]
        paths_fixed = write(fixed_dir, recs)
        configs = [f"fixed:12,{split},{sched}" for split in (1, 7, 4096, 0)
                   for sched in ("static", "dynamic")] + ["fixed:4,5,dynamic,3"]
        run_configs(res, runner, "fixed records", configs, paths_fixed, recs)

        bad = os.path.join(fixed_dir, "odd")
        with open(bad, "wb") as f:
            f.write(b"x" * 13)
        r = runner.mpi(["fixed:12,0,dynamic", "--", bad])
        res.check("a file that is not whole records: exit 3, one line naming it",
                  e2e.said_once(r, "record_dump", 3, mentions="12-byte records"),
                  r.describe())
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
