#!/usr/bin/env python3
"""End-to-end test of the engine's memory budget and spilling (issue 17) through the programs
on it: ngrams, invindex and groupby.

Usage (CTest, once per rank count P):
    spill_e2e.py --ngrams build/bin/ngrams --invindex build/bin/invindex \
                 --groupby build/bin/groupby --ranks P --mpiexec mpiexec

Checked at P ranks, on small generated inputs cut into many tasks (--split-bytes 2048):
- `--spill` (every table written to disk after every task), also with `--memory 1M` (the
  exchange in rounds of at most 256 KiB per rank), gives output byte for byte identical to the plain in-memory run, for each program; the --tmpdir given is empty
  afterwards;
- a job that fails after its scratch directory exists (a checkpoint of another job, exit 3)
  leaves the --tmpdir empty too;
- a missing --tmpdir: exit 1, one line naming it, no output; a bad --memory and one under the
  engine's minimum: exit 2, one line;
- a full scratch file system (a 64 KiB tmpfs; needs root and mount(8), else SKIP): exit 1,
  one line "no space left on device", no output file, nothing left in it.
The last line is `N passed, N failed`.
"""

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../support"))
import e2e_support as e2e  # noqa: E402

e2e.set_mpi_defaults()
RUN_TIMEOUT = 60


def make_inputs(root):
    rng = random.Random(17)
    vocab = [f"w{i}" for i in range(400)] + ["the", "cat", "sat", "on", "mat"] * 20
    texts = []
    for f in range(3):
        words = [rng.choice(vocab) for _ in range(3000 + 1000 * f)]
        lines = [" ".join(words[i:i + 12]) for i in range(0, len(words), 12)]
        path = os.path.join(root, f"t{f}.txt")
        with open(path, "w") as out:
            out.write("\n".join(lines) + "\n")
        texts.append(path)
    table = os.path.join(root, "sales.tsv")
    with open(table, "w") as out:
        for _ in range(4000):
            out.write(f"r{rng.randrange(300)}\t{rng.randrange(-50, 1000)}\t{rng.randrange(7)}\n")
    return texts, table


