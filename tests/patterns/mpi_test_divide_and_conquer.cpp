#include "mpi_test.hpp"

#include <mrkit/comm/chunked_messages.hpp>
#include <mrkit/patterns/divide_and_conquer.hpp>
#include <mrkit/patterns/merge_sort.hpp>

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/utility.hpp>

#include <algorithm>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <tuple>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

namespace {

// Restores the 1 GiB piece size even when a test fails.
struct PieceSize {
  explicit PieceSize(std::size_t bytes) { mrkit::set_max_message_bytes(bytes); }
  ~PieceSize() { mrkit::set_max_message_bytes(0); }
};

// The sum of [begin, end) by divide and conquer; the problem travels through
// Boost.Serialization (a std::pair), the solution as a raw number.
using Range = std::pair<std::uint64_t, std::uint64_t>;

mrkit::DivideAndConquer<Range, std::uint64_t> range_sum() {
  mrkit::DivideAndConquer<Range, std::uint64_t> how;
  how.divide = [](Range&& r, double share) {
    const auto cut =
        r.first + static_cast<std::uint64_t>(static_cast<double>(r.second - r.first) * share);
    return std::pair<Range, Range>({r.first, cut}, {cut, r.second});
  };
  how.solve = [](Range&& r) {
    std::uint64_t s = 0;
    for (std::uint64_t i = r.first; i < r.second; ++i) s += i;
    return s;
  };
  how.combine = [](std::uint64_t&& a, std::uint64_t&& b) { return a + b; };
  how.describe_problem = [](const Range& r) {
    return "[" + std::to_string(r.first) + "," + std::to_string(r.second) + ")";
  };
  return how;
}

bool tree_is_whole(const mrkit::DivideTree& tree) {
  // Every divided node has both children right after it in depth-first order: rendering fails
  // otherwise.
  try {
    (void)mrkit::render_divide_tree(tree);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

TEST(DivideAndConquer, SumsARangeOnEveryRankCount) {
  for (const std::uint64_t n :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{100000}}) {
    const Range whole = world().rank() == 0 ? Range{0, n} : Range{};
    mrkit::DivideTree tree;
    const auto sum = mrkit::divide_and_conquer(world(), whole, range_sum(), &tree);
    bool ok = sum.has_value() == (world().rank() == 0);
    if (world().rank() == 0) {
      ok = ok && *sum == n * (n - (n > 0 ? 1 : 0)) / 2;
      // One leaf per rank; every rank solves once.
      std::multiset<int> solvers;
      for (const auto& node : tree) {
        if (!node.divided) solvers.insert(node.rank);
      }
      ok = ok && static_cast<int>(solvers.size()) == world().size();
      for (int r = 0; r < world().size(); ++r) ok = ok && solvers.count(r) == 1;
      ok = ok && tree_is_whole(tree) && tree.front().problem == "[0," + std::to_string(n) + ")";
    } else {
      ok = ok && tree.empty();
    }
    ASSERT_TRUE(all_ranks(ok)) << "n=" << n;
  }
}

TEST(DivideAndConquer, SmallProblemsAreSolvedWithoutDividing) {
  auto how = range_sum();
  how.is_small = [](const Range& r, int) { return r.second - r.first < 10; };
  const Range whole = world().rank() == 0 ? Range{0, 5} : Range{};
  mrkit::DivideTree tree;
  const auto sum = mrkit::divide_and_conquer(world(), whole, how, &tree);
  bool ok = true;
  if (world().rank() == 0) {
    ok = sum && *sum == 10 && tree.size() == 1 && !tree[0].divided &&
         tree[0].ranks == world().size();
  }
  ASSERT_TRUE(all_ranks(ok));
}

TEST(DivideAndConquer, KeepsHalvingOnOneRankUntilSmall) {
  auto how = range_sum();
  how.is_small = [](const Range& r, int) { return r.second - r.first <= 1; };
  const std::uint64_t n = 37;
  const Range whole = world().rank() == 0 ? Range{0, n} : Range{};
  mrkit::DivideTree tree;
  const auto sum = mrkit::divide_and_conquer(world(), whole, how, &tree);
  bool ok = true;
  if (world().rank() == 0) {
    std::size_t leaves = 0;
    for (const auto& node : tree) leaves += node.divided ? 0 : 1;
    // A binary tree with n leaves of one number each (no empty ranges: 37 >= ranks).
    ok = sum && *sum == n * (n - 1) / 2 && leaves == n && tree.size() == 2 * n - 1 &&
         tree_is_whole(tree);
  }
  ASSERT_TRUE(all_ranks(ok));
}

class MergeSortTest : public ::testing::TestWithParam<std::tuple<std::size_t, bool>> {};

TEST_P(MergeSortTest, SortsLikeStdSort) {
  PieceSize piece(std::get<0>(GetParam()));
  mrkit::MergeSortOptions options;
  options.merge_together = std::get<1>(GetParam());
  const int p = world().size();
  std::mt19937_64 rng(11);
  for (const std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{2}, static_cast<std::size_t>(p - 1),
        static_cast<std::size_t>(p), std::size_t{1001}, std::size_t{65537}}) {
    std::vector<mrkit::Key> keys;
    if (world().rank() == 0) {
      keys.resize(n);
      for (auto& k : keys) k = static_cast<mrkit::Key>(rng() % 1000) - 500;  // many duplicates
      if (n > 4) {
        keys[0] = std::numeric_limits<mrkit::Key>::max();
        keys[1] = std::numeric_limits<mrkit::Key>::min();
        keys[n - 1] = std::numeric_limits<mrkit::Key>::min();
      }
    }
    auto expected = keys;
    std::sort(expected.begin(), expected.end());
    const auto sorted = mrkit::merge_sort(world(), keys, options);
    const bool ok = world().rank() == 0 ? sorted == expected : sorted.empty();
    ASSERT_TRUE(all_ranks(ok)) << "n=" << n;
  }
}

// 0: whole pieces of 1 GiB; 24: every transfer of more than three keys is cut into pieces. Merges
// by both ranks holding the halves, or by the left one alone.
INSTANTIATE_TEST_SUITE_P(PiecesAndMerges, MergeSortTest,
                         ::testing::Combine(::testing::Values(std::size_t{0}, std::size_t{24}),
                                            ::testing::Bool()),
                         [](const auto& p) {
                           return "piece" + std::to_string(std::get<0>(p.param)) +
                                  (std::get<1>(p.param) ? "_together" : "_alone");
                         });

TEST(MergeSort, MergesTogetherAtEverySplit) {
  // Skewed halves: all of A below all of B, all above, and interleaved, at many sizes.
  for (const int pattern : {0, 1, 2}) {
    for (const std::size_t n : {std::size_t{5}, std::size_t{64}, std::size_t{1000}}) {
      std::vector<mrkit::Key> keys;
      if (world().rank() == 0) {
        for (std::size_t i = 0; i < n; ++i) {
          const auto k = static_cast<mrkit::Key>(i);
          keys.push_back(pattern == 0 ? k : pattern == 1 ? -k : (k % 2 ? k : -k) * 3);
        }
      }
      auto expected = keys;
      std::sort(expected.begin(), expected.end());
      const auto sorted = mrkit::merge_sort(world(), keys);
      ASSERT_TRUE(all_ranks(world().rank() != 0 || sorted == expected))
          << "pattern " << pattern << " n " << n;
    }
  }
}

TEST(MergeSort, DrawsTheCoursesFigure) {
  // The keys of the course's merge-sort figure, halved down to single keys.
  std::vector<mrkit::Key> keys;
  if (world().rank() == 0) keys = {38, 27, 43, 3, 9, 82, 10};
  mrkit::MergeSortOptions options;
  options.leaf_keys = 1;
  mrkit::DivideTree tree;
  const auto sorted = mrkit::merge_sort(world(), keys, options, &tree);
  bool ok = true;
  std::string text;
  if (world().rank() == 0) {
    text = mrkit::render_divide_tree(tree);
    std::size_t leaves = 0;
    for (const auto& node : tree) leaves += node.divided ? 0 : 1;
    ok = sorted == std::vector<mrkit::Key>{3, 9, 10, 27, 38, 43, 82} && leaves == 7 &&
         tree.size() == 13 && tree.front().problem == "[38 27 43 3 9 82 10]" &&
         tree.front().solution == "[3 9 10 27 38 43 82]" &&
         text.find("solve   [38] on rank 0 -> [38]") != std::string::npos &&
         text.rfind("-> [3 9 10 27 38 43 82]\n") != std::string::npos &&
         text.rfind("\ncombine on rank 0") != std::string::npos;
  }
  ASSERT_TRUE(all_ranks(ok)) << text;
}
