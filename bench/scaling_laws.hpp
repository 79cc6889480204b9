// Amdahl's and Gustafson's laws, the Karp-Flatt serial fraction, and least-squares fits of the
// parallel fraction from measured runs (what scripts/scaling reports; scripts/scaling_laws.py
// is the same arithmetic in Python and is tested against the same cases).
#pragma once

#include <span>

namespace mrkit {

// The parallel fraction p of a one-rank run: the part that can be spread over ranks, over the
// whole. The course's second example: 7 of 10 minutes parallel gives p = 0.7.
[[nodiscard]] double parallel_fraction(double parallel_seconds, double total_seconds);

// Amdahl (fixed work): on n ranks the run takes (1 - p) + p / n of its one-rank time, so the
// speed-up is 1 / ((1 - p) + p / n).
[[nodiscard]] double amdahl_speedup(double parallel_fraction, double ranks);

// Amdahl's limit for ranks without bound: 1 / (1 - p); infinity for p = 1.
// p = 0.95 gives 20x and p = 0.7 gives 3.33x (speed-ups, not per cent as the course says).
[[nodiscard]] double amdahl_limit(double parallel_fraction);

// Gustafson (work grows with the ranks): with p the parallel fraction of the n-rank run, one
// rank would need (1 - p) + p * n times as long for the same work: the scaled speed-up.
[[nodiscard]] double gustafson_speedup(double parallel_fraction, double ranks);

// Karp-Flatt: the serial fraction e = (1/S - 1/n) / (1 - 1/n) that explains a measured speed-up
// S on n > 1 ranks. For runs that follow Amdahl's law exactly it is 1 - p at every n; growing
// with n, it shows overhead (communication, imbalance) that Amdahl's law leaves out.
[[nodiscard]] double karp_flatt(double speedup, double ranks);

// One measured run: how many ranks, how long (seconds, e.g. the median of several runs).
struct ScalingPoint {
  double ranks = 1;
  double seconds = 0;
};

// Amdahl's model fitted to fixed-work runs: seconds(n) = serial + parallel / n.
struct AmdahlFit {
  double parallel_fraction = 0;   // p in [0, 1]
  double one_rank_seconds = 0;    // the model's time on one rank
  double rms_relative_error = 0;  // root mean square of (model - measured) / measured
  [[nodiscard]] double serial_seconds() const noexcept;
  [[nodiscard]] double predict_seconds(double ranks) const;
  [[nodiscard]] double predict_speedup(double ranks) const;  // over one rank
  [[nodiscard]] double limit() const;                        // 1 / (1 - p)
};

// Least squares of seconds = a + b / ranks with a, b >= 0, each point weighted by its relative
// error (so fast many-rank runs count as much as the slow one-rank run); p = b / (a + b).
// Needs two distinct rank counts, ranks >= 1 and seconds > 0; throws std::invalid_argument.
[[nodiscard]] AmdahlFit fit_amdahl(std::span<const ScalingPoint> points);

// A measured speed-up: for weak scaling, the scaled speed-up n * T(1) / T(n) where the n-rank
// run did n times the work of the one-rank run.
struct SpeedupPoint {
  double ranks = 1;
  double speedup = 1;
};

// Gustafson's model fitted to weak-scaling speed-ups: S(n) = (1 - p) + p * n.
struct GustafsonFit {
  double parallel_fraction = 0;  // p in [0, 1]
  double rms_error = 0;          // root mean square of (model - measured) speed-up
  [[nodiscard]] double predict_speedup(double ranks) const;
};

// Least squares of S(n) = n - (n - 1) * s over s in [0, 1]; p = 1 - s. Needs one point with
// ranks > 1; points must have ranks >= 1 and speed-up > 0; throws std::invalid_argument.
[[nodiscard]] GustafsonFit fit_gustafson(std::span<const SpeedupPoint> points);

}  // namespace mrkit
