#include "scaling_laws.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace mrkit {
namespace {

void check_fraction(double p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw std::invalid_argument("a parallel fraction must be between 0 and 1, got " +
                                std::to_string(p));
  }
}

void check_ranks(double n) {
  if (!(n >= 1.0) || !std::isfinite(n)) {
    throw std::invalid_argument("a rank count must be a finite number >= 1, got " +
                                std::to_string(n));
  }
}

// Weighted least squares of y = a + b x over a, b >= 0 (a convex problem: when the free
// optimum leaves the quadrant, the best point lies on one of its two edges).
struct LineFit {
  double a = 0;
  double b = 0;
};

LineFit fit_nonnegative_line(std::span<const ScalingPoint> points) {
  double sw = 0, sx = 0, sxx = 0, sy = 0, sxy = 0;
  for (const ScalingPoint& pt : points) {
    const double w = 1.0 / (pt.seconds * pt.seconds);
    const double x = 1.0 / pt.ranks;
    sw += w;
    sx += w * x;
    sxx += w * x * x;
    sy += w * pt.seconds;
    sxy += w * x * pt.seconds;
  }
  const double det = sw * sxx - sx * sx;
  const LineFit free{(sxx * sy - sx * sxy) / det, (sw * sxy - sx * sy) / det};
  if (free.a >= 0 && free.b >= 0) return free;
  const auto cost = [&](LineFit f) {
    double c = 0;
    for (const ScalingPoint& pt : points) {
      const double r = (f.a + f.b / pt.ranks - pt.seconds) / pt.seconds;
      c += r * r;
    }
    return c;
  };
  const LineFit all_parallel{0.0, sxy / sxx};  // a = 0: p = 1
  const LineFit all_serial{sy / sw, 0.0};      // b = 0: p = 0
  return cost(all_parallel) <= cost(all_serial) ? all_parallel : all_serial;
}

}  // namespace

double parallel_fraction(double parallel_seconds, double total_seconds) {
  if (!(total_seconds > 0) || !(parallel_seconds >= 0) || parallel_seconds > total_seconds) {
    throw std::invalid_argument("the parallel time must lie between 0 and the total time (> 0)");
  }
  return parallel_seconds / total_seconds;
}

double amdahl_speedup(double parallel_fraction, double ranks) {
  check_fraction(parallel_fraction);
  check_ranks(ranks);
  return 1.0 / ((1.0 - parallel_fraction) + parallel_fraction / ranks);
}

double amdahl_limit(double parallel_fraction) {
  check_fraction(parallel_fraction);
  if (parallel_fraction == 1.0) return std::numeric_limits<double>::infinity();
  return 1.0 / (1.0 - parallel_fraction);
}

double gustafson_speedup(double parallel_fraction, double ranks) {
  check_fraction(parallel_fraction);
  check_ranks(ranks);
  return (1.0 - parallel_fraction) + parallel_fraction * ranks;
}

double karp_flatt(double speedup, double ranks) {
  check_ranks(ranks);
  if (ranks == 1.0) throw std::invalid_argument("the Karp-Flatt metric needs more than one rank");
  if (!(speedup > 0) || !std::isfinite(speedup)) {
    throw std::invalid_argument("a speed-up must be a finite number > 0");
  }
  return (1.0 / speedup - 1.0 / ranks) / (1.0 - 1.0 / ranks);
}

double AmdahlFit::serial_seconds() const noexcept {
  return one_rank_seconds * (1.0 - parallel_fraction);
}

double AmdahlFit::predict_seconds(double ranks) const {
  check_ranks(ranks);
  return one_rank_seconds * ((1.0 - parallel_fraction) + parallel_fraction / ranks);
}

double AmdahlFit::predict_speedup(double ranks) const {
  return amdahl_speedup(parallel_fraction, ranks);
}

double AmdahlFit::limit() const {
  return amdahl_limit(parallel_fraction);
}

AmdahlFit fit_amdahl(std::span<const ScalingPoint> points) {
  if (points.empty()) throw std::invalid_argument("fitting Amdahl's law needs measured runs");
  bool distinct = false;
  for (const ScalingPoint& pt : points) {
    check_ranks(pt.ranks);
    if (!(pt.seconds > 0) || !std::isfinite(pt.seconds)) {
      throw std::invalid_argument("a measured time must be a finite number of seconds > 0");
    }
    distinct = distinct || pt.ranks != points.front().ranks;
  }
  if (!distinct) throw std::invalid_argument("fitting Amdahl's law needs two distinct rank counts");

  const LineFit line = fit_nonnegative_line(points);
  AmdahlFit fit;
  fit.one_rank_seconds = line.a + line.b;
  fit.parallel_fraction = fit.one_rank_seconds > 0 ? line.b / fit.one_rank_seconds : 0.0;
  double sum = 0;
  for (const ScalingPoint& pt : points) {
    const double r = (fit.predict_seconds(pt.ranks) - pt.seconds) / pt.seconds;
    sum += r * r;
  }
  fit.rms_relative_error = std::sqrt(sum / static_cast<double>(points.size()));
  return fit;
}

double GustafsonFit::predict_speedup(double ranks) const {
  return gustafson_speedup(parallel_fraction, ranks);
}

GustafsonFit fit_gustafson(std::span<const SpeedupPoint> points) {
  // S = n - (n - 1) s is linear in s: s = sum((n - 1)(n - S)) / sum((n - 1)^2), then clamped.
  double num = 0, den = 0;
  for (const SpeedupPoint& pt : points) {
    check_ranks(pt.ranks);
    if (!(pt.speedup > 0) || !std::isfinite(pt.speedup)) {
      throw std::invalid_argument("a speed-up must be a finite number > 0");
    }
    num += (pt.ranks - 1.0) * (pt.ranks - pt.speedup);
    den += (pt.ranks - 1.0) * (pt.ranks - 1.0);
  }
  if (den == 0)
    throw std::invalid_argument("fitting Gustafson's law needs a run on more than one rank");
  const double serial = std::clamp(num / den, 0.0, 1.0);
  GustafsonFit fit;
  fit.parallel_fraction = 1.0 - serial;
  double sum = 0;
  for (const SpeedupPoint& pt : points) {
    const double r = fit.predict_speedup(pt.ranks) - pt.speedup;
    sum += r * r;
  }
  fit.rms_error = std::sqrt(sum / static_cast<double>(points.size()));
  return fit;
}

}  // namespace mrkit
