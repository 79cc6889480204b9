#include "mpi_test.hpp"

#include <mrkit/tasks/rank_stats.hpp>

#include <gtest/gtest.h>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

TEST(RankStatsMpi, EveryRankArrivesOnTheMotherInRankOrder) {
  mrkit::RankTimer timer;
  timer.add(mrkit::TimeBucket::compute, 1.0 + world().rank());
  timer.add_bytes(static_cast<std::uint64_t>(100 * world().rank()));
  const auto all = mrkit::gather_rank_times(world(), timer);
  bool ok = true;
  if (world().rank() == 0) {
    ok = static_cast<int>(all.size()) == world().size();
    for (int r = 0; ok && r < world().size(); ++r) {
      ok = all[r].rank == r && all[r].compute_seconds == 1.0 + r &&
           all[r].bytes == static_cast<std::uint64_t>(100 * r) && !all[r].host.empty();
    }
    const auto s = mrkit::summarize(all);
    ok = ok && s.busiest_rank == world().size() - 1;
  } else {
    ok = all.empty();
  }
  ASSERT_TRUE(all_ranks(ok));
}

TEST(RankStatsMpi, PrintingIsCollectiveAndReturnsOnEveryRank) {
  mrkit::RankTimer timer;
  mrkit::print_rank_stats(world(), timer, "test_rank_stats", mrkit::StatsFormat::json);
  mrkit::print_rank_stats(world(), timer, "test_rank_stats");
  ASSERT_TRUE(all_ranks(true));
}
