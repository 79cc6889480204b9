#include "seed_sweep.hpp"
#include "seed_sweep_record.hpp"

#include <mrkit/comm/byte_codec.hpp>
#include <mrkit/comm/reduce.hpp>
#include <mrkit/core/clock.hpp>
#include <mrkit/core/detail/mpi_check.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/random/numpy_seeds.hpp>
#include <mrkit/tasks/checkpointed_tasks.hpp>
#include <mrkit/version.hpp>

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace mrkit {
namespace {

// What makes two sweeps the same job: the seeds, the values drawn and the task numbering.
std::string job_fingerprint(const SeedSweepOptions& o, std::uint64_t per_task,
                            std::uint64_t tasks) {
  return fmt::format(
      "job seed_sweep {}\nfirst_seed {}\nseeds {}\nlow {}\nhigh {}\nseeds_per_task {}\n"
      "tasks {}",
      version, o.first_seed, o.seeds, o.low, o.high, per_task, tasks);
}

// A finished task's tally as recorded in the checkpoint: (value offset, count) pairs for the
// values drawn, then added into `counts` (every pair checked: a bad record is refused).
void merge_task_record(std::string_view in, std::uint64_t task, std::uint64_t seeds,
                       std::vector<std::uint64_t>& counts) {
  const auto corrupt = [task] {
    return std::runtime_error(fmt::format("corrupt checkpoint record for task {}", task));
  };
  if (in.size() % 16 != 0) throw corrupt();
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs = decode_seed_record(in);
  std::uint64_t total = 0;
  for (const auto& [value, count] : pairs) {
    if (value >= counts.size() || count > seeds) throw corrupt();
    total += count;
  }
  if (total != seeds) throw corrupt();
  for (const auto& [value, count] : pairs) counts[static_cast<std::size_t>(value)] += count;
}

}  // namespace

void append_seed_count(std::string& record, std::uint64_t value, std::uint64_t count) {
  ByteWriter writer(record);
  writer.u64(value);
  writer.u64(count);
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> decode_seed_record(std::string_view record) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
  ByteReader in(record, "torn seed-sweep checkpoint record");
  while (!in.done()) {
    const std::uint64_t value = in.u64();
    const std::uint64_t count = in.u64();
    pairs.emplace_back(value, count);
  }
  return pairs;
}

SeedSweep sweep_numpy_seeds(const boost::mpi::communicator& comm, const SeedSweepOptions& options) {
  const NumpyRandint randint(options.low, options.high);
  if (randint.values() > (std::uint64_t{1} << 20)) {
    throw std::invalid_argument("seed sweep: at most 2^20 distinct values can be tallied");
  }
  if (options.seeds > (std::uint64_t{1} << 32) - options.first_seed) {
    throw std::out_of_range("seed sweep: seeds from " + std::to_string(options.first_seed) + ", " +
                            std::to_string(options.seeds) + " of them, pass 2^32 - 1");
  }
  const auto start = Clock::now();
  const bool checkpointing = !options.checkpoint_dir.empty();
  std::uint64_t per_task = options.seeds_per_task;
  if (per_task == 0) {
    // ~1 ms of work per task. A checkpoint writes a file per task: at most 4096 of them.
    per_task = std::uint64_t{1} << 16;
    if (checkpointing) per_task = std::max(per_task, (options.seeds + 4095) / 4096);
  }
  const std::uint64_t tasks = options.seeds / per_task + (options.seeds % per_task != 0);
  // Task numbers depend on the seeds alone, so a checkpoint resumes at any rank count.
  const CheckpointedTasks checkpointed(comm, options.checkpoint_dir,
                                       job_fingerprint(options, per_task, tasks), tasks);

  SeedSweep result;
  result.counts.assign(randint.values(), 0);
  std::vector<std::uint32_t> offsets(static_cast<std::size_t>(std::min(per_task, options.seeds)));
  std::vector<std::uint64_t> task_counts;  // with a checkpoint: one task's tally
  if (checkpointing) task_counts.assign(randint.values(), 0);
  const auto work = [&](std::uint64_t t, const Yield&) {
    const std::uint64_t begin = t * per_task;
    const std::uint64_t n = std::min(per_task, options.seeds - begin);
    const auto out = std::span<std::uint32_t>(offsets.data(), static_cast<std::size_t>(n));
    randint.offsets(static_cast<std::uint32_t>(options.first_seed + begin), out);
    if (!checkpointing) {
      for (const std::uint32_t v : out) ++result.counts[v];
      return;
    }
    for (const std::uint32_t v : out) ++task_counts[v];
    std::string record;
    for (const std::uint32_t v : out) {
      if (task_counts[v] == 0) continue;  // already recorded
      append_seed_count(record, v, task_counts[v]);
      result.counts[v] += task_counts[v];
      task_counts[v] = 0;
    }
    checkpointed.save(t, record);
  };
  (void)checkpointed.run(options.schedule, work, options.progress);
  // The mother adds the tasks that earlier runs finished (a record she cannot use is named,
  // exit 3).
  checkpointed.merge_finished([&](std::uint64_t t, std::string_view in) {
    merge_task_record(in, t, std::min(per_task, options.seeds - t * per_task), result.counts);
  });
  sum_to_root(comm, result.counts, mother_rank);
  const int count = static_cast<int>(result.counts.size());
  detail::check(MPI_Bcast(result.counts.data(), count, MPI_UINT64_T, mother_rank, comm),
                "MPI_Bcast");
  result.seeds = options.seeds;
  result.tasks = tasks;
  result.resumed_tasks = checkpointed.resumed_tasks();
  if (comm.rank() == mother_rank) result.warnings = checkpointed.warnings();
  result.ranks = comm.size();
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace mrkit
