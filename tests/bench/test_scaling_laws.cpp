#include "scaling_laws.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <vector>

// The cases shared with scripts/scaling_laws.py (tests/bench/test_scaling_laws.py).
#ifndef MRKIT_SCALING_CASES
#error "MRKIT_SCALING_CASES must name tests/data/scaling_laws_cases.json"
#endif

namespace {

const nlohmann::json& cases() {
  static const nlohmann::json loaded = [] {
    std::ifstream in(MRKIT_SCALING_CASES);
    if (!in) throw std::runtime_error("cannot open " + std::string(MRKIT_SCALING_CASES));
    return nlohmann::json::parse(in);
  }();
  return loaded;
}

void expect_close(double actual, double expected, double relative, const std::string& what) {
  EXPECT_NEAR(actual, expected, relative * std::max(1.0, std::abs(expected))) << what;
}

std::vector<mrkit::ScalingPoint> scaling_points(const nlohmann::json& points) {
  std::vector<mrkit::ScalingPoint> out;
  for (const auto& p : points) out.push_back({p[0].get<double>(), p[1].get<double>()});
  return out;
}

std::vector<mrkit::SpeedupPoint> speedup_points(const nlohmann::json& points) {
  std::vector<mrkit::SpeedupPoint> out;
  for (const auto& p : points) out.push_back({p[0].get<double>(), p[1].get<double>()});
  return out;
}

}  // namespace

// --- the course's worked examples, spelled out ----------------------------------------------

TEST(ScalingLaws, CourseExampleOneNineteenOfTwentyHoursLimitsTheSpeedUpToTwentyTimes) {
  const double p = mrkit::parallel_fraction(19, 20);
  EXPECT_DOUBLE_EQ(p, 0.95);
  EXPECT_NEAR(mrkit::amdahl_limit(p), 20.0, 1e-12);  // 20x, not "20 %" as the course says
  // However many ranks, never below the one serial hour.
  EXPECT_LT(mrkit::amdahl_speedup(p, 1e9), 20.0);
  EXPECT_GT(mrkit::amdahl_speedup(p, 1e9), 19.99);
}

TEST(ScalingLaws, CourseExampleTwoSevenOfTenMinutesLimitsTheSpeedUpToThreePointThree) {
  const double p = mrkit::parallel_fraction(7, 10);
  EXPECT_DOUBLE_EQ(p, 0.7);
  EXPECT_NEAR(mrkit::amdahl_limit(p), 10.0 / 3.0, 1e-12);  // 3.33x, not "3 %"
  EXPECT_NEAR(mrkit::amdahl_limit(p), 3.33, 0.005);
  // The three serial minutes stay: 10 minutes on one rank never go below 3.
  EXPECT_GT(10.0 / mrkit::amdahl_speedup(p, 1e9), 3.0);
}

TEST(ScalingLaws, AmdahlIsOneOnOneRankAndGustafsonGrowsWithoutBound) {
  for (double p : {0.0, 0.5, 0.95, 1.0}) {
    EXPECT_DOUBLE_EQ(mrkit::amdahl_speedup(p, 1), 1.0);
    EXPECT_DOUBLE_EQ(mrkit::gustafson_speedup(p, 1), 1.0);
  }
  EXPECT_EQ(mrkit::amdahl_limit(1.0), std::numeric_limits<double>::infinity());
  EXPECT_NEAR(mrkit::gustafson_speedup(0.95, 1024), 0.05 + 0.95 * 1024, 1e-9);
}

TEST(ScalingLaws, KarpFlattRecoversTheSerialFractionOfAnAmdahlRun) {
  for (double p : {0.5, 0.9, 0.95}) {
    for (double n : {2.0, 3.0, 8.0, 64.0}) {
      EXPECT_NEAR(mrkit::karp_flatt(mrkit::amdahl_speedup(p, n), n), 1.0 - p, 1e-12);
    }
  }
}

TEST(ScalingLaws, BadArgumentsAreRejected) {
  EXPECT_THROW((void)mrkit::amdahl_speedup(1.5, 2), std::invalid_argument);
  EXPECT_THROW((void)mrkit::amdahl_speedup(-0.1, 2), std::invalid_argument);
  EXPECT_THROW((void)mrkit::amdahl_speedup(0.5, 0), std::invalid_argument);
  EXPECT_THROW((void)mrkit::amdahl_limit(std::nan("")), std::invalid_argument);
  EXPECT_THROW((void)mrkit::karp_flatt(1.0, 1), std::invalid_argument);
  EXPECT_THROW((void)mrkit::karp_flatt(0.0, 2), std::invalid_argument);
  EXPECT_THROW((void)mrkit::parallel_fraction(11, 10), std::invalid_argument);
  const std::vector<mrkit::ScalingPoint> one_count{{2, 1.0}, {2, 1.1}};
  EXPECT_THROW((void)mrkit::fit_amdahl(one_count), std::invalid_argument);
  EXPECT_THROW((void)mrkit::fit_amdahl(std::vector<mrkit::ScalingPoint>{}), std::invalid_argument);
  const std::vector<mrkit::ScalingPoint> zero_time{{1, 1.0}, {2, 0.0}};
  EXPECT_THROW((void)mrkit::fit_amdahl(zero_time), std::invalid_argument);
  const std::vector<mrkit::SpeedupPoint> only_one_rank{{1, 1.0}};
  EXPECT_THROW((void)mrkit::fit_gustafson(only_one_rank), std::invalid_argument);
}

