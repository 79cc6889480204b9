#include "mpi_test.hpp"

#include <mrkit/tasks/scheduler.hpp>

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/vector.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
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

// --- a task time limit: stragglers reported, and (pure tasks) re-issued ------------------------

namespace {

// True for the first caller across all ranks with this marker path (ranks share a host).
bool first_to_claim(const std::string& marker) {
  const int fd = ::open(marker.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// Sleeps `steps` x 10 ms, calling yield after each step.
void sleep_yielding(int steps, const mrkit::Yield& yield) {
  for (int i = 0; i < steps; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    yield();
  }
}

// Per-task sums over all ranks, on every rank.
std::vector<int> sum_all_ranks(const std::vector<int>& mine) {
  std::vector<int> all(mine.size(), 0);
  if (!mine.empty()) {
    boost::mpi::all_reduce(world(), mine.data(), static_cast<int>(mine.size()), all.data(),
                           std::plus<int>());
  }
  return all;
}

bool each_is_one(const std::vector<int>& counts) {
  for (const int c : counts) {
    if (c != 1) return false;
  }
  return true;
}

// The mother's reports, as "task rank" pairs, agreed by all ranks.
std::vector<std::uint64_t> broadcast_reports(const std::vector<mrkit::StragglerReport>& reports,
                                             bool* hosts_named = nullptr) {
  std::vector<std::uint64_t> flat;
  bool named = true;
  for (const auto& r : reports) {
    flat.push_back(r.task);
    flat.push_back(static_cast<std::uint64_t>(r.rank));
    named = named && !r.host.empty() && r.seconds > r.limit;
  }
  boost::mpi::broadcast(world(), flat, 0);
  boost::mpi::broadcast(world(), named, 0);
  if (hosts_named != nullptr) *hosts_named = named;
  return flat;
}

}  // namespace

TEST(TaskTimeLimit, AStragglerIsReportedOnceNamingTaskAndRank) {
  constexpr std::uint64_t tasks = 12;
  std::vector<mrkit::StragglerReport> reports;
  mrkit::DynamicOptions options;
  options.task_time_limit = 0.2;
  options.on_straggler = [&](const mrkit::StragglerReport& r) { reports.push_back(r); };
  std::vector<int> ran(tasks, 0);
  int slow_rank = -1;
  (void)mrkit::run_tasks(
      world(), mrkit::Schedule::dynamic, tasks,
      [&](std::uint64_t t, const mrkit::Yield& yield) {
        ++ran[t];
        if (t == 3) {
          slow_rank = world().rank();
          sleep_yielding(60, yield);  // 0.6 s against a 0.2 s limit
        }
      },
      {}, options);
  EXPECT_TRUE(all_ranks(reports.empty() || world().rank() == 0));  // the mother reports
  ASSERT_TRUE(all_ranks(each_is_one(sum_all_ranks(ran))));
  int who = -1;
  boost::mpi::all_reduce(world(), slow_rank, who, boost::mpi::maximum<int>());
  bool named = false;
  const auto flat = broadcast_reports(reports, &named);
  EXPECT_EQ(flat, (std::vector<std::uint64_t>{3, static_cast<std::uint64_t>(who)}));
  EXPECT_TRUE(named);
  if (!reports.empty()) {
    const std::string line = mrkit::describe(reports.front());
    EXPECT_NE(line.find("task 3 has run "), std::string::npos) << line;
    EXPECT_NE(line.find(" on rank " + std::to_string(who) + " ("), std::string::npos) << line;
    EXPECT_NE(line.find("(limit 0.2 s)"), std::string::npos) << line;
  }
}

TEST(TaskTimeLimit, AReissuedStragglerIsAbandonedAndEveryTaskCommittedOnce) {
  // The first copy of task 3 (on whichever rank) would sleep 3 s in yielding steps; any other
  // copy is quick. With 2+ ranks an idle rank runs a copy once 0.2 s have passed, commits it,
  // and the first copy learns it at a yield and is abandoned.
  constexpr std::uint64_t tasks = 20;
  const std::string marker = mrkit::testing::shared_temp_dir() + "/reissue";
  std::vector<mrkit::StragglerReport> reports;
  mrkit::DynamicOptions options;
  options.task_time_limit = 0.2;
  options.reissue = true;
  options.on_straggler = [&](const mrkit::StragglerReport& r) { reports.push_back(r); };
  std::vector<int> committed(tasks, 0);
  int slept_fully = 0;
  int saw_cancel = 0;
  const auto stats = mrkit::run_pure_tasks(
      world(), mrkit::Schedule::dynamic, tasks,
      [&](std::uint64_t t, const mrkit::Yield& yield) -> mrkit::Commit {
        if (t == 3 && first_to_claim(marker)) {
          try {
            sleep_yielding(world().size() == 1 ? 60 : 300, yield);
            slept_fully = 1;
          } catch (...) {
            saw_cancel = 1;
            throw;
          }
        }
        return [&committed, t] { ++committed[t]; };
      },
      {}, options);
  ASSERT_TRUE(all_ranks(each_is_one(sum_all_ranks(committed))));
  const auto flat = broadcast_reports(reports);
  ASSERT_EQ(flat.size(), 2U);
  EXPECT_EQ(flat[0], 3U);
  int any_slept = 0;
  int any_cancel = 0;
  std::uint64_t discarded = 0;
  std::uint64_t done = 0;
  boost::mpi::all_reduce(world(), slept_fully, any_slept, std::plus<int>());
  boost::mpi::all_reduce(world(), saw_cancel, any_cancel, std::plus<int>());
  boost::mpi::all_reduce(world(), stats.discarded, discarded, std::plus<std::uint64_t>());
  boost::mpi::all_reduce(world(), stats.tasks, done, std::plus<std::uint64_t>());
  EXPECT_EQ(done, tasks);
  if (world().size() == 1) {
    // Alone, the mother cannot re-issue: the straggler is only reported.
    EXPECT_EQ(any_slept, 1);
    EXPECT_EQ(any_cancel, 0);
    EXPECT_EQ(discarded, 0U);
  } else {
    EXPECT_EQ(any_slept, 0);   // the straggler did not sleep its 3 s out
    EXPECT_EQ(any_cancel, 1);  // it was told at a yield
    EXPECT_EQ(discarded, 1U);
  }
}

TEST(TaskTimeLimit, ALosingCopyThatNeverYieldsIsDiscarded) {
  // The first copy of task 2 sleeps 1 s without yielding: it cannot be told, finishes, and
  // (if a copy elsewhere won) its result is dropped.
  constexpr std::uint64_t tasks = 10;
  const std::string marker = mrkit::testing::shared_temp_dir() + "/no-yield";
  mrkit::DynamicOptions options;
  options.task_time_limit = 0.2;
  options.reissue = true;
  std::vector<mrkit::StragglerReport> reports;
  options.on_straggler = [&](const mrkit::StragglerReport& r) { reports.push_back(r); };
  std::vector<int> committed(tasks, 0);
  const auto stats = mrkit::run_pure_tasks(
      world(), mrkit::Schedule::dynamic, tasks,
      [&](std::uint64_t t, const mrkit::Yield&) -> mrkit::Commit {
        if (t == 2 && first_to_claim(marker)) std::this_thread::sleep_for(std::chrono::seconds(1));
        return [&committed, t] { ++committed[t]; };
      },
      {}, options);
  ASSERT_TRUE(all_ranks(each_is_one(sum_all_ranks(committed))));
  const auto flat = broadcast_reports(reports);
  ASSERT_EQ(flat.size(), 2U) << ::testing::PrintToString(flat);
  EXPECT_EQ(flat[0], 2U);
  std::uint64_t done = 0;
  boost::mpi::all_reduce(world(), stats.tasks, done, std::plus<std::uint64_t>());
  EXPECT_EQ(done, tasks);
}

class TaskTimeLimitQuiet : public ::testing::TestWithParam<bool> {};

TEST_P(TaskTimeLimitQuiet, WithoutStragglersEveryTaskRunsOnceAndNothingIsReported) {
  const bool pure = GetParam();
  const int p = world().size();
  mrkit::DynamicOptions options;
  options.task_time_limit = 60;
  options.reissue = pure;
  std::vector<mrkit::StragglerReport> reports;
  options.on_straggler = [&](const mrkit::StragglerReport& r) { reports.push_back(r); };
  for (const std::uint64_t tasks :
       {std::uint64_t{0}, std::uint64_t{1}, static_cast<std::uint64_t>(p - 1),
        static_cast<std::uint64_t>(p), std::uint64_t{101}}) {
    std::vector<int> ran(tasks, 0);
    const auto slow_mother = [&](const mrkit::Yield& yield) {
      if (world().rank() == 0) sleep_yielding(1, yield);
    };
    mrkit::ScheduleStats stats;
    if (pure) {
      stats = mrkit::run_pure_tasks(
          world(), mrkit::Schedule::dynamic, tasks,
          [&](std::uint64_t t, const mrkit::Yield& yield) -> mrkit::Commit {
            slow_mother(yield);
            return [&ran, t] { ++ran[t]; };
          },
          {}, options);
    } else {
      stats = mrkit::run_tasks(
          world(), mrkit::Schedule::dynamic, tasks,
          [&](std::uint64_t t, const mrkit::Yield& yield) {
            ++ran[t];
            slow_mother(yield);
          },
          {}, options);
    }
    ASSERT_TRUE(all_ranks(each_is_one(sum_all_ranks(ran)))) << "tasks=" << tasks;
    std::uint64_t done = 0;
    boost::mpi::all_reduce(world(), stats.tasks, done, std::plus<std::uint64_t>());
    EXPECT_EQ(done, tasks);
    EXPECT_TRUE(all_ranks(reports.empty() && stats.discarded == 0));
  }
}

INSTANTIATE_TEST_SUITE_P(PureOrNot, TaskTimeLimitQuiet, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "pure" : "plain"; });

TEST(TaskTimeLimit, BadOptionsAreRefusedBeforeAnyMessage) {
  const mrkit::TaskFunction nothing = [](std::uint64_t, const mrkit::Yield&) {};
  mrkit::DynamicOptions limit;
  limit.task_time_limit = 0.5;
  EXPECT_THROW(
      (void)mrkit::run_tasks(world(), mrkit::Schedule::static_blocks, 4, nothing, {}, limit),
      std::invalid_argument);
  mrkit::DynamicOptions reissue = limit;
  reissue.reissue = true;
  EXPECT_THROW((void)mrkit::run_dynamic(world(), 4, nothing, {}, reissue), std::invalid_argument);
  for (const double bad : {-1.0, std::nan(""), HUGE_VAL}) {
    mrkit::DynamicOptions o;
    o.task_time_limit = bad;
    EXPECT_THROW((void)mrkit::run_dynamic(world(), 4, nothing, {}, o), std::invalid_argument);
  }
  // Static and a pure function: each result committed once, no time limit involved.
  std::vector<int> committed(7, 0);
  (void)mrkit::run_pure_tasks(world(), mrkit::Schedule::static_blocks, 7,
                              [&](std::uint64_t t, const mrkit::Yield&) -> mrkit::Commit {
                                return [&committed, t] { ++committed[t]; };
                              });
  EXPECT_TRUE(all_ranks(each_is_one(sum_all_ranks(committed))));
}

// StopWhen (e.g. a deadline): once it says true no task starts, however many are left (2^40
// tasks here: a loop over them would never end), task 0 always runs, and every schedule agrees.
class StopWhenTest : public ::testing::TestWithParam<int> {};

TEST_P(StopWhenTest, StopsAtOnceWhateverTheTaskCount) {
  const std::uint64_t tasks = std::uint64_t{1} << 40;
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t ran = 0;
  bool ran_task0 = false;
  std::uint64_t asked = 0;
  // Says stop from its 5th question on (on each rank that asks).
  const mrkit::StopWhen stop = [&asked] { return ++asked > 4; };
  const mrkit::TaskFunction work = [&](std::uint64_t t, const mrkit::Yield&) {
    ++ran;
    if (t == 0) ran_task0 = true;
  };
  const mrkit::PureTaskFunction pure = [&](std::uint64_t t, const mrkit::Yield&) -> mrkit::Commit {
    return [&, t] { work(t, {}); };
  };
  mrkit::DynamicOptions timed;
  timed.task_time_limit = 60;
  switch (GetParam()) {
    case 0:
      (void)mrkit::run_tasks(world(), mrkit::Schedule::static_blocks, tasks, work, {}, {}, stop);
      break;
    case 1:
      (void)mrkit::run_tasks(world(), mrkit::Schedule::dynamic, tasks, work, {}, {}, stop);
      break;
    default:
      (void)mrkit::run_pure_tasks(world(), mrkit::Schedule::dynamic, tasks, pure, {}, timed, stop);
      break;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::uint64_t total = 0;
  boost::mpi::all_reduce(world(), ran, total, std::plus<>());
  int task0 = ran_task0 ? 1 : 0;
  int task0_runs = 0;
  boost::mpi::all_reduce(world(), task0, task0_runs, std::plus<>());
  // Static: at most 5 tasks per rank (task 0 is not asked about); dynamic: 5 handed out by the
  // mother, plus at most one asked ahead per worker.
  EXPECT_TRUE(all_ranks(total >= 1 && total <= 5 * static_cast<std::uint64_t>(world().size())))
      << total;
  EXPECT_TRUE(all_ranks(task0_runs == 1));
  EXPECT_TRUE(all_ranks(seconds < 10)) << seconds;
}

INSTANTIATE_TEST_SUITE_P(Schedules, StopWhenTest, ::testing::Values(0, 1, 2), [](const auto& p) {
  return p.param == 0 ? "static" : p.param == 1 ? "dynamic" : "timed";
});
