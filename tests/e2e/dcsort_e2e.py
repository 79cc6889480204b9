#!/usr/bin/env python3
"""End-to-end test of the mrkit `dcsort` program against Python's sorted().

Usage (registered in CTest once per rank count P = 1, 2, 3, 4):

    /usr/bin/python3 tests/e2e/dcsort_e2e.py --bin build/bin/dcsort --ranks P --mpiexec mpiexec

Python standard library only (struct/array for the raw files).  Inputs are generated in a
temporary directory from fixed seeds.

What is checked:
  1. raw files of signed 64-bit little-endian keys (empty, 1 key, fewer keys than ranks, many
     duplicates, INT64_MIN/MAX, 200,003 random keys): -o OUTPUT is byte for byte the keys of
     sorted(); the JSON report says sorted, permutation, the key and rank counts;
  2. --generate N --seed S: the keys are splitmix64's (re-implemented here) and come out sorted;
  3. --trace draws the divide and combine tree: one "solve" line per rank, the course's figure
     [38 27 43 3 9 82 10] down to single keys with --leaf-keys 1; JSON carries the tree;
  4. -o replaces an existing file atomically, "-o -" writes keys to stdout and the report to
     stderr;
  5. errors: a missing input or a torn file exits 3, a bad command line exits 2, each with one
     "dcsort: ..." line (directly at P == 1, under mpiexec otherwise).

The last line printed is `N passed, N failed`; the exit status is non-zero on any failure.
"""

import argparse
import array
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

for _k, _v in (("OMPI_ALLOW_RUN_AS_ROOT", "1"),
               ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"),
               ("OMPI_MCA_rmaps_base_oversubscribe", "1"),
               ("OMPI_MCA_pml", "ob1")):
    os.environ.setdefault(_k, _v)

MASK = (1 << 64) - 1
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
FIGURE = [38, 27, 43, 3, 9, 82, 10]


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL  {name}" + (f"\n      {detail}" if detail else ""), flush=True)
        return ok


def splitmix64(seed, count):
    state = seed & MASK
    out = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        out.append(z - (1 << 64) if z >> 63 else z)
    return out


def pack(keys):
    return struct.pack(f"<{len(keys)}q", *keys)


def unpack(data):
    a = array.array("q")
    a.frombytes(data)
    if sys.byteorder != "little":
        a.byteswap()
    return a.tolist()


class Runner:
    def __init__(self, binary, mpiexec, ranks):
        self.binary, self.mpiexec, self.ranks = binary, mpiexec, ranks

    def run(self, args, direct=False, timeout=120):
        argv = ([self.binary] if direct else
                [self.mpiexec, "--mca", "odls_base_sigkill_timeout", "0", "-n", str(self.ranks),
                 self.binary]) + list(args)
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return p


def describe(p):
    return (f"exit {p.returncode}; stdout {p.stdout[:300]!r}; "
            f"stderr {p.stderr.decode('utf-8', 'replace')[:600]}")


def test_files(res, run, tmp, ranks):
    rng = random.Random(20240612)
    cases = {
        "empty": [],
        "one": [INT64_MIN],
        "fewer-than-ranks": [5, -5, 0][:max(1, ranks - 1)],
        "duplicates": [rng.randint(-3, 3) for _ in range(999)],
        "extremes": [INT64_MAX, INT64_MIN, 0, -1, 1, INT64_MAX, INT64_MIN] * 11,
        "random": [rng.randint(INT64_MIN, INT64_MAX) for _ in range(200_003)],
        "sorted-already": list(range(-5000, 5000)),
        "reversed": list(range(5000, -5000, -1)),
    }
    for name, keys in cases.items():
        src = os.path.join(tmp, f"{name}.bin")
        dst = os.path.join(tmp, f"{name}.sorted")
        with open(src, "wb") as f:
            f.write(pack(keys))
        p = run.run([src, "-o", dst, "--format", "json"])
        if not res.check(f"{name}: exit 0", p.returncode == 0, describe(p)):
            continue
        with open(dst, "rb") as f:
            got = f.read()
        res.check(f"{name}: output is sorted() of the input ({len(keys)} keys)",
                  got == pack(sorted(keys)),
                  f"got {len(got)} bytes, first keys {unpack(got[:64])}")
        try:
            report = json.loads(p.stdout)
        except ValueError:
            report = {}
        res.check(f"{name}: JSON report", report.get("keys") == len(keys) and
                  report.get("ranks") == ranks and report.get("sorted") is True and
                  report.get("permutation") is True and report.get("output") == dst,
                  p.stdout.decode())


def test_generate(res, run, tmp):
    for n, seed in ((0, 1), (1, 0), (5000, 1), (77777, 2**64 - 1)):
        dst = os.path.join(tmp, f"gen-{n}-{seed}.bin")
        p = run.run(["--generate", str(n), "--seed", str(seed), "-o", dst])
        if not res.check(f"--generate {n} --seed {seed}: exit 0", p.returncode == 0, describe(p)):
            continue
        with open(dst, "rb") as f:
            got = unpack(f.read())
        res.check(f"--generate {n} --seed {seed}: sorted splitmix64 keys",
                  got == sorted(splitmix64(seed, n)), f"first keys {got[:4]}")
        text = p.stdout.decode()
        res.check(f"--generate {n}: text report", text.startswith(f"sorted {n} key") and
                  "verified: sorted, and the same keys as the input" in text, text)


