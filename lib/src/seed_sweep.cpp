#include "mrkit/seed_sweep.hpp"

#include "mrkit/numpy_seeds.hpp"
#include "mrkit/reduce.hpp"
#include "mrkit/runtime.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

namespace mrkit {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

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
  const std::uint64_t per_task =
      options.seeds_per_task != 0 ? options.seeds_per_task : std::uint64_t{1} << 16;
  const std::uint64_t tasks = options.seeds / per_task + (options.seeds % per_task != 0);

  SeedSweep result;
  result.counts.assign(randint.values(), 0);
  std::vector<std::uint32_t> offsets(static_cast<std::size_t>(std::min(per_task, options.seeds)));
  const auto work = [&](std::uint64_t t, const Yield&) {
    const std::uint64_t begin = t * per_task;
    const std::uint64_t n = std::min(per_task, options.seeds - begin);
    const auto out = std::span<std::uint32_t>(offsets.data(), static_cast<std::size_t>(n));
    randint.offsets(static_cast<std::uint32_t>(options.first_seed + begin), out);
    for (const std::uint32_t v : out) ++result.counts[v];
  };
  (void)run_tasks(comm, options.schedule, tasks, work, options.progress);
  sum_to_root(comm, result.counts, mother_rank);
  const int count = static_cast<int>(result.counts.size());
  if (MPI_Bcast(result.counts.data(), count, MPI_UINT64_T, mother_rank, comm) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Bcast failed in the seed sweep");
  }
  result.seeds = options.seeds;
  result.tasks = tasks;
  result.ranks = comm.size();
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace mrkit
