#include <mrkit/core/simd_level.hpp>
#include <mrkit/random/random_streams.hpp>
#include "montecarlo/pi_kernels.hpp"

#include <Random123/philox.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

namespace {

using mrkit::PhiloxCounter;
using mrkit::PhiloxKey;

// The Philox4x32 lines of Random123's kat_vectors file: counter, key, expected output.
struct Kat {
  int rounds;
  PhiloxCounter ctr;
  PhiloxKey key;
  PhiloxCounter expected;
};
const Kat kats[] = {
    {7, {0, 0, 0, 0}, {0, 0}, {0x5f6fb709, 0x0d893f64, 0x4f121f81, 0x4f730a48}},
    {7,
     {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x5207ddc2, 0x45165e59, 0x4d8ee751, 0x8c52f662}},
    {7,
     {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0x4dfccaba, 0x190a87f0, 0xc47362ba, 0xb6b5242a}},
    {10, {0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {10,
     {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {10,
     {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

// Random123's own implementation, the independent reference.
PhiloxCounter random123(PhiloxCounter c, PhiloxKey k) {
  r123::Philox4x32_R<10> philox;
  const r123::Philox4x32_R<10>::ctr_type ctr = {{c[0], c[1], c[2], c[3]}};
  const r123::Philox4x32_R<10>::key_type key = {{k[0], k[1]}};
  const auto out = philox(ctr, key);
  return {out[0], out[1], out[2], out[3]};
}

PhiloxCounter stream_block_by_random123(std::uint32_t seed, std::uint32_t stream,
                                        std::uint64_t task, std::uint64_t block) {
  return random123({static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                    static_cast<std::uint32_t>(task), static_cast<std::uint32_t>(task >> 32)},
                   {seed, stream});
}

// Every SIMD level this CPU has; restores the default level at the end of each test.
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

}  // namespace

TEST(Philox, KnownAnswerVectors) {
  for (const Kat& k : kats) {
    const PhiloxCounter got =
        k.rounds == 7 ? mrkit::philox4x32<7>(k.ctr, k.key) : mrkit::philox4x32<10>(k.ctr, k.key);
    EXPECT_EQ(got, k.expected) << "rounds " << k.rounds << " ctr " << std::hex << k.ctr[0];
  }
  static_assert(mrkit::philox4x32<10>({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5, "constexpr");
}

TEST(Philox, MatchesRandom123OnRandomInputs) {
  std::mt19937_64 gen(12345);
  for (int i = 0; i < 20000; ++i) {
    const PhiloxCounter c = {static_cast<std::uint32_t>(gen()), static_cast<std::uint32_t>(gen()),
                             static_cast<std::uint32_t>(gen()), static_cast<std::uint32_t>(gen())};
    const PhiloxKey k = {static_cast<std::uint32_t>(gen()), static_cast<std::uint32_t>(gen())};
    ASSERT_EQ(mrkit::philox4x32<10>(c, k), random123(c, k)) << "input " << i;
  }
}

TEST(RandomStream, BlocksAreKeyedBySeedAndStreamAndCountedByTaskAndDraw) {
  for (const std::uint64_t task : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{1} << 40}) {
    for (const std::uint64_t block : {std::uint64_t{0}, std::uint64_t{5}, ~std::uint64_t{0} - 3}) {
      const mrkit::RandomStream s(42, 3, task);
      EXPECT_EQ(s.block(block), stream_block_by_random123(42, 3, task, block));
    }
  }
  // Sequential words are the blocks' words in order.
  mrkit::RandomStream s(9, 1, 77);
  for (std::uint64_t b = 0; b < 50; ++b) {
    const PhiloxCounter expected = stream_block_by_random123(9, 1, 77, b);
    for (int j = 0; j < 4; ++j) ASSERT_EQ(s(), expected[static_cast<std::size_t>(j)]);
  }
  EXPECT_EQ(s.position(), 200U);
}

TEST(RandomStream, OtherSeedsStreamsAndTasksShareNoBlocks) {
  std::set<PhiloxCounter> seen;
  int made = 0;
  for (std::uint32_t seed : {0U, 1U, 4294967295U}) {
    for (std::uint32_t stream : {0U, 1U}) {
      for (std::uint64_t task : {0U, 1U, 2U}) {
        const mrkit::RandomStream s(seed, stream, task);
        for (std::uint64_t b = 0; b < 100; ++b, ++made) seen.insert(s.block(b));
      }
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(made));
}

TEST(RandomStream, FillGivesTheSequentialWordsAtEverySimdLevel) {
  RestoreLevel restore;
  for (const auto level : levels()) {
    ASSERT_TRUE(mrkit::set_simd_level(level));
    // Starting at every offset within a block, lengths around the kernel's chunk size.
    for (std::uint64_t start = 0; start < 6; ++start) {
      for (const std::size_t n : {0UL, 1UL, 3UL, 4UL, 17UL, 1024UL, 1025UL, 4099UL}) {
        mrkit::RandomStream bulk(5, 2, 1234567);
        bulk.seek(start);
        std::vector<std::uint32_t> got(n);
        bulk.fill(got);
        std::vector<std::uint32_t> expected(n);
        for (std::size_t i = 0; i < n; ++i) {
          const std::uint64_t word = start + i;
          expected[i] = stream_block_by_random123(5, 2, 1234567, word / 4)[word % 4];
        }
        ASSERT_EQ(got, expected) << to_string(level) << " start " << start << " n " << n;
        ASSERT_EQ(bulk.position(), start + n);
        // The stream goes on where fill stopped.
        const std::uint64_t next = start + n;
        ASSERT_EQ(bulk(), stream_block_by_random123(5, 2, 1234567, next / 4)[next % 4]);
      }
    }
  }
}

TEST(RandomStream, UniformsAre53BitsOfTwoWords) {
  mrkit::RandomStream a(1, 0, 3);
  mrkit::RandomStream b(1, 0, 3);
  b.seek(0);
  std::vector<double> bulk(3001);
  a.fill_uniform(bulk);
  for (std::size_t i = 0; i < bulk.size(); ++i) {
    const std::uint64_t lo = b();
    const std::uint64_t hi = b();
    const double expected = static_cast<double>(((hi << 32) | lo) >> 11) / 9007199254740992.0;
    ASSERT_EQ(bulk[i], expected) << i;
    ASSERT_GE(bulk[i], 0.0);
    ASSERT_LT(bulk[i], 1.0);
  }
  mrkit::RandomStream c(1, 0, 3);
  EXPECT_EQ(c.next_double(), bulk[0]);
}

TEST(RandomStream, WorksWithStandardDistributions) {
  mrkit::RandomStream s(3, 0, 0);
  std::uniform_int_distribution<int> die(1, 6);
  int counts[7] = {};
  for (int i = 0; i < 60000; ++i) ++counts[die(s)];
  for (int face = 1; face <= 6; ++face) EXPECT_NEAR(counts[face], 10000, 500) << face;
}

TEST(PiKernels, QuarterDiscHitsCountTheLatticeCellsExactlyAtEverySimdLevel) {
  RestoreLevel restore;
  // Reference: the cell of word w has centre X / 2^32 with X = 2 * floor(w / 2) + 1 (odd), and is
  // in the disc when X^2 + Y^2 < 2^64; X^2 + Y^2 is 2 mod 8, never 2^64, so in 64-bit integers
  // the test is Y^2 <= 2^64 - 1 - X^2.
  auto inside = [](std::uint32_t wx, std::uint32_t wy) {
    const std::uint64_t x = 2 * std::uint64_t{wx >> 1} + 1;
    const std::uint64_t y = 2 * std::uint64_t{wy >> 1} + 1;
    return y * y <= ~(x * x);
  };
  for (const auto level : levels()) {
    ASSERT_TRUE(mrkit::set_simd_level(level));
    for (const std::uint64_t start : {0U, 1U, 4U}) {
      for (const std::uint64_t points : {0U, 1U, 2U, 3U, 1001U, 200000U}) {
        mrkit::RandomStream s(11, 0, 99);
        s.seek(start);
        const std::uint64_t got = mrkit::quarter_disc_hits(s, points);
        std::uint64_t expected = 0;
        const mrkit::RandomStream ref(11, 0, 99);
        for (std::uint64_t i = 0; i < points; ++i) {
          const std::uint64_t wx = start + 2 * i;
          const std::uint64_t wy = wx + 1;
          expected += inside(ref.block(wx / 4)[wx % 4], ref.block(wy / 4)[wy % 4]) ? 1 : 0;
        }
        ASSERT_EQ(got, expected) << to_string(level) << " start " << start << " points " << points;
        ASSERT_EQ(s.position(), start + 2 * points);
      }
    }
  }
}

TEST(PiKernels, ArctanIntegrandMomentsAreThoseOfTheSamples) {
  mrkit::RandomStream s(8, 1, 5);
  const mrkit::Moments m = mrkit::arctan_integrand(s, 5000);
  mrkit::RandomStream ref(8, 1, 5);
  long double sum = 0;
  std::vector<long double> xs;
  for (int i = 0; i < 5000; ++i) {
    const double u = ref.next_double();
    xs.push_back(4.0L / (1.0L + static_cast<long double>(u) * u));
    sum += xs.back();
  }
  const long double mean = sum / 5000;
  long double m2 = 0;
  for (const long double x : xs) m2 += (x - mean) * (x - mean);
  EXPECT_EQ(m.count(), 5000U);
  EXPECT_NEAR(m.mean(), static_cast<double>(mean), 1e-14);
  EXPECT_NEAR(m.m2(), static_cast<double>(m2), 1e-10 * static_cast<double>(m2));
  EXPECT_EQ(s.position(), ref.position());
}
