"""Amdahl's and Gustafson's laws, the Karp-Flatt serial fraction and least-squares fits of the
parallel fraction: the same arithmetic as bench/scaling_laws.hpp, for
scripts/scaling. Both are tested against tests/data/scaling_laws_cases.json.

The course's worked examples: p = 19/20 = 0.95 gives a limit of 1/(1-p) = 20x, and 7 of 10
minutes parallel gives 1/(1-0.7) = 3.33x (speed-ups, not per cent as the course writes).
"""

import math


def _check_fraction(p):
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"a parallel fraction must be between 0 and 1, got {p}")


def _check_ranks(n):
    if not (n >= 1.0) or not math.isfinite(n):
        raise ValueError(f"a rank count must be a finite number >= 1, got {n}")


def parallel_fraction(parallel_seconds, total_seconds):
    """The part of a one-rank run that can be spread over ranks, over the whole."""
    if not (total_seconds > 0) or not (0 <= parallel_seconds <= total_seconds):
        raise ValueError("the parallel time must lie between 0 and the total time (> 0)")
    return parallel_seconds / total_seconds


def amdahl_speedup(p, ranks):
    """Fixed work: 1 / ((1 - p) + p / n)."""
    _check_fraction(p)
    _check_ranks(ranks)
    return 1.0 / ((1.0 - p) + p / ranks)


def amdahl_limit(p):
    """1 / (1 - p); infinity for p = 1."""
    _check_fraction(p)
    return math.inf if p == 1.0 else 1.0 / (1.0 - p)


def gustafson_speedup(p, ranks):
    """Work grows with the ranks: (1 - p) + p * n, p the parallel fraction of the n-rank run."""
    _check_fraction(p)
    _check_ranks(ranks)
    return (1.0 - p) + p * ranks


def karp_flatt(speedup, ranks):
    """Serial fraction e = (1/S - 1/n) / (1 - 1/n) that explains speed-up S on n > 1 ranks."""
    _check_ranks(ranks)
    if ranks == 1.0:
        raise ValueError("the Karp-Flatt metric needs more than one rank")
    if not (speedup > 0) or not math.isfinite(speedup):
        raise ValueError("a speed-up must be a finite number > 0")
    return (1.0 / speedup - 1.0 / ranks) / (1.0 - 1.0 / ranks)


class AmdahlFit:
    """seconds(n) = one_rank_seconds * ((1 - p) + p / n)."""

    def __init__(self, parallel_fraction, one_rank_seconds, rms_relative_error):
        self.parallel_fraction = parallel_fraction
        self.one_rank_seconds = one_rank_seconds
        self.rms_relative_error = rms_relative_error

    def serial_seconds(self):
        return self.one_rank_seconds * (1.0 - self.parallel_fraction)

    def predict_seconds(self, ranks):
        _check_ranks(ranks)
        p = self.parallel_fraction
        return self.one_rank_seconds * ((1.0 - p) + p / ranks)

    def predict_speedup(self, ranks):
        return amdahl_speedup(self.parallel_fraction, ranks)

    def limit(self):
        return amdahl_limit(self.parallel_fraction)


def fit_amdahl(points):
    """Least squares of seconds = a + b / ranks over a, b >= 0, each point weighted by its
    relative error; p = b / (a + b). `points` is a list of (ranks, seconds)."""
    points = [(float(n), float(t)) for n, t in points]
    if not points:
        raise ValueError("fitting Amdahl's law needs measured runs")
    for n, t in points:
        _check_ranks(n)
        if not (t > 0) or not math.isfinite(t):
            raise ValueError("a measured time must be a finite number of seconds > 0")
    if all(n == points[0][0] for n, _ in points):
        raise ValueError("fitting Amdahl's law needs two distinct rank counts")

    sw = sx = sxx = sy = sxy = 0.0
    for n, t in points:
        w = 1.0 / (t * t)
        x = 1.0 / n
        sw += w
        sx += w * x
        sxx += w * x * x
        sy += w * t
        sxy += w * x * t
    det = sw * sxx - sx * sx
    a = (sxx * sy - sx * sxy) / det
    b = (sw * sxy - sx * sy) / det
    if not (a >= 0 and b >= 0):
        def cost(a_, b_):
            return sum(((a_ + b_ / n - t) / t) ** 2 for n, t in points)
        all_parallel = (0.0, sxy / sxx)
        all_serial = (sy / sw, 0.0)
        a, b = all_parallel if cost(*all_parallel) <= cost(*all_serial) else all_serial

    one = a + b
    p = b / one if one > 0 else 0.0
    fit = AmdahlFit(p, one, 0.0)
    fit.rms_relative_error = math.sqrt(
        sum(((fit.predict_seconds(n) - t) / t) ** 2 for n, t in points) / len(points))
    return fit


class GustafsonFit:
    """S(n) = (1 - p) + p * n."""

    def __init__(self, parallel_fraction, rms_error):
        self.parallel_fraction = parallel_fraction
        self.rms_error = rms_error

    def predict_speedup(self, ranks):
        return gustafson_speedup(self.parallel_fraction, ranks)


def fit_gustafson(points):
    """Least squares of S(n) = n - (n - 1) s over s in [0, 1]; p = 1 - s. `points` is a list
    of (ranks, scaled speed-up)."""
    points = [(float(n), float(s)) for n, s in points]
    num = den = 0.0
    for n, s in points:
        _check_ranks(n)
        if not (s > 0) or not math.isfinite(s):
            raise ValueError("a speed-up must be a finite number > 0")
        num += (n - 1.0) * (n - s)
        den += (n - 1.0) * (n - 1.0)
    if den == 0:
        raise ValueError("fitting Gustafson's law needs a run on more than one rank")
    serial = min(max(num / den, 0.0), 1.0)
    fit = GustafsonFit(1.0 - serial, 0.0)
    fit.rms_error = math.sqrt(
        sum((fit.predict_speedup(n) - s) ** 2 for n, s in points) / len(points))
    return fit
