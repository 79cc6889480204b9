// Monte Carlo estimators over all ranks. The user's kernel turns one task's random stream into
// samples (one at a time, a batch, or a count of successes); the library hands the tasks out to
// the ranks, merges the results in task order and returns the estimate with its standard error
// and 95% confidence interval. Tasks, never ranks, own the random numbers, so the result is the
// same bits at 1, 2, 3 or 64 ranks.
#pragma once

#include "mrkit/random/random_streams.hpp"
#include "mrkit/tasks/scheduler.hpp"

#include <boost/mpi/communicator.hpp>

#include <concepts>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace mrkit {

// Count, mean and sum of squared deviations from the mean (M2) of a set of samples: Welford's
// update for one sample, the pairwise formula of Chan, Golub and LeVeque to merge two sets.
class Moments {
 public:
  Moments() = default;
  // n samples with this mean and M2 (e.g. decoded from a message).
  static Moments from(std::uint64_t count, double mean, double m2) noexcept;
  // n samples that are 0 or 1, `ones` of them 1: exact from the two integers.
  static Moments of_bernoulli(std::uint64_t count, std::uint64_t ones) noexcept;

  void add(double x) noexcept;
  // A batch: its mean and M2 in two passes over it, then merged (faster and as accurate).
  void add(std::span<const double> xs) noexcept;
  void merge(const Moments& other) noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] double mean() const noexcept { return mean_; }
  [[nodiscard]] double m2() const noexcept { return m2_; }
  // The unbiased sample variance, M2 / (n - 1); NaN below two samples.
  [[nodiscard]] double variance() const noexcept;
  // Of the mean: sqrt(variance / n); NaN below two samples.
  [[nodiscard]] double standard_error() const noexcept;

  friend bool operator==(const Moments&, const Moments&) = default;

 private:
  std::uint64_t count_ = 0;
  double mean_ = 0;
  double m2_ = 0;
};

struct EstimatorOptions {
  std::uint64_t samples = 0;  // in all, over all tasks; must be positive
  std::uint32_t seed = 0;     // the user's seed: the first half of every task's Philox key
  std::uint32_t stream = 0;   // the second half: tells apart estimators that share a seed
  // Samples per task; 0 picks a size from `samples` alone (never from the rank count): 2^14 to
  // 2^24 samples, 4096 tasks where that fits. Task t draws from RandomStream(seed, stream, t).
  std::uint64_t samples_per_task = 0;
  Schedule schedule = Schedule::static_blocks;
  // > 0: no task starts after this many seconds (on the rank's clock, from the call), however
  // many are left, and a task of more than 2^24 samples is dropped at its next slice of 2^24
  // (default-sized tasks never need slices: the same bits as without a limit). The estimate
  // then uses the whole tasks done (task 0 always runs), with their samples and error bars:
  // exact for that set of tasks, whichever ranks ran them. Not with a checkpoint.
  double time_limit = 0;
  // A directory (shared by all ranks) where each finished task's tally is recorded (see
  // checkpoint.hpp); running the same job again resumes from it, runs only the unfinished tasks
  // and returns the same bits as an uninterrupted run, at any rank count. Empty: no checkpoint.
  // Consecutive short tasks share a record (one file): 2^20 samples or more, 4096 records at most.
  std::string checkpoint_dir;
  // Names the kernel in the checkpoint's fingerprint, which otherwise holds the options above
  // that change the result (samples, seed, stream, task size) and the mrkit version: the
  // library cannot tell kernels apart, so give each kernel its own name.
  std::string checkpoint_job;
  // Called on the mother as tasks start, with tasks under way or done and all tasks (see
  // scheduler.hpp); e.g. feed a ProgressMeter.
  Progress progress;
};

// z such that 95% of a standard normal lies in [-z, z].
inline constexpr double z_95 = 1.959963984540054;

struct Estimate {
  double value = 0;           // the sample mean
  double standard_error = 0;  // of the mean (NaN below two samples)
  double ci_low = 0;          // 95% confidence interval: value -/+ z_95 * standard_error
  double ci_high = 0;
  std::uint64_t samples = 0;        // samples used: fewer than asked if the time limit struck
  std::uint64_t tasks = 0;          // tasks done
  std::uint64_t resumed_tasks = 0;  // of them, taken from the checkpoint of an earlier run
  // The mother's only: checkpoint files not used (damaged, foreign, misnamed), one line each.
  std::vector<std::string> warnings;
  bool stopped_early = false;  // the time limit struck
  double seconds = 0;          // wall time on this rank, from the start to the merged result
  int ranks = 0;
  Moments moments;

