// sample_sort: every rank's keys in, the ranges out; checked against all keys gathered and
// sorted on one rank, and the balance bound of the header, on several shapes of input.
#include "mpi_test.hpp"

#include <mrkit/comm/chunked_messages.hpp>
#include <mrkit/patterns/sample_sort.hpp>

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>

#include <mrkit/core/runtime.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

using mrkit::Key;
using mrkit::testing::all_ranks;
using mrkit::testing::world;

namespace {

std::string as_bytes(const std::vector<Key>& keys) {
  return {reinterpret_cast<const char*>(keys.data()), keys.size() * sizeof(Key)};
}

std::vector<Key> from_bytes(const std::vector<std::string>& parts) {
  std::vector<Key> keys;
  for (const std::string& p : parts) {
    const std::size_t at = keys.size();
    keys.resize(at + p.size() / sizeof(Key));
    if (!p.empty()) std::memcpy(keys.data() + at, p.data(), p.size());
  }
  return keys;
}

// Sorts `make(rank)` on every rank with sample_sort; the ranges concatenated on the root must
// equal all inputs sorted, and no rank may hold more than the header's bound.
void check(const std::function<std::vector<Key>(int)>& make) {
  const auto& comm = world();
  std::vector<Key> mine = make(comm.rank());
  const auto inputs = mrkit::gather_bytes(comm, as_bytes(mine), 0);
  mrkit::SampleSortStats stats;
  const std::vector<Key> range = mrkit::sample_sort(comm, std::move(mine), &stats);
  const auto outputs = mrkit::gather_bytes(comm, as_bytes(range), 0);
  bool ok = true;
  std::string why;
  if (comm.rank() == 0) {
    std::vector<Key> expected = from_bytes(inputs);
    std::sort(expected.begin(), expected.end());
    const std::vector<Key> got = from_bytes(outputs);
    if (got != expected) {
      ok = false;
      why = "ranges concatenated differ from the sorted input (" + std::to_string(got.size()) +
            " keys, expected " + std::to_string(expected.size()) + ")";
    }
    const std::uint64_t n = expected.size();
    const auto p = static_cast<std::uint64_t>(comm.size());
    const std::uint64_t step = std::max<std::uint64_t>(1, n / (4 * p * p));
    const std::uint64_t bound = n < 4 * p * p ? (n + p - 1) / p : n / p + (p + 1) * step;
    if (stats.keys != n) ok = false, why += " stats.keys " + std::to_string(stats.keys);
    if (stats.largest > bound) {
      ok = false;
      why += " a rank holds " + std::to_string(stats.largest) + " keys, over the bound " +
             std::to_string(bound);
    }
  }
  boost::mpi::broadcast(comm, ok, 0);
  boost::mpi::broadcast(comm, why, 0);
  ASSERT_TRUE(all_ranks(ok)) << why;
}

std::vector<Key> random_keys(std::size_t n, std::uint64_t seed, Key lo, Key hi) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<Key> d(lo, hi);
  std::vector<Key> v(n);
  for (Key& k : v) k = d(gen);
  return v;
}

}  // namespace

TEST(SampleSort, RandomKeysOnEveryRank) {
  check([](int r) {
    return random_keys(20000 + 37 * static_cast<std::size_t>(r), 11 + r,
                       std::numeric_limits<Key>::min(), std::numeric_limits<Key>::max());
  });
}

TEST(SampleSort, AllKeysOnTheMother) {
  check(
      [](int r) { return r == 0 ? random_keys(50000, 3, -1000000, 1000000) : std::vector<Key>{}; });
}

TEST(SampleSort, AllKeysOnTheLastRank) {
  check([](int r) {
    return r == world().size() - 1 ? random_keys(30000, 5, -50, 50) : std::vector<Key>{};
  });
}