// --- synthetic runs from a known p -------------------------------------------------------------

TEST(ScalingLaws, FitRecoversTheParallelFractionOfSyntheticRuns) {
  for (double p : {0.0, 0.3, 0.7, 0.95, 0.999, 1.0}) {
    std::vector<mrkit::ScalingPoint> runs;
    for (double n : {1.0, 2.0, 3.0, 4.0, 16.0}) runs.push_back({n, 42.0 * ((1 - p) + p / n)});
    const mrkit::AmdahlFit fit = mrkit::fit_amdahl(runs);
    EXPECT_NEAR(fit.parallel_fraction, p, 1e-9) << p;
    EXPECT_NEAR(fit.one_rank_seconds, 42.0, 1e-9) << p;
    EXPECT_NEAR(fit.serial_seconds(), 42.0 * (1 - p), 1e-9) << p;
    EXPECT_NEAR(fit.predict_seconds(8), 42.0 * ((1 - p) + p / 8), 1e-9) << p;
    EXPECT_LT(fit.rms_relative_error, 1e-12) << p;
  }
}

TEST(ScalingLaws, TwoRankCountsGiveTheFitThatKarpFlattGives) {
  // Through two points the fit is exact, and its serial fraction is Karp-Flatt's.
  const std::vector<mrkit::ScalingPoint> runs{{1, 10.0}, {2, 6.0}};
  const mrkit::AmdahlFit fit = mrkit::fit_amdahl(runs);
  EXPECT_NEAR(1.0 - fit.parallel_fraction, mrkit::karp_flatt(10.0 / 6.0, 2), 1e-12);
  EXPECT_NEAR(fit.limit(), 1.0 / (1.0 - fit.parallel_fraction), 1e-12);
}

// --- the shared cases: the same numbers as the Python implementation ---------------------------

TEST(ScalingLawsCases, ClosedForms) {
  for (const auto& c : cases()["parallel_fraction"]) {
    expect_close(mrkit::parallel_fraction(c["parallel"], c["total"]), c["expected"], 1e-12,
                 c.dump());
  }
  for (const auto& c : cases()["amdahl_limit"]) {
    expect_close(mrkit::amdahl_limit(c["p"]), c["expected"], 1e-12, c.dump());
  }
  for (const auto& c : cases()["amdahl_speedup"]) {
    expect_close(mrkit::amdahl_speedup(c["p"], c["ranks"]), c["expected"], 1e-12, c.dump());
  }
  for (const auto& c : cases()["gustafson_speedup"]) {
    expect_close(mrkit::gustafson_speedup(c["p"], c["ranks"]), c["expected"], 1e-12, c.dump());
  }
  for (const auto& c : cases()["karp_flatt"]) {
    expect_close(mrkit::karp_flatt(c["speedup"], c["ranks"]), c["expected"], 1e-12, c.dump());
  }
}

TEST(ScalingLawsCases, AmdahlFits) {
  ASSERT_GE(cases()["fit_amdahl"].size(), 4U);
  for (const auto& c : cases()["fit_amdahl"]) {
    const std::string name = c["name"];
    const mrkit::AmdahlFit fit = mrkit::fit_amdahl(scaling_points(c["points"]));
    EXPECT_NEAR(fit.parallel_fraction, c["parallel_fraction"].get<double>(),
                c["tolerance"].get<double>())
        << name;
    if (c.contains("one_rank_seconds")) {
      EXPECT_NEAR(fit.one_rank_seconds, c["one_rank_seconds"].get<double>(),
                  c["one_rank_tolerance"].get<double>())
          << name;
    }
    const auto& same = c["fitted"];
    expect_close(fit.parallel_fraction, same["parallel_fraction"], 1e-9, name);
    expect_close(fit.one_rank_seconds, same["one_rank_seconds"], 1e-9, name);
    expect_close(fit.rms_relative_error, same["rms_relative_error"], 1e-9, name);
  }
}

TEST(ScalingLawsCases, GustafsonFits) {
  ASSERT_GE(cases()["fit_gustafson"].size(), 2U);
  for (const auto& c : cases()["fit_gustafson"]) {
    const std::string name = c["name"];
    const mrkit::GustafsonFit fit = mrkit::fit_gustafson(speedup_points(c["points"]));
    EXPECT_NEAR(fit.parallel_fraction, c["parallel_fraction"].get<double>(),
                c["tolerance"].get<double>())
        << name;
    expect_close(fit.parallel_fraction, c["fitted"]["parallel_fraction"], 1e-9, name);
    expect_close(fit.rms_error, c["fitted"]["rms_error"], 1e-9, name);
  }
}
