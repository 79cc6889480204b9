#!/usr/bin/python3
"""Smoke test of scripts/scaling and bench/run at a tiny size with 1-2 ranks, so that they
cannot rot: they run, and what they write is well-formed (the CSV parses, the speed-up at one
rank is 1, the PNG is a PNG, the report has its table, start-up line and checks, missing
programs are skipped with a clear line). No timing is asserted.

  scaling_bench_smoke.py --bin BUILD/bin
"""

import argparse
import csv
import json
import math
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
import e2e_support as e2e

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCALING = os.path.join(ROOT, "scripts", "scaling")
BENCH = os.path.join(ROOT, "bench", "run")
CORPUS = os.path.join(ROOT, "apps", "wordcount", "corpus")
BIN = None  # set from the command line
CSV_COLUMNS = ["ranks", "runs", "seconds_median", "seconds_min", "seconds_max", "speedup",
               "efficiency", "karp_flatt", "predicted_speedup", "cpu_share"]


def run(cmd, timeout=240):
    """The command's Run (rc, stdout, stderr); a hung one is killed with its mpiexec and ranks."""
    return e2e.launch(cmd, timeout)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


class Scaling(unittest.TestCase):
    def check_csv(self, out, ranks, weak):
        with open(os.path.join(out, "scaling.csv"), newline="") as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], CSV_COLUMNS)
        self.assertEqual([int(r[0]) for r in rows[1:]], ranks)
        for r in rows[1:]:
            n, runs = int(r[0]), int(r[1])
            med, lo, hi, speedup, eff = (float(x) for x in r[2:7])
            self.assertEqual(runs, 1)
            self.assertTrue(0 < lo <= med <= hi, r)
            self.assertTrue(speedup > 0 and math.isfinite(speedup), r)
            self.assertAlmostEqual(eff, speedup / n, places=3)
            self.assertTrue(math.isfinite(float(r[8])), r)  # predicted speed-up
            self.assertGreaterEqual(float(r[9]), 0.0, r)  # CPU share of the ranks' cores
            if n == 1:
                self.assertEqual(speedup, 1.0)
                self.assertEqual(eff, 1.0)
                self.assertEqual(r[7], "")  # Karp-Flatt needs more than one rank
                self.assertAlmostEqual(float(r[8]), 1.0, places=6)
            else:
                self.assertTrue(math.isfinite(float(r[7])), r)
        with open(os.path.join(out, "scaling.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["mode"], "weak" if weak else "strong")
        self.assertEqual(summary["fit"]["law"], "gustafson" if weak else "amdahl")
        self.assertTrue(0.0 <= summary["fit"]["parallel_fraction"] <= 1.0)
        self.assertEqual(sorted(summary["runs_seconds"]), [str(n) for n in ranks])
        size = png_size(os.path.join(out, "scaling.png"))
        self.assertIsNotNone(size, "scaling.png is not a PNG")
        self.assertGreaterEqual(size[0], 600)
        self.assertGreaterEqual(size[1], 300)
        self.assertGreater(os.path.getsize(os.path.join(out, "scaling.png")), 10_000)

    def test_strong_scaling_of_wordcount(self):
        with tempfile.TemporaryDirectory() as out:
            r = run([SCALING, "--ranks", "1,2", "--repeat", "1", "--warmup", "0", "--out", out,
                     "--", os.path.join(BIN, "wordcount"), CORPUS])
            self.assertEqual(r.rc, 0, r.stderr)
            self.assertIn("median s", r.stdout)
            self.assertIn("Amdahl fit: p = ", r.stdout)
            self.assertIn("predicted limit 1/(1-p) = ", r.stdout)
            self.assertIn("Gustafson, same p", r.stdout)
            self.check_csv(out, [1, 2], weak=False)

    def test_weak_scaling_with_a_ranks_placeholder(self):
        with tempfile.TemporaryDirectory() as out:
            r = run([SCALING, "--ranks", "1,2", "--repeat", "1", "--warmup", "0", "--mode",
                     "weak", "--out", out, "--", os.path.join(BIN, "wordcount"), "--top",
                     "{ranks}", CORPUS])
            self.assertEqual(r.rc, 0, r.stderr)
            self.assertIn("Gustafson fit: p = ", r.stdout)
            self.check_csv(out, [1, 2], weak=True)

    def test_mistakes_get_one_clear_sentence(self):
        with tempfile.TemporaryDirectory() as out:
            r = run([SCALING, "--mode", "weak", "--ranks", "1,2", "--out", out, "--",
                     os.path.join(BIN, "wordcount"), CORPUS])
            self.assertEqual(r.rc, 2)
            self.assertIn("needs {ranks} in ARGS", r.stderr)
            r = run([SCALING, "--out", out, "--", "no-such-program-here"])
            self.assertEqual(r.rc, 2)
            self.assertIn("no-such-program-here: not found", r.stderr)
            r = run([SCALING, "--out", out])
            self.assertEqual(r.rc, 2)
            self.assertIn("-- PROGRAM ARGS", r.stderr)
            r = run([SCALING, "--ranks", "0,x", "--out", out, "--", "true"])
            self.assertEqual(r.rc, 2)
            self.assertIn("--ranks", r.stderr)


class Bench(unittest.TestCase):
    def table_rows(self, report):
        rows = [line for line in report.splitlines() if line.startswith("| ")]
        self.assertTrue(rows and rows[0].startswith("| benchmark | program | ranks"), report)
        return [[c.strip() for c in line.strip("|").split(" | ")] for line in rows[1:]]

    def test_the_whole_suite_at_a_tiny_size(self):
        with tempfile.TemporaryDirectory() as out:
            r = run([BENCH, "--size", "1M", "--repeat", "1", "--ranks", "1,2", "--bin", BIN,
                     "--out", out], timeout=280)
            self.assertEqual(r.rc, 0, r.stdout + r.stderr)
            with open(os.path.join(out, "report.md")) as f:
                report = f.read()
            rows = self.table_rows(report)
            programs = {row[1] for row in rows}
            self.assertIn("wc -w", programs)
            self.assertIn("wordcount", programs)
            self.assertIn("sort \\| uniq -c", programs)
            self.assertIn("Python Counter", programs)
            self.assertIn("numpy loop (course)", programs)
            self.assertIn("std::sort (1 process)", programs)
            for row in rows:
                self.assertGreater(float(row[4]), 0, row)  # median seconds
                self.assertTrue(row[7] == "baseline" or "x** " in row[7], row)
            self.assertRegex(report, r"\nStart-up: .*MPI_Init \+ MPI_Finalize at 1 rank \d")
            self.assertNotIn("FAILED", report)
            self.assertIn("- ok: wordcount total at 2 rank(s)", report)
            # The other programs of the suite: in the table when built, else skipped.
            for name, label in (("montecarlo", "montecarlo square"), ("dcsort", "dcsort")):
                if os.access(os.path.join(BIN, name), os.X_OK):
                    self.assertIn(label, programs)
                else:
                    self.assertRegex(report, rf"- skipped: \S*/{name} not built")
            with open(os.path.join(out, "results.json")) as f:
                self.assertEqual(len(json.load(f)["rows"]), len(rows))

    def test_missing_programs_are_skipped_with_a_clear_line(self):
        with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as empty_bin:
            r = run([BENCH, "--size", "1M", "--repeat", "1", "--ranks", "1", "--only",
                     "montecarlo,sort", "--bin", empty_bin, "--out", out])
            self.assertEqual(r.rc, 0, r.stdout + r.stderr)
            with open(os.path.join(out, "report.md")) as f:
                report = f.read()
            self.assertIn(f"- skipped: {empty_bin}/montecarlo not built", report)
            self.assertIn(f"- skipped: {empty_bin}/dcsort not built", report)
            programs = {row[1] for row in self.table_rows(report)}
            self.assertEqual(programs, {"numpy loop (course)", "Pool(%d).map (course)" %
                                        len(os.sched_getaffinity(0)), "std::sort (1 process)"})


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="the build's bin directory")
    args, rest = ap.parse_known_args()
    BIN = os.path.abspath(args.bin)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