  // The estimate of factor * mean (e.g. 4 * the fraction of points in the quarter disc).
  [[nodiscard]] Estimate scaled(double factor) const noexcept;
};

namespace detail {

struct TaskOutcome {
  std::uint64_t successes = 0;  // counting kernels
  Moments moments;              // real-valued kernels
};
enum class Tally { counts, moments };
using TaskKernel = std::function<TaskOutcome(RandomStream& stream, std::uint64_t samples)>;

// Runs every task once over the ranks of `comm` (collective); all ranks return the estimate.
// Throws std::invalid_argument for no samples or a checkpoint with a time limit, InputError for
// a checkpoint of another job.
[[nodiscard]] Estimate run_estimator(const boost::mpi::communicator& comm,
                                     const EstimatorOptions& options, Tally tally,
                                     const TaskKernel& kernel);

}  // namespace detail

// What a kernel may be: laid out by hand (clang-format 14 takes the `<` after `&&` for less-than).
// clang-format off
// One sample per call: double kernel(RandomStream&).
template <class K>
concept SampleKernel =
    std::invocable<K&, RandomStream&> &&
    std::convertible_to<std::invoke_result_t<K&, RandomStream&>, double>;
// A batch of n samples per call: Moments kernel(RandomStream&, std::uint64_t n).
template <class K>
concept BatchKernel =
    std::invocable<K&, RandomStream&, std::uint64_t> &&
    std::same_as<std::invoke_result_t<K&, RandomStream&, std::uint64_t>, Moments>;
// How many of n trials succeeded: std::uint64_t kernel(RandomStream&, std::uint64_t n).
template <class K>
concept CountKernel =
    std::invocable<K&, RandomStream&, std::uint64_t> &&
    std::same_as<std::invoke_result_t<K&, RandomStream&, std::uint64_t>, std::uint64_t>;
// clang-format on

// The probability of an event. Counts are summed as integers, so the merge is exact in any order.
template <CountKernel K>
[[nodiscard]] Estimate estimate_proportion(const boost::mpi::communicator& comm,
                                           const EstimatorOptions& options, K&& kernel) {
  return detail::run_estimator(comm, options, detail::Tally::counts,
                               [&kernel](RandomStream& stream, std::uint64_t n) {
                                 detail::TaskOutcome outcome;
                                 outcome.successes = kernel(stream, n);
                                 return outcome;
                               });
}

// The mean of a real-valued sample, from a kernel that returns one sample per call. Samples are
// summed in batches within a task, tasks merged in task order: the same bits at any rank count.
template <SampleKernel K>
[[nodiscard]] Estimate estimate_mean(const boost::mpi::communicator& comm,
                                     const EstimatorOptions& options, K&& kernel) {
  return detail::run_estimator(comm, options, detail::Tally::moments,
                               [&kernel](RandomStream& stream, std::uint64_t n) {
                                 constexpr std::uint64_t batch = 256;
                                 double xs[batch];
                                 detail::TaskOutcome outcome;
                                 for (std::uint64_t done = 0; done < n; done += batch) {
                                   const std::uint64_t m = n - done < batch ? n - done : batch;
                                   for (std::uint64_t i = 0; i < m; ++i)
                                     xs[i] = static_cast<double>(kernel(stream));
                                   outcome.moments.add(std::span<const double>(xs, m));
                                 }
                                 return outcome;
                               });
}

// The mean of a real-valued sample, from a kernel that returns the Moments of n samples.
template <BatchKernel K>
[[nodiscard]] Estimate estimate_mean(const boost::mpi::communicator& comm,
                                     const EstimatorOptions& options, K&& kernel) {
  return detail::run_estimator(comm, options, detail::Tally::moments,
                               [&kernel](RandomStream& stream, std::uint64_t n) {
                                 detail::TaskOutcome outcome;
                                 outcome.moments = kernel(stream, n);
                                 return outcome;
                               });
}

}  // namespace mrkit