def test_trace(res, run, tmp, ranks):
    p = run.run(["--generate", "1000", "--trace"])
    lines = p.stdout.decode().splitlines()
    solves = [ln for ln in lines if ln.lstrip().startswith("solve")]
    solvers = sorted(int(ln.split(" on rank ")[1].split()[0]) for ln in solves)
    res.check("--trace: one solve line per rank", p.returncode == 0 and
              solvers == list(range(ranks)), "\n".join(lines))
    combines = [ln for ln in lines if ln.lstrip().startswith("combine")]
    res.check("--trace: ranks - 1 combines, the last on rank 0",
              len(combines) == ranks - 1 and (ranks == 1 or combines[-1] .startswith("combine on rank 0")),
              "\n".join(lines))

    src = os.path.join(tmp, "figure.bin")
    with open(src, "wb") as f:
        f.write(pack(FIGURE))
    p = run.run([src, "--trace", "--leaf-keys", "1"])
    out = p.stdout.decode()
    lines = out.splitlines()
    res.check("figure: starts by dividing the course's keys",
              bool(lines) and lines[0].startswith("divide  [38 27 43 3 9 82 10] on "), out)
    res.check("figure: seven single-key leaves",
              sum(1 for ln in lines if ln.lstrip().startswith("solve")) == 7 and
              all(ln.split(" -> ")[1].count(" ") == 0 for ln in lines
                  if ln.lstrip().startswith("solve")), out)
    res.check("figure: the last combine gives the sorted keys",
              bool(lines) and lines[-3].startswith("combine on rank 0") and
              lines[-3].endswith(" -> [3 9 10 27 38 43 82]"), out)
    p = run.run([src, "--trace", "--leaf-keys", "1", "--format", "json"])
    try:
        tree = json.loads(p.stdout).get("tree", [])
    except ValueError:
        tree = []
    res.check("figure: JSON tree of 13 nodes", len(tree) == 13 and tree[0]["path"] == "" and
              tree[0]["problem"] == "[38 27 43 3 9 82 10]" and
              tree[0]["solution"] == "[3 9 10 27 38 43 82]", p.stdout.decode()[:500])


def test_output(res, run, tmp):
    src = os.path.join(tmp, "out-src.bin")
    keys = [9, -2, 7, 7, 0]
    with open(src, "wb") as f:
        f.write(pack(keys))
    dst = os.path.join(tmp, "existing.bin")
    with open(dst, "wb") as f:
        f.write(b"old content that is longer than the new one" * 10)
    p = run.run([src, "-o", dst])
    with open(dst, "rb") as f:
        res.check("-o replaces an existing file", p.returncode == 0 and f.read() == pack(sorted(keys)),
                  describe(p))
    p = run.run([src, "-o", "-", "--format", "json"])
    ok = p.returncode == 0 and p.stdout == pack(sorted(keys))
    try:
        ok = ok and json.loads(p.stderr.decode().strip().splitlines()[-1])["sorted"] is True
    except (ValueError, IndexError, KeyError):
        ok = False
    res.check("-o -: keys on stdout, report on stderr", ok, describe(p))
    leftovers = [n for n in os.listdir(tmp) if n.startswith(".existing.bin.")]
    res.check("-o leaves no temporary file", not leftovers, str(leftovers))


def test_errors(res, run, tmp, direct):
    torn = os.path.join(tmp, "torn.bin")
    with open(torn, "wb") as f:
        f.write(b"\x01" * 13)
    missing = os.path.join(tmp, "no-such-file.bin")
    cases = [
        ("missing input", [missing], 3, f"dcsort: cannot open '{missing}': No such file or directory"),
        ("torn input", [torn], 3, f"dcsort: '{torn}' holds 13 bytes, not a whole number of 8-byte keys"),
        ("no input", [], 2, "dcsort: give either an INPUT file or --generate N (see dcsort --help)"),
        ("input and --generate", [torn, "--generate", "5"], 2,
         "dcsort: give either an INPUT file or --generate N (see dcsort --help)"),
        ("bad --generate", ["--generate", "lots"], 2, "dcsort: --generate: expected a whole number"),
        ("bad --format", ["--generate", "5", "--format", "xml"], 2, "dcsort: --format: expected one of text|json"),
    ]
    for name, args, code, message in cases:
        p = run.run(args, direct=direct)
        err = p.stderr.decode("utf-8", "replace")
        mine = [ln for ln in err.splitlines() if ln.startswith("dcsort:")]
        res.check(f"{name}: exit {code}, one message", p.returncode == code and len(mine) == 1 and
                  mine[0].startswith(message), describe(p))
    p = run.run(["--help"], direct=direct)
    res.check("--help", p.returncode == 0 and b"--generate" in p.stdout and b"--trace" in p.stdout,
              describe(p))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--ranks", type=int, required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    a = ap.parse_args()
    res = Results()
    run = Runner(os.path.abspath(a.bin), a.mpiexec, a.ranks)
    with tempfile.TemporaryDirectory(prefix="dcsort-e2e-") as tmp:
        test_files(res, run, tmp, a.ranks)
        test_generate(res, run, tmp)
        test_trace(res, run, tmp, a.ranks)
        test_output(res, run, tmp)
        test_errors(res, run, tmp, direct=a.ranks == 1)
    print(f"{res.passed} passed, {res.failed} failed")
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
