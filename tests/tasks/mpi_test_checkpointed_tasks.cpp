// CheckpointedTasks on every rank: without a checkpoint every task is a record and runs once;
// with one, a second run of the same job runs only the records the first did not save, the
// mother merges the saved ones in record order, resumed tasks count the grouped tasks, and a
// payload the decoder refuses is an InputError on every rank.
#include "mpi_test.hpp"

#include <mrkit/core/runtime.hpp>
#include <mrkit/tasks/checkpointed_tasks.hpp>

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using mrkit::CheckpointedTasks;
using mrkit::testing::all_ranks;
using mrkit::testing::shared_temp_dir;
using mrkit::testing::world;

namespace {

// Every record run anywhere, gathered on every rank and sorted.
std::vector<std::uint64_t> all_run(const std::vector<std::uint64_t>& mine) {
  std::vector<std::vector<std::uint64_t>> all;
  boost::mpi::all_gather(world(), mine, all);
  std::vector<std::uint64_t> out;
  for (const auto& v : all) out.insert(out.end(), v.begin(), v.end());
  std::sort(out.begin(), out.end());
  return out;
}

std::string payload(std::uint64_t record) {
  return "record " + std::to_string(record);
}

}  // namespace

TEST(CheckpointedTasks, RecordSizes) {
  EXPECT_EQ(mrkit::tasks_per_record(0, 16384, 10), 1U);
  EXPECT_EQ(mrkit::tasks_per_record(1000, 16384, 10), 17U);
  EXPECT_EQ(mrkit::tasks_per_record(16384, 16384, 10), 1U);
  EXPECT_EQ(mrkit::tasks_per_record(1 << 20, 16384, 4097), 2U);
  EXPECT_EQ(mrkit::tasks_per_record(1 << 20, 16384, 8192), 2U);
  EXPECT_EQ(mrkit::tasks_per_record(1 << 20, 16384, 8193), 3U);
}

TEST(CheckpointedTasks, WithoutCheckpointEveryTaskRunsOnce) {
  for (const auto schedule : {mrkit::Schedule::static_blocks, mrkit::Schedule::dynamic}) {
    const CheckpointedTasks run(world(), "", "job", 13);
    std::vector<std::uint64_t> mine;
    (void)run.run(schedule, [&](std::uint64_t record, const mrkit::Yield&) {
      mine.push_back(record);
      run.save(record, payload(record));  // nothing to write to: ignored
    });
    std::vector<std::uint64_t> merged;
    run.merge_finished([&](std::uint64_t r, std::string_view) { merged.push_back(r); });
    std::vector<std::uint64_t> every(13);
    for (std::uint64_t i = 0; i < 13; ++i) every[i] = i;
    EXPECT_TRUE(all_ranks(!run.enabled() && run.records() == 13 && run.remaining_records() == 13 &&
                          run.resumed_tasks() == 0 && merged.empty() && all_run(mine) == every));
  }
}

TEST(CheckpointedTasks, ResumesOnlyUnsavedRecords) {
  const std::string dir = shared_temp_dir() + "/ck";
  // 10 tasks, 3 to a record: records 0-3, the last of one task.
  {
    const CheckpointedTasks run(world(), dir, "job a", 10, 3);
    std::vector<std::uint64_t> mine;
    (void)run.run(mrkit::Schedule::dynamic, [&](std::uint64_t record, const mrkit::Yield&) {
      mine.push_back(record);
      if (record != 1) run.save(record, payload(record));  // record 1 "crashed"
    });
    EXPECT_TRUE(all_ranks(run.enabled() && run.records() == 4 && run.first_task(3) == 9 &&
                          run.end_task(3) == 10 &&
                          all_run(mine) == std::vector<std::uint64_t>{0, 1, 2, 3}));
  }
  world().barrier();
  const CheckpointedTasks run(world(), dir, "job a", 10, 3);
  std::vector<std::uint64_t> mine;
  (void)run.run(mrkit::Schedule::static_blocks,
                [&](std::uint64_t record, const mrkit::Yield&) { mine.push_back(record); });
  std::vector<std::string> merged;
  run.merge_finished([&](std::uint64_t r, std::string_view bytes) {
    merged.push_back(std::to_string(r) + ":" + std::string(bytes));
  });
  const bool mother = world().rank() == mrkit::mother_rank;
  const std::vector<std::string> expected =
      mother ? std::vector<std::string>{"0:record 0", "2:record 2", "3:record 3"}
             : std::vector<std::string>{};
  EXPECT_TRUE(all_ranks(run.remaining_records() == 1 && run.resumed_tasks() == 7 &&
                        all_run(mine) == std::vector<std::uint64_t>{1} && merged == expected));
}

TEST(CheckpointedTasks, RefusedPayloadIsInputErrorOnEveryRank) {
  const std::string dir = shared_temp_dir() + "/ck";
  {
    const CheckpointedTasks run(world(), dir, "job b", 4);
    (void)run.run(mrkit::Schedule::static_blocks, [&](std::uint64_t record, const mrkit::Yield&) {
      run.save(record, payload(record));
    });
  }
  world().barrier();
  const CheckpointedTasks run(world(), dir, "job b", 4);
  std::string message;
  try {
    run.merge_finished([](std::uint64_t r, std::string_view) {
      if (r == 2) throw std::runtime_error("bad payload");
    });
  } catch (const mrkit::InputError& e) {
    message = e.what();
  }
  EXPECT_TRUE(all_ranks(message.find("task-00000002.done") != std::string::npos &&
                        message.find("bad payload") != std::string::npos));
}
