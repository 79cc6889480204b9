#include <mrkit/io/byte_ranges.hpp>

#include <gtest/gtest.h>

#include <vector>

TEST(ByteRanges, PiecesCoverEveryByteOfEveryFileOnce) {
  const std::vector<std::uint64_t> sizes = {0, 5, 0, 0, 17, 1, 0, 300, 2};
  const mrkit::ByteSpace space(sizes);
  EXPECT_EQ(space.total(), 325U);
  for (std::uint64_t split : {1ULL, 2ULL, 3ULL, 16ULL, 100ULL, 325ULL, 1000ULL}) {
    std::vector<std::vector<int>> seen(sizes.size());
    for (std::size_t f = 0; f < sizes.size(); ++f) seen[f].assign(sizes[f], 0);
    const auto ranges = mrkit::split_evenly(space.total(), split);
    ASSERT_EQ(ranges.size(), (space.total() + split - 1) / split);
    for (const auto& r : ranges) {
      std::uint64_t bytes = 0;
      for (const auto& p : space.pieces(r)) {
        ASSERT_LT(p.begin, p.end);
        ASSERT_LE(p.end, sizes[p.file]);
        for (auto b = p.begin; b < p.end; ++b) ++seen[p.file][b];
        bytes += p.end - p.begin;
      }
      EXPECT_EQ(bytes, r.size());
    }
    for (std::size_t f = 0; f < sizes.size(); ++f) {
      for (std::uint64_t b = 0; b < sizes[f]; ++b) EXPECT_EQ(seen[f][b], 1) << f << ":" << b;
    }
  }
}

TEST(ByteRanges, ManySmallFilesShareOneTask) {
  const std::vector<std::uint64_t> sizes(1000, 4);
  const mrkit::ByteSpace space(sizes);
  const auto pieces = space.pieces({0, space.total()});
  ASSERT_EQ(pieces.size(), 1000U);
  EXPECT_EQ(pieces.front(), (mrkit::FilePiece{0, 0, 4}));
  EXPECT_EQ(pieces.back(), (mrkit::FilePiece{999, 0, 4}));
}

TEST(ByteRanges, SplitEvenlyHandlesHugeTotals) {
  const std::uint64_t total = std::uint64_t{5} << 40;  // 5 TiB, no allocation per byte
  const auto r = mrkit::split_evenly(total, std::uint64_t{1} << 30);
  ASSERT_EQ(r.size(), 5120U);
  EXPECT_EQ(r.back().end, total);
  EXPECT_TRUE(mrkit::split_evenly(0, 10).empty());
  EXPECT_THROW((void)mrkit::split_evenly(10, 0), std::invalid_argument);
}

TEST(ByteRanges, BalancedSplitStaysInBounds) {
  EXPECT_EQ(mrkit::balanced_split_bytes(1600, 4, 4, 1, 1000), 100U);
  EXPECT_EQ(mrkit::balanced_split_bytes(10, 4, 16, 64, 1000), 64U);
  EXPECT_EQ(mrkit::balanced_split_bytes(1ULL << 40, 2, 16, 1, 1ULL << 26), 1ULL << 26);
}
