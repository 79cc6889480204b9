#include "mrkit/random/estimator.hpp"

#include "mrkit/random/detail/outcome_record.hpp"

#include "mrkit/core/detail/mpi_check.hpp"

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/core/clock.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/tasks/checkpointed_tasks.hpp"
#include "mrkit/version.hpp"

#include <fmt/format.h>

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace mrkit {
namespace {

// Under a time limit, the most samples a kernel call draws between two looks at the clock (the
// default task size never exceeds it): tens of milliseconds.
constexpr std::uint64_t max_slice = std::uint64_t{1} << 24;

// Thrown to drop a task whose next slice would start past the time limit.
struct Abandoned {};

// At least 2^14 samples per task (scheduling costs nothing next to them), 4096 tasks when that
// gives at most 2^24 samples per task (tens of milliseconds: progress and --time-limit act
// between tasks), more tasks beyond. Depends on the sample count alone.
std::uint64_t default_samples_per_task(std::uint64_t samples) {
  constexpr std::uint64_t min_per_task = std::uint64_t{1} << 14;
  constexpr std::uint64_t max_per_task = std::uint64_t{1} << 24;
  constexpr std::uint64_t tasks = 4096;
  const std::uint64_t even = samples / tasks + (samples % tasks != 0 ? 1 : 0);
  return std::clamp(even, min_per_task, max_per_task);
}

// Samples of task t when `samples` are split into `tasks` near-equal tasks.
std::uint64_t task_samples(std::uint64_t samples, std::uint64_t tasks, std::uint64_t t) {
  return samples / tasks + (t < samples % tasks ? 1 : 0);
}

struct TaskMoments {
  std::uint64_t task = 0;
  Moments moments;
};

// Merges in a fixed binary tree over the tasks in task order: the same operations, so the same
// bits, whichever ranks computed the tasks.
Moments merge_in_task_order(std::vector<TaskMoments> done) {
  std::sort(done.begin(), done.end(),
            [](const TaskMoments& a, const TaskMoments& b) { return a.task < b.task; });
  std::vector<Moments> level;
  level.reserve(done.size());
  for (const auto& d : done) level.push_back(d.moments);
  if (level.empty()) return {};
  while (level.size() > 1) {
    std::vector<Moments> next;
    next.reserve((level.size() + 1) / 2);
    for (std::size_t i = 0; i < level.size(); i += 2) {
      Moments m = level[i];
      if (i + 1 < level.size()) m.merge(level[i + 1]);
      next.push_back(m);
    }
    level.swap(next);
  }
  return level.front();
}

// What makes two estimator runs the same job: everything that changes a task's result or the
// numbering of the tasks and records. Not the rank count, schedule or progress.
std::string job_fingerprint(const EstimatorOptions& o, detail::Tally tally, std::uint64_t per_task,
                            std::uint64_t tasks, std::uint64_t tasks_per_record) {
  return fmt::format(
      "job estimator {}\nkernel {}\ntally {}\nsamples {}\nseed {}\nstream {}\n"
      "samples_per_task {}\ntasks {}\ntasks_per_record {}",
      version, o.checkpoint_job, tally == detail::Tally::counts ? "counts" : "moments", o.samples,
      o.seed, o.stream, per_task, tasks, tasks_per_record);
}

using detail::check;

}  // namespace

Moments Moments::from(std::uint64_t count, double mean, double m2) noexcept {
  Moments m;
  m.count_ = count;
  m.mean_ = count == 0 ? 0.0 : mean;
  m.m2_ = count == 0 ? 0.0 : m2;
  return m;
}

Moments Moments::of_bernoulli(std::uint64_t count, std::uint64_t ones) noexcept {
  if (count == 0) return {};
  const auto n = static_cast<double>(count);
  const auto k = static_cast<double>(ones);
  const auto rest = static_cast<double>(count - ones);
  return from(count, k / n, k * rest / n);
}

void Moments::add(double x) noexcept {
  ++count_;
  const double delta = x - mean_;
  mean_ += delta / static_cast<double>(count_);
  m2_ += delta * (x - mean_);
}

void Moments::add(std::span<const double> xs) noexcept {
  if (xs.empty()) return;
  // Eight partial sums in a fixed order: the vectoriser may use them as lanes, and the result
  // does not depend on how it does.
  constexpr std::size_t lanes = 8;
  const std::size_t full = xs.size() - xs.size() % lanes;
  double s[lanes] = {};
  for (std::size_t i = 0; i < full; i += lanes) {
    for (std::size_t l = 0; l < lanes; ++l) s[l] += xs[i + l];
  }
  for (std::size_t i = full; i < xs.size(); ++i) s[i - full] += xs[i];
  const auto n = static_cast<double>(xs.size());
  const double mean = (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))) / n;
  double q[lanes] = {};
  for (std::size_t i = 0; i < full; i += lanes) {
    for (std::size_t l = 0; l < lanes; ++l) {
      const double d = xs[i + l] - mean;
      q[l] += d * d;
    }
  }
  for (std::size_t i = full; i < xs.size(); ++i) {
    const double d = xs[i] - mean;
    q[i - full] += d * d;
  }
  const double m2 = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));
  merge(from(xs.size(), mean, m2));
}

