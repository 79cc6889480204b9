#include <mrkit/random/estimator.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace {

// Exact statistics of integer samples: the sum and sum of squares in 64-bit integers.
struct Exact {
  std::uint64_t n = 0;
  std::uint64_t sum = 0;
  std::uint64_t sum_squares = 0;
  void add(std::uint64_t x) {
    ++n;
    sum += x;
    sum_squares += x * x;
  }
  [[nodiscard]] double mean() const { return static_cast<double>(sum) / static_cast<double>(n); }
  [[nodiscard]] double m2() const {
    const long double s = sum;
    return static_cast<double>(static_cast<long double>(sum_squares) - s * s / n);
  }
};

}  // namespace

TEST(Moments, WelfordBatchesAndMergesAgreeWithExactSums) {
  std::mt19937 gen(7);
  std::vector<double> xs;
  Exact exact;
  for (int i = 0; i < 100003; ++i) {
    const std::uint64_t x = gen() % 1000;
    xs.push_back(static_cast<double>(x));
    exact.add(x);
  }
  mrkit::Moments one_by_one;
  for (const double x : xs) one_by_one.add(x);
  mrkit::Moments batches;
  mrkit::Moments merged;
  for (std::size_t at = 0; at < xs.size(); at += 777) {
    const std::size_t n = std::min<std::size_t>(777, xs.size() - at);
    batches.add(std::span<const double>(xs.data() + at, n));
    mrkit::Moments part;
    for (std::size_t i = at; i < at + n; ++i) part.add(xs[i]);
    merged.merge(part);
  }
  for (const mrkit::Moments* m : {&one_by_one, &batches, &merged}) {
    EXPECT_EQ(m->count(), exact.n);
    EXPECT_NEAR(m->mean(), exact.mean(), 1e-12 * exact.mean());
    EXPECT_NEAR(m->m2(), exact.m2(), 1e-10 * exact.m2());
  }
  const double var = exact.m2() / static_cast<double>(exact.n - 1);
  EXPECT_NEAR(batches.variance(), var, 1e-10 * var);
  EXPECT_NEAR(batches.standard_error(), std::sqrt(var / static_cast<double>(exact.n)), 1e-10);
}

TEST(Moments, BernoulliCountsAreExact) {
  const auto m = mrkit::Moments::of_bernoulli(10, 3);
  mrkit::Moments direct;
  for (int i = 0; i < 10; ++i) direct.add(i < 3 ? 1.0 : 0.0);
  EXPECT_EQ(m.count(), 10U);
  EXPECT_DOUBLE_EQ(m.mean(), 0.3);
  EXPECT_DOUBLE_EQ(m.m2(), direct.m2());
  EXPECT_DOUBLE_EQ(m.variance(), 0.3 * 0.7 * 10 / 9);
}

TEST(Moments, EmptyAndSingleSamples) {
  mrkit::Moments m;
  EXPECT_EQ(m.count(), 0U);
  EXPECT_TRUE(std::isnan(m.variance()));
  m.merge(mrkit::Moments{});
  EXPECT_EQ(m.count(), 0U);
  m.add(2.5);
  EXPECT_EQ(m.mean(), 2.5);
  EXPECT_TRUE(std::isnan(m.standard_error()));
  mrkit::Moments empty;
  empty.merge(m);
  EXPECT_EQ(empty, m);
  m.add(std::span<const double>{});
  EXPECT_EQ(m.count(), 1U);
}

TEST(Estimate, ScalingCarriesTheIntervalAlong) {
  mrkit::Estimate e;
  e.value = 0.5;
  e.standard_error = 0.01;
  e.ci_low = 0.5 - mrkit::z_95 * 0.01;
  e.ci_high = 0.5 + mrkit::z_95 * 0.01;
  const auto four = e.scaled(4);
  EXPECT_DOUBLE_EQ(four.value, 2.0);
  EXPECT_DOUBLE_EQ(four.standard_error, 0.04);
  EXPECT_DOUBLE_EQ(four.ci_low, 4 * e.ci_low);
  const auto minus = e.scaled(-1);
  EXPECT_LT(minus.ci_low, minus.ci_high);
  EXPECT_DOUBLE_EQ(minus.standard_error, 0.01);
}
