#!/usr/bin/env python3
"""End-to-end test of the mrkit `dcsort` program against Python's sorted().

Usage (registered in CTest once per rank count P = 1, 2, 3, 4):

    /usr/bin/python3 tests/apps/dcsort/dcsort_e2e.py --bin build/bin/dcsort --ranks P --mpiexec mpiexec

Python standard library (struct/array for the raw files), and numpy for the sample sort's
checks (skipped with a message without it).  Inputs are generated in a
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
     "dcsort: ..." line (directly at P == 1, under mpiexec otherwise);
  6. --method sample, in memory and on disk (--spill, --memory), on every file case: the same
     keys, balanced ranks; skewed keys, generated keys and 3x a rank's budget against
     numpy.sort; --tmpdir left empty; a full tmpfs, a missing --tmpdir and bad sizes refused;
  7. --stats=json: one JSON object on stderr (program, ranks == P, one entry per rank in rank
     order, shares summing to 1), --stats: a table with one row per rank; the report on stdout
     is the one printed without --stats (but its seconds), the keys of "-o -" byte for byte.

The last line printed is `N passed, N failed`; the exit status is non-zero on any failure.
"""

import array
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

MASK = (1 << 64) - 1
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
FIGURE = [38, 27, 43, 3, 9, 82, 10]


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


