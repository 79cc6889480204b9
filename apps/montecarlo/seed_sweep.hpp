// The course's per-seed example over all ranks: for every seed s of a run of seeds,
// `np.random.seed(s); np.random.randint(low, high)`, tallied by value. Seeds are tasks keyed by
// their index, and the tally is an integer sum, so it is the same at every rank count.
#pragma once

#include <mrkit/tasks/scheduler.hpp>

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mrkit {

struct SeedSweepOptions {
  std::uint32_t first_seed = 0;
  std::uint64_t seeds = 0;  // first_seed + seeds must not pass 2^32
  std::int64_t low = 0;     // randint(low, high): high excluded, high - low <= 2^20 values
  std::int64_t high = 10;
  // 0: 2^16, or with a checkpoint enough for at most 4096 tasks (one small file each). The
  // tally is an integer sum: the task size never changes it.
  std::uint64_t seeds_per_task = 0;
  Schedule schedule = Schedule::static_blocks;
  // A directory (shared by all ranks) where each finished task's tally is recorded (see
  // checkpoint.hpp); running the same sweep again resumes from it and runs only the unfinished
  // tasks, at any rank count. Empty: no checkpoint.
  std::string checkpoint_dir;
  // Called on the mother as tasks start, with tasks under way or done and all tasks (see
  // scheduler.hpp); e.g. feed a ProgressMeter.
  Progress progress;
};

struct SeedSweep {
  std::vector<std::uint64_t> counts;  // counts[v - low]: how many seeds drew v
  std::uint64_t seeds = 0;
  std::uint64_t tasks = 0;
  std::uint64_t resumed_tasks = 0;  // tasks taken from the checkpoint of an earlier run
  // The mother's only: checkpoint files not used (damaged, foreign, misnamed), one line each.
  std::vector<std::string> warnings;
  double seconds = 0;  // wall time on this rank, from the start to the summed counts
  int ranks = 0;
};

// Collective; every rank returns the whole tally. Throws std::invalid_argument for a bad range
// of values, std::out_of_range when the seeds pass 2^32 - 1 and InputError for a checkpoint of
// another sweep.
[[nodiscard]] SeedSweep sweep_numpy_seeds(const boost::mpi::communicator& comm,
                                          const SeedSweepOptions& options);

}  // namespace mrkit
