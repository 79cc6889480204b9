#include <mrkit/core/simd_level.hpp>
#include <mrkit/random/numpy_seeds.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace {

constexpr std::uint64_t two32 = std::uint64_t{1} << 32;

// numpy's legacy algorithm written out here on its own: std::mt19937 seeded like init_genrand,
// masked rejection on 32-bit outputs. Returns the offset from low and how many draws it took.
struct Draw {
  std::uint32_t offset;
  int draws;
};
Draw numpy_randint(std::uint32_t seed, std::uint64_t span) {
  const std::uint64_t largest = span - 1;
  std::uint64_t mask = 0;
  while (mask < largest) mask = 2 * mask + 1;
  std::mt19937 gen(seed);
  for (int draws = 1;; ++draws) {
    const std::uint64_t v = gen() & mask;
    if (v <= largest) return {static_cast<std::uint32_t>(v), draws};
  }
}

struct Range {
  std::int64_t low;
  std::int64_t high;
};
const Range ranges[] = {{0, 10},
                        {0, 1},
                        {0, 2},
                        {-5, 5},
                        {10, 17},
                        {0, 1000},
                        {0, 65537},
                        {-3, (std::int64_t{1} << 31) + 1},
                        {0, std::int64_t{1} << 32},
                        {-(std::int64_t{1} << 31), std::int64_t{1} << 31}};

std::vector<mrkit::SimdLevel> levels() {
  std::vector<mrkit::SimdLevel> out;
  for (const auto l : {mrkit::SimdLevel::baseline, mrkit::SimdLevel::v2, mrkit::SimdLevel::v3,
                       mrkit::SimdLevel::v4}) {
    if (l <= mrkit::best_simd_level()) out.push_back(l);
  }
  return out;
}
struct RestoreLevel {
  mrkit::SimdLevel saved = mrkit::simd_level();
  ~RestoreLevel() { mrkit::set_simd_level(saved); }
};

// A run of seeds and numpy's draws for them, computed once.
struct SeedRun {
  mrkit::NumpyRandint randint;
  std::uint32_t first;
  std::vector<std::uint32_t> expected;
};
SeedRun make_run(std::int64_t low, std::int64_t high, std::uint32_t first, std::size_t count) {
  SeedRun run{mrkit::NumpyRandint(low, high), first, {}};
  for (std::size_t i = 0; i < count; ++i) {
    const auto seed = static_cast<std::uint32_t>(first + i);
    run.expected.push_back(numpy_randint(seed, static_cast<std::uint64_t>(high - low)).offset);
  }
  return run;
}
std::vector<SeedRun> runs() {
  std::vector<SeedRun> out;
  out.push_back(make_run(0, 10, 0, 30000));
  out.push_back(make_run(0, 10, static_cast<std::uint32_t>(two32 - 10000), 10000));  // to 2^32-1
  out.push_back(make_run(0, 10, 123456789, 3001));
  out.push_back(make_run(0, 10, static_cast<std::uint32_t>(two32 - 1), 1));
  for (const Range& rg : ranges) out.push_back(make_run(rg.low, rg.high, 1000, 1500));
  return out;
}

}  // namespace

TEST(NumpyRandint, OneSeedPathsEqualTheReference) {
  for (const SeedRun& run : runs()) {
    const auto& r = run.randint;
    for (std::size_t i = 0; i < run.expected.size(); ++i) {
      const auto seed = static_cast<std::uint32_t>(run.first + i);
      ASSERT_EQ(r.offset(seed), run.expected[i])
          << "offset(), seed " << seed << " range " << r.low() << ".." << r.high();
      ASSERT_EQ(r(seed), r.low() + run.expected[i]);
      if (i % 97 == 0) {
        ASSERT_EQ(r.reference_offset(seed), run.expected[i]) << "seed " << seed;
      }
    }
  }
}

TEST(NumpyRandint, ManySeedsAtOnceEqualTheReferenceAtEverySimdLevel) {
  RestoreLevel restore;
  const std::vector<SeedRun> all = runs();
  for (const auto level : levels()) {
    ASSERT_TRUE(mrkit::set_simd_level(level));
    for (const SeedRun& run : all) {
      std::vector<std::uint32_t> got(run.expected.size());
      run.randint.offsets(run.first, got);
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], run.expected[i])
            << "seed " << run.first + i << " range " << run.randint.low() << ".."
            << run.randint.high() << " level " << to_string(level);
      }
    }
  }
}

TEST(NumpyRandint, SeedsWithManyRejectionsTakeTheSlowerPathAndStayExact) {
  // randint(0, 10) rejects 6 of 16 outputs: some seeds need more draws than the SIMD path makes
  // (8); find them with the reference and check them on every path.
  RestoreLevel restore;
  const mrkit::NumpyRandint course(0, 10);
  std::vector<std::uint32_t> hard;
  int most = 0;
  for (std::uint32_t seed = 0; seed < 100000; ++seed) {
    const int draws = numpy_randint(seed, 10).draws;
    most = std::max(most, draws);
    // Every seed past the SIMD path's draws, and a sample of the others that redraw.
    if (draws > 8 || (draws >= 3 && seed % 16 == 0)) hard.push_back(seed);
  }
  ASSERT_GE(most, 9) << "no seed needs more than the SIMD path's 8 draws; widen the search";
  for (const auto level : levels()) {
    ASSERT_TRUE(mrkit::set_simd_level(level));
    for (const std::uint32_t seed : hard) {
      std::uint32_t one = 0;
      course.offsets(seed, std::span<std::uint32_t>(&one, 1));
      ASSERT_EQ(one, numpy_randint(seed, 10).offset) << "seed " << seed;
      ASSERT_EQ(course.offset(seed), one) << "seed " << seed;
    }
  }
}

TEST(NumpyRandint, RejectsBadRangesAndSeedsPast2To32) {
  EXPECT_THROW(mrkit::NumpyRandint(5, 5), std::invalid_argument);
  EXPECT_THROW(mrkit::NumpyRandint(6, 5), std::invalid_argument);
  EXPECT_THROW(mrkit::NumpyRandint(0, (std::int64_t{1} << 32) + 1), std::invalid_argument);
  EXPECT_NO_THROW(mrkit::NumpyRandint(0, std::int64_t{1} << 32));
  const mrkit::NumpyRandint r(0, 10);
  EXPECT_EQ(r.values(), 10U);
  std::vector<std::uint32_t> out(2);
  EXPECT_THROW(r.offsets(static_cast<std::uint32_t>(two32 - 1), out), std::out_of_range);
  EXPECT_NO_THROW(r.offsets(static_cast<std::uint32_t>(two32 - 2), out));
}
