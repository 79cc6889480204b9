#!/usr/bin/python3
"""scripts/scaling_laws.py against the cases that tests/bench/test_scaling_laws.cpp checks the
C++ helpers with (tests/data/scaling_laws_cases.json), so that scripts/scaling and libmrkit
agree, plus the course's worked examples spelled out."""

import json
import math
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import scaling_laws as L  # noqa: E402

with open(os.path.join(HERE, "..", "data", "scaling_laws_cases.json")) as f:
    CASES = json.load(f)


def close(a, b, rel):
    return abs(a - b) <= rel * max(1.0, abs(b))


class CourseExamples(unittest.TestCase):
    def test_nineteen_of_twenty_hours_limits_to_twenty_times(self):
        p = L.parallel_fraction(19, 20)
        self.assertAlmostEqual(p, 0.95, places=12)
        self.assertAlmostEqual(L.amdahl_limit(p), 20.0, places=9)  # 20x, not "20 %"

    def test_seven_of_ten_minutes_limits_to_three_point_three(self):
        p = L.parallel_fraction(7, 10)
        self.assertAlmostEqual(L.amdahl_limit(p), 10 / 3, places=12)  # 3.33x, not "3 %"
        self.assertAlmostEqual(L.amdahl_limit(p), 3.33, delta=0.005)

    def test_limits_and_bad_arguments(self):
        self.assertEqual(L.amdahl_limit(1.0), math.inf)
        for bad in (lambda: L.amdahl_speedup(1.5, 2), lambda: L.karp_flatt(1.0, 1),
                    lambda: L.fit_amdahl([(2, 1.0), (2, 1.1)]), lambda: L.fit_amdahl([]),
                    lambda: L.fit_gustafson([(1, 1.0)]), lambda: L.fit_amdahl([(1, 1), (2, 0)])):
            with self.assertRaises(ValueError):
                bad()

    def test_fit_recovers_synthetic_p(self):
        for p in (0.0, 0.3, 0.7, 0.95, 0.999, 1.0):
            runs = [(n, 42.0 * ((1 - p) + p / n)) for n in (1, 2, 3, 4, 16)]
            fit = L.fit_amdahl(runs)
            self.assertAlmostEqual(fit.parallel_fraction, p, places=9)
            self.assertAlmostEqual(fit.one_rank_seconds, 42.0, places=9)


class SharedCases(unittest.TestCase):
    def test_closed_forms(self):
        for c in CASES["parallel_fraction"]:
            self.assertTrue(close(L.parallel_fraction(c["parallel"], c["total"]), c["expected"], 1e-12), c)
        for c in CASES["amdahl_limit"]:
            self.assertTrue(close(L.amdahl_limit(c["p"]), c["expected"], 1e-12), c)
        for c in CASES["amdahl_speedup"]:
            self.assertTrue(close(L.amdahl_speedup(c["p"], c["ranks"]), c["expected"], 1e-12), c)
        for c in CASES["gustafson_speedup"]:
            self.assertTrue(close(L.gustafson_speedup(c["p"], c["ranks"]), c["expected"], 1e-12), c)
        for c in CASES["karp_flatt"]:
            self.assertTrue(close(L.karp_flatt(c["speedup"], c["ranks"]), c["expected"], 1e-12), c)

    def test_amdahl_fits(self):
        self.assertGreaterEqual(len(CASES["fit_amdahl"]), 4)
        for c in CASES["fit_amdahl"]:
            fit = L.fit_amdahl(c["points"])
            self.assertLessEqual(abs(fit.parallel_fraction - c["parallel_fraction"]), c["tolerance"], c["name"])
            if "one_rank_seconds" in c:
                self.assertLessEqual(abs(fit.one_rank_seconds - c["one_rank_seconds"]),
                                     c["one_rank_tolerance"], c["name"])
            same = c["fitted"]
            self.assertTrue(close(fit.parallel_fraction, same["parallel_fraction"], 1e-9), c["name"])
            self.assertTrue(close(fit.one_rank_seconds, same["one_rank_seconds"], 1e-9), c["name"])
            self.assertTrue(close(fit.rms_relative_error, same["rms_relative_error"], 1e-9), c["name"])

    def test_gustafson_fits(self):
        for c in CASES["fit_gustafson"]:
            fit = L.fit_gustafson(c["points"])
            self.assertLessEqual(abs(fit.parallel_fraction - c["parallel_fraction"]), c["tolerance"], c["name"])
            self.assertTrue(close(fit.parallel_fraction, c["fitted"]["parallel_fraction"], 1e-9), c["name"])
            self.assertTrue(close(fit.rms_error, c["fitted"]["rms_error"], 1e-9), c["name"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