void Moments::merge(const Moments& other) noexcept {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    *this = other;
    return;
  }
  const auto na = static_cast<double>(count_);
  const auto nb = static_cast<double>(other.count_);
  const double n = na + nb;
  const double delta = other.mean_ - mean_;
  mean_ += delta * (nb / n);
  m2_ += other.m2_ + delta * delta * (na * nb / n);
  count_ += other.count_;
}

double Moments::variance() const noexcept {
  if (count_ < 2) return std::numeric_limits<double>::quiet_NaN();
  return m2_ / static_cast<double>(count_ - 1);
}

double Moments::standard_error() const noexcept {
  return std::sqrt(variance() / static_cast<double>(count_));
}

Estimate Estimate::scaled(double factor) const noexcept {
  Estimate e = *this;
  e.value = factor * value;
  e.standard_error = std::fabs(factor) * standard_error;
  e.ci_low = std::min(factor * ci_low, factor * ci_high);
  e.ci_high = std::max(factor * ci_low, factor * ci_high);
  return e;
}

namespace detail {

std::string encode_outcome(Tally tally, std::uint64_t n, const TaskOutcome& outcome) {
  std::string out;
  ByteWriter writer(out);
  if (tally == Tally::counts) {
    writer.u64(n);
    writer.u64(outcome.successes);
  } else {
    writer.u64(outcome.moments.count());
    writer.f64(outcome.moments.mean());
    writer.f64(outcome.moments.m2());
  }
  return out;
}

TaskOutcome decode_outcome(Tally tally, std::uint64_t n, std::uint64_t task,
                           std::string_view record) {
  const auto corrupt = [task] {
    return std::runtime_error(fmt::format("corrupt checkpoint record for task {}", task));
  };
  ByteReader in(record, "estimator: truncated message");
  TaskOutcome outcome;
  if (tally == Tally::counts) {
    if (record.size() != 16 || in.u64() != n) throw corrupt();
    outcome.successes = in.u64();
    if (outcome.successes > n) throw corrupt();
  } else {
    if (record.size() != 24) throw corrupt();
    const auto count = in.u64();
    const auto mean = in.f64();
    const auto m2 = in.f64();
    if (count != n) throw corrupt();
    outcome.moments = Moments::from(count, mean, m2);
  }
  return outcome;
}

Estimate run_estimator(const boost::mpi::communicator& comm, const EstimatorOptions& options,
                       Tally tally, const TaskKernel& kernel) {
  if (options.samples == 0) throw std::invalid_argument("an estimate needs at least one sample");
  const bool checkpointing = !options.checkpoint_dir.empty();
  if (checkpointing && options.time_limit > 0) {
    throw std::invalid_argument("a checkpoint cannot be combined with a time limit");
  }
  const auto start = Clock::now();
  const std::uint64_t per_task = options.samples_per_task != 0
                                     ? options.samples_per_task
                                     : default_samples_per_task(options.samples);
  const std::uint64_t tasks = options.samples / per_task + (options.samples % per_task != 0);
  const bool mother = comm.rank() == mother_rank;
  // With a checkpoint, runs of consecutive tasks are run and recorded together (one file, one
  // fsync each): enough for 2^20 samples (milliseconds of work, well above the cost of a durable
  // write), at most 4096 records. Without, every task on its own. Depends on the samples alone,
  // never on the rank count, so a checkpoint resumes at any rank count.
  const std::uint64_t group =
      checkpointing ? tasks_per_record(per_task, std::uint64_t{1} << 20, tasks) : 1;
  const CheckpointedTasks checkpointed(comm, options.checkpoint_dir,
                                       job_fingerprint(options, tally, per_task, tasks, group),
                                       tasks, group);

  std::uint64_t successes = 0;
  std::uint64_t samples_done = 0;
  std::uint64_t tasks_done = 0;
  bool stopped = false;
  std::vector<TaskMoments> done;

  // Adds task t's outcome to this rank's tally.
  const auto tally_task = [&](std::uint64_t t, std::uint64_t n, const TaskOutcome& outcome) {
    if (tally == Tally::counts) {
      successes += outcome.successes;
    } else {
      done.push_back({t, outcome.moments});
    }
    samples_done += n;
    ++tasks_done;
  };
  // The time limit: past it no task starts (the scheduler asks before each task but task 0,
  // whatever the number of tasks left) and a long task is dropped at its next slice.
  const auto deadline_passed = [&] {
    if (options.time_limit > 0 && seconds_since(start) >= options.time_limit) stopped = true;
    return stopped;
  };
  const StopWhen stop = options.time_limit > 0 ? StopWhen(deadline_passed) : StopWhen();
  // With a time limit, a task of more than max_slice samples calls the kernel on slices of at
  // most max_slice samples in turn (one stream) and is dropped (throws Abandoned) at the first
  // slice that would start past the deadline: no task holds the run long past its limit, and
  // only whole tasks are counted. Task 0 always runs whole. The default task size never needs
  // slices, so its results are the same bits with or without a limit.
  const auto run_kernel = [&](RandomStream& stream, std::uint64_t n, std::uint64_t t) {
    if (options.time_limit <= 0 || n <= max_slice) return kernel(stream, n);
    TaskOutcome whole;
    for (std::uint64_t at = 0; at < n;) {
      if (t != 0 && deadline_passed()) throw Abandoned{};
      const std::uint64_t m = std::min(max_slice, n - at);
      const TaskOutcome part = kernel(stream, m);
      whole.successes += part.successes;
      whole.moments.merge(part.moments);
      at += m;
    }
    return whole;
  };
  const auto run_task = [&](std::uint64_t t) {
    const std::uint64_t n = task_samples(options.samples, tasks, t);
    RandomStream stream(options.seed, options.stream, t);
    const TaskOutcome outcome = run_kernel(stream, n, t);
    if (tally == Tally::counts && outcome.successes > n) {
      throw std::logic_error("the kernel counted " + std::to_string(outcome.successes) +
                             " successes in " + std::to_string(n) + " trials");
    }
    if (tally == Tally::moments && outcome.moments.count() != n) {
      throw std::logic_error("the kernel returned " + std::to_string(outcome.moments.count()) +
                             " samples for a task of " + std::to_string(n));
    }
    tally_task(t, n, outcome);
    return outcome;
  };
  const auto work = [&](std::uint64_t g, const Yield& yield) {
    if (!checkpointing) {  // a record is a task
      try {
        (void)run_task(g);
      } catch (const Abandoned&) {  // past the time limit: not counted
      }
      return;
    }
    std::string record;
    for (std::uint64_t t = checkpointed.first_task(g); t < checkpointed.end_task(g); ++t) {
      if (t != checkpointed.first_task(g)) yield();
      record += encode_outcome(tally, task_samples(options.samples, tasks, t), run_task(t));
    }
    checkpointed.save(g, record);
  };
  (void)checkpointed.run(options.schedule, work, options.progress, {}, stop);

  // The mother adds the tasks that earlier runs finished, as if she had run them (a record she
  // cannot use is named, exit 3).
  checkpointed.merge_finished([&](std::uint64_t g, std::string_view in) {
    const std::uint64_t first = checkpointed.first_task(g);
    const std::uint64_t last = checkpointed.end_task(g);
    const std::size_t size = tally == Tally::counts ? 16 : 24;
    if (in.size() != (last - first) * size) {
      throw std::runtime_error(fmt::format("corrupt checkpoint record {}", g));
    }
    for (std::uint64_t t = first; t < last; ++t) {
      const std::uint64_t n = task_samples(options.samples, tasks, t);
      tally_task(t, n, decode_outcome(tally, n, t, in.substr(0, size)));
      in.remove_prefix(size);
    }
  });

  Estimate e;
  e.ranks = comm.size();
  e.resumed_tasks = checkpointed.resumed_tasks();
  if (mother) e.warnings = checkpointed.warnings();
  if (tally == Tally::counts) {
    std::uint64_t sums[4] = {successes, samples_done, tasks_done, stopped ? 1U : 0U};
    check(MPI_Allreduce(MPI_IN_PLACE, sums, 4, MPI_UINT64_T, MPI_SUM, comm), "MPI_Allreduce");
    e.moments = Moments::of_bernoulli(sums[1], sums[0]);
    e.tasks = sums[2];
    e.stopped_early = sums[3] != 0;
  } else {
    std::string mine;
    ByteWriter to_mother(mine);
    to_mother.u64(stopped ? 1 : 0);
    for (const auto& d : done) {
      to_mother.u64(d.task);
      to_mother.u64(d.moments.count());
      to_mother.f64(d.moments.mean());
      to_mother.f64(d.moments.m2());
    }
    const std::vector<std::string> all = gather_bytes(comm, mine, mother_rank);
    std::string merged;
    if (mother) {
      std::vector<TaskMoments> every;  // the tasks done (under a time limit, not all `tasks`)
      std::size_t records = 0;
      for (const std::string& bytes : all) records += bytes.size() / 32;
      every.reserve(records);
      std::uint64_t stopped_ranks = 0;
      for (const std::string& bytes : all) {
        ByteReader in(bytes, "estimator: truncated message");
        stopped_ranks += in.u64();
        while (!in.done()) {
          TaskMoments tm;
          tm.task = in.u64();
          const auto count = in.u64();
          const auto mean = in.f64();
          const auto m2 = in.f64();
          tm.moments = Moments::from(count, mean, m2);
          every.push_back(tm);
        }
      }
      const std::uint64_t tasks_merged = every.size();
      const Moments total = merge_in_task_order(std::move(every));
      ByteWriter out(merged);
      out.u64(total.count());
      out.f64(total.mean());
      out.f64(total.m2());
      out.u64(tasks_merged);
      out.u64(stopped_ranks);
    }
    broadcast_bytes(comm, merged, mother_rank);
    ByteReader in(merged, "estimator: truncated message");
    const auto count = in.u64();
    const auto mean = in.f64();
    const auto m2 = in.f64();
    e.moments = Moments::from(count, mean, m2);
    e.tasks = in.u64();
    e.stopped_early = in.u64() != 0;
  }
  e.samples = e.moments.count();
  e.value = e.moments.mean();
  e.standard_error = e.moments.standard_error();
  e.ci_low = e.value - z_95 * e.standard_error;
  e.ci_high = e.value + z_95 * e.standard_error;
  e.seconds = seconds_since(start);
  return e;
}

}  // namespace detail
}  // namespace mrkit
