#include "mpi_test.hpp"

#include <mrkit/scheduler.hpp>

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/vector.hpp>

#include <chrono>
#include <thread>
#include <vector>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

namespace {

// Runs the schedule and returns, on rank 0, how often each task ran (all ranks' runs).
std::vector<int> run_counts(mrkit::Schedule schedule, std::uint64_t tasks, bool slow_mother,
                            mrkit::ScheduleStats* stats_out = nullptr) {
  std::vector<std::uint64_t> ran;
  const auto stats =
      mrkit::run_tasks(world(), schedule, tasks, [&](std::uint64_t t, const mrkit::Yield& yield) {
        ran.push_back(t);
        if (slow_mother && world().rank() == 0) {
          // A long task on the mother: she must keep answering the workers meanwhile.
          for (int i = 0; i < 20; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            yield();
          }
        }
      });
  if (stats_out != nullptr) *stats_out = stats;
  std::vector<std::vector<std::uint64_t>> all;
  boost::mpi::gather(world(), ran, all, 0);
  std::vector<int> counts(tasks, 0);
  for (const auto& r : all) {
    for (const auto t : r) {
      if (t < tasks)
        ++counts[t];
      else
        counts.push_back(-1);  // out of range: makes the size check fail
    }
  }
  return counts;
}

}  // namespace

class SchedulerTest : public ::testing::TestWithParam<mrkit::Schedule> {};

TEST_P(SchedulerTest, EveryTaskRunsExactlyOnce) {
  const int p = world().size();
  for (const std::uint64_t tasks :
       {std::uint64_t{0}, std::uint64_t{1}, static_cast<std::uint64_t>(p - 1),
        static_cast<std::uint64_t>(p), std::uint64_t{101}}) {
    const auto counts = run_counts(GetParam(), tasks, false);
    bool ok = true;
    if (world().rank() == 0) {
      ok = counts.size() == tasks;
      for (const int c : counts) ok = ok && c == 1;
    }
    ASSERT_TRUE(all_ranks(ok)) << "tasks=" << tasks;
  }
}

TEST_P(SchedulerTest, StatsCountThisRanksTasks) {
  mrkit::ScheduleStats stats;
  (void)run_counts(GetParam(), 40, false, &stats);
  std::uint64_t total = 0;
  boost::mpi::all_reduce(world(), stats.tasks, total, std::plus<std::uint64_t>());
  EXPECT_EQ(total, 40U);
}

INSTANTIATE_TEST_SUITE_P(Schedules, SchedulerTest,
                         ::testing::Values(mrkit::Schedule::static_blocks,
                                           mrkit::Schedule::dynamic),
                         [](const auto& p) { return std::string(mrkit::to_string(p.param)); });

TEST(DynamicScheduler, WorkersGetTasksWhileTheMotherIsBusy) {
  // With a slow mother that yields, workers must take most tasks rather than wait for her.
  mrkit::ScheduleStats stats;
  const auto counts = run_counts(mrkit::Schedule::dynamic, 60, true, &stats);
  bool ok = true;
  if (world().rank() == 0) {
    for (const int c : counts) ok = ok && c == 1;
    ok = ok && counts.size() == 60;
  }
  ASSERT_TRUE(all_ranks(ok));
  if (world().size() > 1) {
    std::vector<std::uint64_t> per_rank;
    boost::mpi::gather(world(), stats.tasks, per_rank, 0);
    bool workers_busy = true;
    if (world().rank() == 0) {
      std::uint64_t by_workers = 0;
      for (std::size_t r = 1; r < per_rank.size(); ++r) by_workers += per_rank[r];
      workers_busy = by_workers > per_rank[0];  // the mother ran fewer tasks than the workers
    }
    EXPECT_TRUE(all_ranks(workers_busy));
  }
}

TEST(StaticScheduler, EachRankRunsOneContiguousBlock) {
  std::vector<std::uint64_t> ran;
  (void)mrkit::run_static(world(), 50,
                          [&](std::uint64_t t, const mrkit::Yield&) { ran.push_back(t); });
  bool contiguous = true;
  for (std::size_t i = 1; i < ran.size(); ++i) contiguous = contiguous && ran[i] == ran[i - 1] + 1;
  EXPECT_TRUE(all_ranks(contiguous));
}