def splitmix64_np(seed, count):
    """splitmix64() with numpy, for many keys: output i + 1 of the generator, as int64."""
    import numpy as np
    with np.errstate(over="ignore"):
        state = np.uint64(seed) + np.arange(1, count + 1, dtype=np.uint64) * np.uint64(
            0x9E3779B97F4A7C15)
        z = (state ^ (state >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z.view(np.int64)


def pack(keys):
    return struct.pack(f"<{len(keys)}q", *keys)


def unpack(data):
    a = array.array("q")
    a.frombytes(data)
    if sys.byteorder != "little":
        a.byteswap()
    return a.tolist()


def test_files(res, run, tmp, ranks, method="tree", extra=()):
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
        "all-equal": [7] * 5000,
    }
    for case, keys in cases.items():
        name = f"{method}{''.join(' ' + x for x in extra)}: {case}"
        src = os.path.join(tmp, f"{case}.bin")
        dst = os.path.join(tmp, f"{case}.{method}{len(extra)}.sorted")
        with open(src, "wb") as f:
            f.write(pack(keys))
        p = run.run([src, "-o", dst, "--format", "json", "--method", method] + list(extra))
        if not res.check(f"{name}: exit 0", p.rc == 0, p.describe()):
            continue
        with open(dst, "rb") as f:
            got = f.read()
        res.check(f"{name}: output is sorted() of the input ({len(keys)} keys)",
                  got == pack(sorted(keys)),
                  f"got {len(got)} bytes, first keys {unpack(got[:64])}")
        report = e2e.json_or(p.out, {})
        res.check(f"{name}: JSON report", report.get("keys") == len(keys) and
                  report.get("ranks") == ranks and report.get("sorted") is True and
                  report.get("permutation") is True and report.get("output") == dst and
                  report.get("method") == method,
                  p.stdout)
        if method == "sample" and not extra:
            # The header's balance bound, whatever the skew (all equal included).
            n, q = len(keys), ranks
            step = max(1, n // (4 * q * q))
            bound = -(-n // q) if n < 4 * q * q else n // q + (q + 1) * step
            res.check(f"{name}: the busiest rank sorted at most {bound} keys",
                      report.get("largest_share", bound + 1) <= bound, p.stdout)


def test_sample_against_numpy(res, run, tmp, ranks):
    """--method sample on keys skewed across the file's parts, against numpy's sort."""
    try:
        import numpy as np
    except ImportError:
        print("SKIP: numpy is not installed (python3-numpy)")
        return
    rng = np.random.default_rng(17)
    parts = [rng.integers(-(1 << 63), (1 << 63) - 1, 40_000, dtype=np.int64, endpoint=True),
             np.full(30_000, 3, dtype=np.int64),
             rng.integers(-2, 2, 20_000, dtype=np.int64, endpoint=True)]
    keys = np.concatenate(parts)
    src, dst = os.path.join(tmp, "skewed.bin"), os.path.join(tmp, "skewed.sorted")
    keys.astype("<i8").tofile(src)
    p = run.run([src, "-o", dst, "--method", "sample"])
    ok = p.rc == 0 and np.array_equal(np.fromfile(dst, dtype="<i8"), np.sort(keys, kind="stable"))
    res.check(f"sample: 90,000 skewed keys equal numpy.sort at {ranks} ranks", ok, p.describe())
    p = run.run(["--generate", "50000", "--seed", "9", "--method", "sample", "-o", "-"])
    want = np.sort(np.array(splitmix64(9, 50000), dtype=np.int64))
    res.check("sample: --generate 50000 -o - equals numpy.sort of splitmix64",
              p.rc == 0 and np.array_equal(np.frombuffer(p.out, dtype="<i8"), want),
              p.describe())
    torn = os.path.join(tmp, "torn13.bin")
    with open(torn, "wb") as f:
        f.write(b"x" * 13)
    p = run.run([torn, "--method", "sample"])
    res.check("sample: a torn file exits 3 with one message",
              e2e.said_once(p, "dcsort", 3, mentions="13 bytes"), p.describe())
    # On disk (--spill, or keys beyond --memory): the same keys, nothing left in --tmpdir.
    scratch = os.path.join(tmp, "scratch")
    os.mkdir(scratch)
    for extra in (["--spill"], ["--spill", "--memory", "1M"]):
        dst = os.path.join(tmp, "skewed.disk")
        p = run.run([src, "-o", dst, "--format", "json", "--tmpdir", scratch] + extra)
        report = e2e.json_or(p.out, {})
        ok = (p.rc == 0 and report.get("on_disk") is True and report.get("runs", 0) >= 1 and
              np.array_equal(np.fromfile(dst, dtype="<i8"), np.sort(keys)))
        res.check(f"sample on disk ({' '.join(extra)}): equals numpy.sort, reports its runs",
                  ok, p.describe())
        res.check(f"sample on disk ({' '.join(extra)}): --tmpdir left empty",
                  os.listdir(scratch) == [], str(os.listdir(scratch)))
    # Three times a rank's 1 MiB budget on every rank: on disk by itself, streamed to stdout.
    n = ranks * 3 * (1 << 20) // 8
    p = run.run(["--generate", str(n), "--seed", "4", "--memory", "1M", "-o", "-",
                 "--format", "json"])
    want = np.sort(splitmix64_np(4, n))
    report = e2e.json_or(p.err, {})
    res.check(f"sample, 3x a rank's --memory ({n} keys): on disk by itself, -o - (streamed) "
              "equals numpy.sort",
              p.rc == 0 and report.get("on_disk") is True and
              np.array_equal(np.frombuffer(p.out, dtype="<i8"), want), p.describe())
    for name, args, code, mentions in (
            ("--memory too small", ["--memory", "10K"], 2, "too small"),
            ("--memory not a size", ["--memory", "lots"], 2, "lots"),
            ("--memory with --method tree", ["--method", "tree", "--memory", "1M"], 2, "--memory"),
            ("a missing --tmpdir", ["--spill", "--tmpdir", os.path.join(tmp, "none")], 1,
             "none")):
        p = run.run([src, "-o", os.path.join(tmp, "never.bin")] + args)
        res.check(f"sample: {name}: exit {code}, one message",
                  e2e.said_once(p, "dcsort", code, mentions=mentions) and
                  not os.path.exists(os.path.join(tmp, "never.bin")), p.describe())
    full = os.path.join(tmp, "full")
    os.mkdir(full)
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", full],
        capture_output=True).returncode == 0
    if not mounted:
        print("SKIP: no tiny tmpfs (needs root and mount): the full scratch case")
    else:
        try:
            dst = os.path.join(tmp, "never.bin")
            p = run.run([src, "-o", dst, "--spill", "--memory", "1M", "--tmpdir", full])
            res.check("sample on disk: a full --tmpdir: exit 1, one 'no space' message, "
                      "no output, nothing left",
                      e2e.said_once(p, "dcsort", 1, mentions="no space") and
                      not os.path.exists(dst) and os.listdir(full) == [], p.describe())
        finally:
            subprocess.run(["umount", full], check=False)
    p = run.run(["--generate", "10", "--method", "sample", "--trace"])
    res.check("sample: --trace is refused (exit 2)", e2e.said_once(p, "dcsort", 2), p.describe())


def test_generate(res, run, tmp):
    for n, seed in ((0, 1), (1, 0), (5000, 1), (77777, 2**64 - 1)):
        dst = os.path.join(tmp, f"gen-{n}-{seed}.bin")
        p = run.run(["--generate", str(n), "--seed", str(seed), "-o", dst])
        if not res.check(f"--generate {n} --seed {seed}: exit 0", p.rc == 0, p.describe()):
            continue
        with open(dst, "rb") as f:
            got = unpack(f.read())
        res.check(f"--generate {n} --seed {seed}: sorted splitmix64 keys",
                  got == sorted(splitmix64(seed, n)), f"first keys {got[:4]}")
        text = p.stdout
        res.check(f"--generate {n}: text report", text.startswith(f"sorted {n} key") and
                  "verified: sorted, and the same keys as the input" in text, text)


def test_trace(res, run, tmp, ranks):
    p = run.run(["--generate", "1000", "--trace"])
    lines = p.stdout.splitlines()
    solves = [ln for ln in lines if ln.lstrip().startswith("solve")]
    solvers = sorted(int(ln.split(" on rank ")[1].split()[0]) for ln in solves)
    res.check("--trace: one solve line per rank", p.rc == 0 and
              solvers == list(range(ranks)), "\n".join(lines))
    combines = [ln for ln in lines if ln.lstrip().startswith("combine")]
    res.check("--trace: ranks - 1 combines, the last on rank 0",
              len(combines) == ranks - 1 and (ranks == 1 or combines[-1] .startswith("combine on rank 0")),
              "\n".join(lines))

    src = os.path.join(tmp, "figure.bin")
    with open(src, "wb") as f:
        f.write(pack(FIGURE))
    p = run.run([src, "--trace", "--leaf-keys", "1"])
    out = p.stdout
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
    tree = e2e.json_or(p.out, {}).get("tree", [])
    res.check("figure: JSON tree of 13 nodes", len(tree) == 13 and tree[0]["path"] == "" and
              tree[0]["problem"] == "[38 27 43 3 9 82 10]" and
              tree[0]["solution"] == "[3 9 10 27 38 43 82]", p.stdout[:500])


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
        res.check("-o replaces an existing file", p.rc == 0 and f.read() == pack(sorted(keys)),
                  p.describe())
    p = run.run([src, "-o", "-", "--format", "json"])
    ok = p.rc == 0 and p.out == pack(sorted(keys))
    try:
        ok = ok and json.loads(p.stderr.strip().splitlines()[-1])["sorted"] is True
    except (ValueError, IndexError, KeyError):
        ok = False
    res.check("-o -: keys on stdout, report on stderr", ok, p.describe())
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
        res.check(f"{name}: exit {code}, one message", e2e.said_once(p, "dcsort", code, message),
                  p.describe())
    p = run.run(["--help"], direct=direct)
    res.check("--help", p.rc == 0 and b"--generate" in p.out and b"--trace" in p.out,
              p.describe())


def without_times(p, fmt):
    """The report on stdout without its seconds: the JSON without "seconds" (which must be
    there), or the text with every "N.NNN s" replaced."""
    if fmt == "json":
        j = e2e.json_or(p.out, {})
        return {k: v for k, v in j.items() if k != "seconds"} if "seconds" in j else None
    text, n = re.subn(r"\b\d+\.\d+ s\b", "N s", p.stdout)
    return text if n > 0 else None


def test_stats(res, run, ranks):
    """--stats and --stats=json: the per-rank statistics on stderr, stdout unchanged."""
    gen = ["--generate", "200000", "--seed", "5"]
    e2e.check_rank_stats(res, run.run, "dcsort", ranks, gen, without_times, " (but seconds)")
    # -o -: the keys on stdout, byte for byte the same with --stats=json; stderr holds the
    # report and the statistics.
    plain = run.run(gen + ["-o", "-", "--format", "json"])
    p = run.run(gen + ["-o", "-", "--format", "json", "--stats=json"])
    res.check("-o - --stats=json: exit 0, the same keys on stdout as without --stats",
              plain.rc == 0 and p.rc == 0 and len(p.out) == 8 * 200000 and p.out == plain.out,
              p.describe() + "\n" + plain.describe())
    found = e2e.stats_json_lines(p.err)
    problems = (e2e.rank_stats_json_problems(e2e.json_or(found[0]), "dcsort", ranks)
                if len(found) == 1 else [f"{len(found)} statistics lines, not 1"])
    reports = [e2e.json_or(ln, {}) for ln in p.stderr.splitlines() if ln not in found]
    res.check("-o - --stats=json: stderr holds the report and one statistics object",
              not problems and len(reports) == 1 and reports[0].get("sorted") is True,
              "\n".join(problems) + "\n--- stderr\n" + p.stderr)


def main():
    a = e2e.mpi_arguments(__doc__.split("\n")[0]).parse_args()
    res = e2e.Results()
    run = e2e.Runner(os.path.abspath(a.bin), a.mpiexec, a.ranks, fast_kill=True)
    with tempfile.TemporaryDirectory(prefix="dcsort-e2e-") as tmp:
        test_files(res, run, tmp, a.ranks)
        test_files(res, run, tmp, a.ranks, "sample")
        test_files(res, run, tmp, a.ranks, "sample", ["--spill", "--memory", "1M"])
        test_sample_against_numpy(res, run, tmp, a.ranks)
        test_generate(res, run, tmp)
        test_trace(res, run, tmp, a.ranks)
        test_output(res, run, tmp)
        test_errors(res, run, tmp, direct=a.ranks == 1)
        test_stats(res, run, a.ranks)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
