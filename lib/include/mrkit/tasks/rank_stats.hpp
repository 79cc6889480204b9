// Per-rank seconds in compute, communication/wait and I/O, gathered on the mother and shown by a
// program's --stats as a table on standard error (or JSON), so that the serial part and the
// imbalance between ranks can be seen rather than guessed; with each rank's peak memory.
//
//   mrkit::RankTimer timer;                                   // on every rank, at the start
//   { auto t = timer.time(mrkit::TimeBucket::io); read(...); }  // a scope into a bucket
//   timer.add(mrkit::run_tasks(comm, schedule, n, work));     // scheduler: compute + wait
//   if (stats) mrkit::print_rank_stats(comm, timer, "montecarlo", *stats);  // collective
#pragma once

#include "mrkit/core/clock.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/tasks/scheduler.hpp"

#include <boost/mpi/communicator.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mrkit {

// compute: the rank's own work; wait: sending, receiving, collectives and waiting for other
// ranks or for tasks; io: reading and writing files. Time in none of them shows as "other".
enum class TimeBucket { compute, wait, io };

// One rank's seconds and counters, as gathered on the mother.
struct RankTimes {
  int rank = 0;
  std::string host;
  std::uint64_t tasks = 0;
  std::uint64_t bytes = 0;
  double compute_seconds = 0;
  double wait_seconds = 0;
  double io_seconds = 0;
  double elapsed_seconds = 0;           // since the timer started
  std::uint64_t data_bytes = 0;         // the program's main data (e.g. a word table), at most
  std::uint64_t peak_memory_bytes = 0;  // the process's peak resident memory (getrusage)
  [[nodiscard]] double busy_seconds() const noexcept { return compute_seconds + io_seconds; }
  // Elapsed time in no bucket (start-up, set-up, bookkeeping); never negative.
  [[nodiscard]] double other_seconds() const noexcept;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& rank& host& tasks& bytes& compute_seconds& wait_seconds& io_seconds& elapsed_seconds&
        data_bytes& peak_memory_bytes;
  }
};

// Stopwatches for one rank: one per bucket and one for the whole run. Not thread-safe.
class RankTimer {
 public:
  using Clock = mrkit::Clock;

  // Adds the time until its destruction to one bucket.
  class Scope {
   public:
    Scope(RankTimer& timer, TimeBucket bucket) : timer_(&timer), bucket_(bucket) {}
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope() { timer_->add(bucket_, seconds_since(start_)); }

   private:
    RankTimer* timer_;
    TimeBucket bucket_;
    Clock::time_point start_ = Clock::now();
  };

  RankTimer() = default;  // starts the elapsed clock

  // Times the enclosing scope: `{ auto t = timer.time(TimeBucket::io); ... }`.
  [[nodiscard]] Scope time(TimeBucket bucket) { return Scope(*this, bucket); }

  // Runs `fn` and adds its time to `bucket`; returns what `fn` returns.
  template <class Fn>
  decltype(auto) measure(TimeBucket bucket, Fn&& fn) {
    const Scope scope(*this, bucket);
    return std::forward<Fn>(fn)();
  }

  void add(TimeBucket bucket, double seconds) noexcept;
  // The scheduler's time inside tasks goes to compute, its waiting to wait; its tasks count.
  // Task functions that time their own I/O should subtract it: see add_io_inside_tasks.
  void add(const ScheduleStats& schedule) noexcept;
  // I/O timed inside task functions already counted as compute: moves it from compute to io.
  void add_io_inside_tasks(double seconds) noexcept;
  void add_tasks(std::uint64_t n) noexcept { tasks_ += n; }
  void add_bytes(std::uint64_t n) noexcept { bytes_ += n; }
  // The size of the program's main data structure; the largest value noted is reported.
  void note_data_bytes(std::uint64_t n) noexcept {
    data_bytes_ = n > data_bytes_ ? n : data_bytes_;
  }

  [[nodiscard]] double seconds(TimeBucket bucket) const noexcept;
  // This rank's times so far.
  [[nodiscard]] RankTimes snapshot(int rank) const;

 private:
  Clock::time_point start_ = Clock::now();
  double compute_ = 0;
  double wait_ = 0;
  double io_ = 0;
  std::uint64_t tasks_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t data_bytes_ = 0;
};

// This process's peak resident memory so far, in bytes (0 if the system does not say).
[[nodiscard]] std::uint64_t peak_memory_bytes() noexcept;

// Collective: every rank's times on `root` in rank order; other ranks get an empty vector.
[[nodiscard]] std::vector<RankTimes> gather_rank_times(const boost::mpi::communicator& comm,
                                                       const RankTimer& timer,
                                                       int root = mother_rank);

// What the per-rank table adds up to.
struct RankTimesSummary {
  int ranks = 0;
  double elapsed_seconds = 0;  // the longest rank
  int busiest_rank = 0;        // most compute + I/O
  double busiest_seconds = 0;
  double mean_busy_seconds = 0;
  double imbalance = 1;  // busiest / mean busy time: 1.00 is perfect balance
  // Shares of all ranks' elapsed time (sum to 1).
  double compute_share = 0;
  double wait_share = 0;
  double io_share = 0;
  double other_share = 0;
};

[[nodiscard]] RankTimesSummary summarize(std::span<const RankTimes> times);

enum class StatsFormat { table, json };

// A table, one line per rank, then a summary line; ends with a newline.
[[nodiscard]] std::string format_rank_times(std::span<const RankTimes> times,
                                            std::string_view program);
// One JSON object: {"program", "ranks", "per_rank": [...], "summary": {...}}, then a newline.
[[nodiscard]] std::string rank_times_json(std::span<const RankTimes> times,
                                          std::string_view program);

// Collective: gathers every rank's times; the mother prints them on standard error.
void print_rank_stats(const boost::mpi::communicator& comm, const RankTimer& timer,
                      std::string_view program, StatsFormat format = StatsFormat::table);

}  // namespace mrkit
