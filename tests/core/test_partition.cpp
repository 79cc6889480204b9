#include <mrkit/core/partition.hpp>

#include <gtest/gtest.h>

#include <vector>

TEST(Partition, BlockRangesTileTheRangeWithSizesWithinOne) {
  for (std::uint64_t n : {0ULL, 1ULL, 2ULL, 7ULL, 10ULL, 1000ULL, 1000003ULL}) {
    for (int parts = 1; parts <= 9; ++parts) {
      std::uint64_t expected_begin = 0;
      std::uint64_t smallest = n;
      std::uint64_t largest = 0;
      for (int p = 0; p < parts; ++p) {
        const auto r = mrkit::block_range(n, parts, p);
        EXPECT_EQ(r.begin, expected_begin) << n << " " << parts << " " << p;
        expected_begin = r.end;
        smallest = std::min(smallest, r.size());
        largest = std::max(largest, r.size());
        for (std::uint64_t i = r.begin; i < r.end && n < 2000; ++i) {
          EXPECT_EQ(mrkit::block_owner(n, parts, i), p);
        }
      }
      EXPECT_EQ(expected_begin, n);
      EXPECT_LE(largest - smallest, 1U);
    }
  }
}

TEST(Partition, HugeRangesDoNotOverflow) {
  const std::uint64_t n = ~std::uint64_t{0};
  const auto last = mrkit::block_range(n, 3, 2);
  EXPECT_EQ(last.end, n);
  EXPECT_EQ(mrkit::block_owner(n, 3, n - 1), 2);
}

TEST(Partition, CyclicSplitVisitsEachIndexOnce) {
  for (std::uint64_t n : {0ULL, 1ULL, 5ULL, 64ULL, 101ULL}) {
    for (int parts = 1; parts <= 6; ++parts) {
      std::vector<int> seen(n, 0);
      for (int p = 0; p < parts; ++p) {
        for (std::uint64_t k = 0; k < mrkit::cyclic_count(n, parts, p); ++k) {
          const auto i = mrkit::cyclic_index(parts, p, k);
          ASSERT_LT(i, n);
          EXPECT_EQ(mrkit::cyclic_owner(parts, i), p);
          ++seen[i];
        }
      }
      for (std::uint64_t i = 0; i < n; ++i) EXPECT_EQ(seen[i], 1) << "index " << i;
    }
  }
}

TEST(Partition, RejectsBadPartCounts) {
  EXPECT_THROW((void)mrkit::block_range(10, 0, 0), std::invalid_argument);
  EXPECT_THROW((void)mrkit::block_range(10, 2, 2), std::invalid_argument);
  EXPECT_THROW((void)mrkit::block_owner(10, 2, 10), std::out_of_range);
}