TEST(SampleSort, AllKeysEqualStayBalanced) {
  check([](int) { return std::vector<Key>(40000, 7); });
  check([](int r) { return std::vector<Key>(r == 0 ? 60000 : 0, -7); });  // splitters in one rank
  check([](int r) { return std::vector<Key>(1000 + 20000 * static_cast<std::size_t>(r), 7); });
}

TEST(SampleSort, AFewHotKeys) {
  check([](int r) {
    std::vector<Key> v = random_keys(30000, 17 + r, -3, 3);
    std::vector<Key> more = random_keys(5000, 19 + r, -1000000000, 1000000000);
    v.insert(v.end(), more.begin(), more.end());
    return v;
  });
}

TEST(SampleSort, AlreadySortedAndReversed) {
  check([](int r) {
    std::vector<Key> v(25000);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<Key>(r * 25000 + i);
    return v;
  });
  check([](int r) {
    std::vector<Key> v(25000);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = -static_cast<Key>(r * 25000 + i);
    return v;
  });
}

TEST(SampleSort, FewerKeysThanRanksAndNone) {
  check([](int r) { return r == 0 ? std::vector<Key>{5, -2} : std::vector<Key>{}; });
  check([](int) { return std::vector<Key>{}; });
  check([](int r) { return std::vector<Key>{static_cast<Key>(-r)}; });
}

TEST(SampleSort, SmallPiecesInTheExchange) {
  mrkit::set_max_message_bytes(4096);  // many pieces per message
  check([](int r) { return random_keys(20000, 23 + r, -100000, 100000); });
  mrkit::set_max_message_bytes(0);
}

TEST(SampleSort, CutAtSplitterTellsEqualKeysApartByRankAndPosition) {
  const std::vector<Key> keys{1, 3, 3, 3, 5};
  EXPECT_EQ(mrkit::detail::cut_at_splitter(keys, 0, 3, 1, 0), 4U);  // lower rank: all 3s
  EXPECT_EQ(mrkit::detail::cut_at_splitter(keys, 2, 3, 1, 0), 1U);  // higher rank: no 3s
  EXPECT_EQ(mrkit::detail::cut_at_splitter(keys, 1, 3, 1, 2), 3U);  // itself: up to position 2
  EXPECT_EQ(mrkit::detail::cut_at_splitter(keys, 0, 0, 1, 0), 0U);
  EXPECT_EQ(mrkit::detail::cut_at_splitter(keys, 0, 9, 1, 0), 5U);
}