def main():
    ap = e2e.mpi_arguments(__doc__.split("\n")[0], binary="--ngrams")
    ap.add_argument("--invindex", required=True)
    ap.add_argument("--groupby", required=True)
    args = ap.parse_args()
    res = e2e.Results()
    work = tempfile.mkdtemp(prefix="mrkit-spill-e2e-")
    try:
        texts, table = make_inputs(work)
        split = ["--split-bytes", "2048"]
        jobs = {
            "ngrams": [args.ngrams, "-n", "2", "--format", "tsv"] + split + texts,
            "invindex": [args.invindex, "--format", "tsv"] + split + texts,
            "groupby": [args.groupby, "--key", "1", "--sum", "2", "--count", "--format", "tsv"]
            + split + [table],
        }
        mpi = [args.mpiexec, "-n", str(args.ranks)]

        def run(argv):
            return e2e.launch(mpi + argv, RUN_TIMEOUT)

        def fresh_tmpdir():
            return tempfile.mkdtemp(prefix="tmpdir-", dir=work)

        for name, argv in jobs.items():
            base = run(argv)
            if not res.check(f"{name}: the in-memory run", base.rc == 0 and base.out,
                             base.describe()):
                continue
            for extra in (["--spill"], ["--spill", "--memory", "1M"]):
                tmp = fresh_tmpdir()
                got = run(argv + extra + ["--tmpdir", tmp])
                label = f"{name} {' '.join(extra)} at {args.ranks} ranks"
                res.check(f"{label}: exit 0, output identical to the in-memory run",
                          got.rc == 0 and got.out == base.out,
                          got.describe() + f"\nin memory: {len(base.out)} bytes, "
                          f"spilled: {len(got.out)} bytes")
                res.check(f"{label}: --tmpdir left empty", os.listdir(tmp) == [],
                          f"left: {os.listdir(tmp)}")

        # --stats says what was spilled (only when something was: the table alone otherwise).
        tmp = fresh_tmpdir()
        got = run(jobs["invindex"] + ["--spill", "--tmpdir", tmp, "--stats"])
        lines = got.stderr.splitlines()
        m = re.fullmatch(r"invindex: memory: budget \S+ \S+ per rank; spilled (\d+) bytes in "
                         r"(\d+) runs, read back (\d+) bytes, (\d+) exchange rounds "
                         r"\(sums over ranks\)", lines[-1] if lines else "")
        res.check("--spill --stats: the table, then one line of bytes spilled and read back",
                  got.rc == 0 and m and int(m.group(1)) > 0 and m.group(1) == m.group(3)
                  and int(m.group(2)) > 0 and int(m.group(4)) >= 1
                  and not e2e.rank_stats_table_problems(lines[:-1], "invindex", args.ranks),
                  got.describe())
        got = run(jobs["invindex"] + ["--spill", "--tmpdir", tmp, "--stats=json"])
        lines = got.stderr.splitlines()
        spill = (e2e.json_or(lines[1], {}) if len(lines) == 2 else {}).get("spill", {})
        res.check("--spill --stats=json: the stats object, then one {program, spill} object",
                  got.rc == 0 and len(lines) == 2
                  and not e2e.rank_stats_json_problems(e2e.json_or(lines[0]), "invindex",
                                                       args.ranks)
                  and list(spill) == ["budget_bytes", "spilled_bytes", "read_bytes", "runs",
                                      "rounds"]
                  and spill["spilled_bytes"] > 0 and spill["spilled_bytes"] == spill["read_bytes"],
                  got.describe())
        got = run(jobs["invindex"] + ["--tmpdir", tmp, "--stats"])
        res.check("--stats without spilling: the table alone",
                  got.rc == 0 and not e2e.rank_stats_table_problems(got.stderr.splitlines(),
                                                                    "invindex", args.ranks),
                  got.describe())

        # A failure after the scratch directory exists: a checkpoint of another job (exit 3).
        ck = os.path.join(work, "ck")
        first = run([args.ngrams, "-n", "2", "--checkpoint", ck] + texts)
        tmp = fresh_tmpdir()
        other = run([args.ngrams, "-n", "3", "--checkpoint", ck, "--spill", "--tmpdir", tmp]
                    + texts)
        res.check("a refused checkpoint (exit 3) with --spill leaves --tmpdir empty",
                  first.rc == 0 and other.rc == 3 and os.listdir(tmp) == [],
                  first.describe() + "\n" + other.describe() + f"\nleft: {os.listdir(tmp)}")

        missing = os.path.join(work, "no-such-dir")
        for name in ("ngrams", "groupby"):  # count_by_key's and reduce_by_key's spiller
            got = run(jobs[name] + ["--spill", "--tmpdir", missing])
            res.check(f"{name}: a missing --tmpdir is one line, exit 1, no output",
                      e2e.said_once(got, name, 1, mentions=missing)
                      and "cannot create a scratch directory" in got.stderr and not got.out,
                      got.describe())
        for bad, says in (("12Q", "expected a size such as 512K, 64M or 1.5G"),
                          ("100K", "at least 1 MiB")):
            got = run(jobs["invindex"] + ["--memory", bad])
            res.check(f"invindex --memory {bad}: exit 2, one line",
                      e2e.said_once(got, "invindex", 2, mentions=says) and not got.out,
                      got.describe())

        # A full scratch file system.
        mnt = os.path.join(work, "small-tmpfs")
        os.mkdir(mnt)
        mounted = os.geteuid() == 0 and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
        if not mounted:
            print("SKIP  a full scratch file system: needs root and mount -t tmpfs")
        else:
            try:
                out = os.path.join(work, "full.tsv")
                got = run([args.ngrams, "-n", "3", "--spill", "--tmpdir", mnt, "-o", out]
                          + texts)
                res.check("a full --tmpdir: exit 1, one line 'no space left on device', "
                          "no output, nothing left",
                          e2e.said_once(got, "ngrams", 1, mentions="no space left on device")
                          and not os.path.exists(out) and os.listdir(mnt) == [],
                          got.describe() + f"\nleft: {os.listdir(mnt)}")
            finally:
                subprocess.run(["umount", mnt])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