namespace {

// sample_sort_on_disk over `make(rank)` with a budget of `memory` bytes: the ranges placed and
// written must be all inputs sorted, within the header's bound, and the scratch space gone.
void check_on_disk(const std::function<std::vector<Key>(int)>& make,
                   std::uint64_t memory = 64 << 10) {
  const auto& comm = world();
  const std::vector<Key> input = make(comm.rank());
  const auto inputs = mrkit::gather_bytes(comm, as_bytes(input), 0);
  const std::string tmp = mrkit::testing::shared_temp_dir();
  std::size_t given = 0;
  std::vector<Key> range;
  std::uint64_t placed_first = 0, placed_count = 0;
  mrkit::DiskSortStats stats;
  mrkit::sample_sort_on_disk(
      comm,
      [&](std::span<Key> to) {
        const std::size_t n = std::min(to.size(), input.size() - given);
        std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(given), n, to.begin());
        given += n;
        return n;
      },
      [&](std::uint64_t first, std::uint64_t count) {
        placed_first = first;
        placed_count = count;
      },
      [&](std::span<const Key> keys) { range.insert(range.end(), keys.begin(), keys.end()); },
      {memory, tmp}, &stats);
  const auto outputs = mrkit::gather_bytes(comm, as_bytes(range), 0);
  std::vector<std::uint64_t> firsts;
  boost::mpi::gather(comm, placed_first, firsts, 0);
  bool ok = placed_count == range.size() && std::filesystem::is_empty(std::filesystem::path(tmp));
  std::string why = ok ? "" : "placed count or leftover scratch files on some rank";
  if (comm.rank() == 0) {
    std::vector<Key> expected = from_bytes(inputs);
    std::sort(expected.begin(), expected.end());
    const std::vector<Key> got = from_bytes(outputs);
    if (got != expected) ok = false, why += " ranges differ from the sorted input";
    std::uint64_t at = 0;
    for (int r = 0; r < comm.size(); ++r) {
      if (firsts[static_cast<std::size_t>(r)] != at) ok = false, why += " wrong place";
      at += outputs[static_cast<std::size_t>(r)].size() / sizeof(Key);
    }
    const std::uint64_t n = expected.size();
    const auto p = static_cast<std::uint64_t>(comm.size());
    // The header's step: runs of memory / 16 keys, 4 P^2 samples per run of the rank with most.
    std::uint64_t most = 1;
    for (const std::string& in : inputs) {
      const std::uint64_t keys = in.size() / sizeof(Key), run = memory / 16;
      most = std::max<std::uint64_t>(most, (keys + run - 1) / run);
    }
    const std::uint64_t step =
        std::max<std::uint64_t>(1, n / (4 * p * p * std::min<std::uint64_t>(most, 16)));
    const std::uint64_t bound = n / p + (stats.runs + 1) * step;
    if (stats.largest > bound) {
      ok = false;
      why +=
          " a rank holds " + std::to_string(stats.largest) + " keys, over " + std::to_string(bound);
    }
    if (n > memory / 16 && stats.bytes_spilled < n * sizeof(Key)) ok = false, why += " no spill";
  }
  boost::mpi::broadcast(comm, ok, 0);
  boost::mpi::broadcast(comm, why, 0);
  ASSERT_TRUE(all_ranks(ok)) << why;
}

}  // namespace

TEST(SampleSortOnDisk, RandomKeysInManyRuns) {
  check_on_disk([](int r) {
    return random_keys(30000 + 101 * static_cast<std::size_t>(r), 31 + r,
                       std::numeric_limits<Key>::min(), std::numeric_limits<Key>::max());
  });
}

TEST(SampleSortOnDisk, SkewedAndEqualKeys) {
  check_on_disk([](int r) { return std::vector<Key>(r == 0 ? 50000 : 0, 4); });
  check_on_disk([](int) { return std::vector<Key>(20000, -1); });
  check_on_disk([](int r) {
    std::vector<Key> v = random_keys(20000, 37 + r, -2, 2);
    std::vector<Key> more = random_keys(3000, 41 + r, -1000000, 1000000);
    v.insert(v.end(), more.begin(), more.end());
    return v;
  });
}

TEST(SampleSortOnDisk, NoKeysAndFewerThanRanks) {
  check_on_disk([](int) { return std::vector<Key>{}; });
  check_on_disk([](int r) { return r == 0 ? std::vector<Key>{9, -9} : std::vector<Key>{}; });
}

TEST(SampleSortOnDisk, AMissingScratchParentFailsOnEveryRank) {
  std::string what;
  try {
    mrkit::sample_sort_on_disk(
        world(), [](std::span<Key>) { return std::size_t{0}; }, [](std::uint64_t, std::uint64_t) {},
        [](std::span<const Key>) {}, {64 << 10, "/nonexistent/mrkit-test-dir"});
  } catch (const mrkit::CollectiveError& e) {
    what = e.what();
  }
  ASSERT_TRUE(all_ranks(what.find("/nonexistent/mrkit-test-dir") != std::string::npos)) << what;
}

TEST(SampleSortOnDisk, ATooSmallBudgetIsRefused) {
  EXPECT_THROW(mrkit::sample_sort_on_disk(
                   world(), [](std::span<Key>) { return std::size_t{0}; },
                   [](std::uint64_t, std::uint64_t) {}, [](std::span<const Key>) {}, {4096, ""}),
               mrkit::UsageError);
}
