#include "mrkit/tasks/scheduler.hpp"

#include "mrkit/core/detail/mpi_check.hpp"

#include "mrkit/core/clock.hpp"
#include "mrkit/core/partition.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/core/tags.hpp"

#include <fmt/format.h>
#include <mpi.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace mrkit {
namespace {

constexpr std::uint64_t no_more_tasks = std::numeric_limits<std::uint64_t>::max();

using detail::check;

// Whether `stop` has ended the schedule before task `next`: asked before every task but task 0,
// and once it has said true, true for good (`halted` remembers).
bool halted(const StopWhen& stop, std::uint64_t next, bool& halted) {
  if (!halted && next != 0 && stop) halted = stop();
  return halted;
}

// Calls `answer(source)` for every message on `tag` already waiting; never blocks.
template <class Answer>
void answer_waiting(MPI_Comm comm, int tag, Answer&& answer) {
  for (;;) {
    int flag = 0;
    MPI_Status status;
    check(MPI_Iprobe(MPI_ANY_SOURCE, tag, comm, &flag, &status), "MPI_Iprobe");
    if (flag == 0) return;
    answer(status.MPI_SOURCE);
  }
}

// The mother's side of the queue.
class Mother {
 public:
  Mother(MPI_Comm comm, std::uint64_t tasks, const Progress& progress, const StopWhen& stop)
      : comm_(comm), tasks_(tasks), progress_(progress), stop_(stop) {
    check(MPI_Comm_size(comm_, &workers_), "MPI_Comm_size");
    --workers_;
  }

  // Answers every request already waiting; never blocks.
  void serve_waiting() {
    answer_waiting(comm_, tags::scheduler_request, [this](int worker) { answer(worker); });
  }

  // Takes the next task for the mother herself, or no_more_tasks.
  std::uint64_t take() {
    if (next_ >= tasks_ || halted(stop_, next_, halted_)) return no_more_tasks;
    if (progress_) progress_(next_ + 1, tasks_);
    return next_++;
  }

  // After the last task: tells every worker to stop as it asks.
  void finish() {
    while (stopped_ < workers_) {
      MPI_Status status;
      check(MPI_Probe(MPI_ANY_SOURCE, tags::scheduler_request, comm_, &status), "MPI_Probe");
      answer(status.MPI_SOURCE);
    }
  }

 private:
  void answer(int worker) {
    char dummy = 0;
    check(MPI_Recv(&dummy, 1, MPI_CHAR, worker, tags::scheduler_request, comm_, MPI_STATUS_IGNORE),
          "MPI_Recv");
    const std::uint64_t task = take();
    if (task == no_more_tasks) ++stopped_;
    check(MPI_Send(&task, 1, MPI_UINT64_T, worker, tags::scheduler_task, comm_), "MPI_Send");
  }

  MPI_Comm comm_;
  std::uint64_t tasks_;
  const Progress& progress_;
  const StopWhen& stop_;
  bool halted_ = false;
  std::uint64_t next_ = 0;
  int workers_ = 0;
  int stopped_ = 0;
};

// --- With a task time limit ------------------------------------------------------------------
// Workers send {kind, task, nanoseconds} on tags::scheduler_timed_request: ask_first (no task yet),
// ask_done (finished `task` in that time: may I commit it? and what next?) or ask_abandoned
// (gave `task` up on a cancellation).
// The mother sends {kind, task, commit} on tags::scheduler_timed_reply: reply_run or reply_stop,
// `commit` answering the worker's ask_done; or, while the worker runs a copy another rank has
// finished, reply_cancel. One tag each way keeps every pair of ranks' messages in order, so a
// worker receives every cancellation before its next reply, and the last message to each worker is
// its reply_stop: nothing is left unreceived.
constexpr std::uint64_t ask_first = 0;
constexpr std::uint64_t ask_done = 1;
constexpr std::uint64_t ask_abandoned = 2;
constexpr std::uint64_t reply_run = 0;
constexpr std::uint64_t reply_stop = 1;
constexpr std::uint64_t reply_cancel = 2;
using Ask = std::array<std::uint64_t, 3>;
using Reply = std::array<std::uint64_t, 3>;
// At most this many copies of one task run at once (the first and one re-issue).
constexpr int max_copies = 2;

// Thrown by `yield` to abandon a copy whose task another rank has finished. Not a
// std::exception, so that task code catching those lets it pass.
struct Cancelled {};

void print_straggler(const StragglerReport& report) {
  fmt::print(stderr, "mrkit: warning: {}\n", describe(report));
  std::fflush(stderr);
}

// The mother's side of the queue with a time limit. She tracks every copy under way (at most
// one per rank) and every task handed out and not yet committed.
class TimedMother {
 public:
  TimedMother(MPI_Comm comm, std::uint64_t tasks, const Progress& progress,
              const DynamicOptions& options, const StopWhen& stop, std::vector<std::string> hosts)
      : comm_(comm),
        tasks_(tasks),
        progress_(progress),
        options_(options),
        stop_(stop),
        limit_(options.task_time_limit),
        hosts_(std::move(hosts)) {
    int size = 1;
    check(MPI_Comm_size(comm_, &size), "MPI_Comm_size");
    workers_ = size - 1;
    running_.resize(static_cast<std::size_t>(size));
  }

  ScheduleStats run(const PureTaskFunction& work) {
    ScheduleStats stats;
    const Yield yield = [this] {
      serve_waiting();
      // Another rank's copy of the mother's task has been committed: drop hers.
      if (options_.reissue && !outstanding_.contains(running_[mother_rank].task)) {
        throw Cancelled{};
      }
    };
    auto pause = std::chrono::microseconds(20);
    while (true) {
      const std::uint64_t before = answered_;
      serve_waiting();
      if (const auto task = pick(mother_rank)) {
        run_own(*task, work, yield, stats);
        continue;
      }
      if (stopped_ == workers_) break;
      // Nothing to do but wait for workers' reports, or for a task to straggle (no blocking
      // probe: the time limit must be watched meanwhile).
      pause = answered_ != before ? std::chrono::microseconds(20)
                                  : std::min(pause * 2, std::chrono::microseconds(1000));
      const auto start = Clock::now();
      std::this_thread::sleep_for(pause);
      stats.wait_seconds += seconds_since(start);
    }
    check(MPI_Waitall(static_cast<int>(cancels_.size()), cancels_.data(), MPI_STATUSES_IGNORE),
          "MPI_Waitall");
    return stats;
  }

 private:
  struct Copy {
    std::uint64_t task = 0;
    Clock::time_point since;
    bool active = false;
  };
  struct Outstanding {
    int copies = 0;
    Clock::time_point since;  // when its first copy started
    bool reported = false;
  };
  struct Parked {
    int worker = 0;
    bool commit = false;  // the answer to its last ask_done, sent with its next reply
  };

  void run_own(std::uint64_t task, const PureTaskFunction& work, const Yield& yield,
               ScheduleStats& stats) {
    const auto start = Clock::now();
    try {
      const Commit commit = work(task, yield);
      stats.work_seconds += seconds_since(start);
      if (end_copy(mother_rank, true, seconds_since(start))) {
        if (commit) commit();
        ++stats.tasks;
      } else {
        ++stats.discarded;
      }
    } catch (const Cancelled&) {
      stats.work_seconds += seconds_since(start);
      (void)end_copy(mother_rank, false, 0);
      ++stats.discarded;
    }
  }

  // Answers every request already waiting, reports stragglers and gives parked workers their
  // re-issued task or their stop; never blocks.
  void serve_waiting() {
    answer_waiting(comm_, tags::scheduler_timed_request, [this](int worker) { answer(worker); });
    check_stragglers(Clock::now());
    if (!parked_.empty()) {
      std::vector<Parked> parked;
      parked.swap(parked_);
      for (const Parked& p : parked) dispatch(p.worker, p.commit);
    }
  }

  void answer(int worker) {
    Ask ask{};
    check(MPI_Recv(ask.data(), 3, MPI_UINT64_T, worker, tags::scheduler_timed_request, comm_,
                   MPI_STATUS_IGNORE),
          "MPI_Recv");
    ++answered_;
    bool commit = false;
    if (ask[0] == ask_done || ask[0] == ask_abandoned) {
      if (!running_[static_cast<std::size_t>(worker)].active ||
          running_[static_cast<std::size_t>(worker)].task != ask[1]) {
        throw std::logic_error("scheduler: a worker reported a task it was not given");
      }
      // The worker's own clock: a report that waited in the queue is not a straggler.
      commit = end_copy(worker, ask[0] == ask_done, static_cast<double>(ask[2]) * 1e-9);
    }
    dispatch(worker, commit);
  }

  // Gives `worker` its next task, its stop, or parks it until a task straggles.
  void dispatch(int worker, bool commit) {
    if (const auto task = pick(worker)) {
      send(worker, {reply_run, *task, commit ? 1U : 0U});
    } else if (!options_.reissue || outstanding_.empty()) {
      send(worker, {reply_stop, 0, commit ? 1U : 0U});
      ++stopped_;
    } else {
      parked_.push_back({worker, commit});
    }
  }

  void send(int worker, const Reply& reply) {
    check(MPI_Send(reply.data(), 3, MPI_UINT64_T, worker, tags::scheduler_timed_reply, comm_),
          "MPI_Send");
  }

  // The next task for `rank`: a fresh one, else (re-issue) a copy of the oldest straggler.
  std::optional<std::uint64_t> pick(int rank) {
    const auto now = Clock::now();
    Copy& copy = running_[static_cast<std::size_t>(rank)];
    if (next_ < tasks_ && halted(stop_, next_, halted_)) return std::nullopt;  // no re-issue
    if (next_ < tasks_) {
      const std::uint64_t task = next_++;
      if (progress_) progress_(next_, tasks_);
      outstanding_[task] = {1, now, false};
      copy = {task, now, true};
      return task;
    }
    if (!options_.reissue) return std::nullopt;
    // Only tasks reported by serve_waiting, which first reads the workers' waiting reports.
    auto best = outstanding_.end();
    for (auto it = outstanding_.begin(); it != outstanding_.end(); ++it) {
      const Outstanding& o = it->second;
      if (o.copies >= max_copies || !o.reported) continue;  // reported: past the limit
      if (best == outstanding_.end() || o.since < best->second.since) best = it;
    }
    if (best == outstanding_.end()) return std::nullopt;
    ++best->second.copies;
    copy = {best->first, now, true};
    return best->first;
  }

  // Ends `rank`'s copy, which ran `seconds`; true if it finished first and so commits.
  bool end_copy(int rank, bool finished, double seconds) {
    Copy& copy = running_[static_cast<std::size_t>(rank)];
    copy.active = false;
    const auto it = outstanding_.find(copy.task);
    if (it == outstanding_.end()) return false;  // another copy has been committed
    --it->second.copies;
    if (!finished) return false;
    // A task that never yielded on a busy mother is seen only now.
    if (!it->second.reported && seconds > limit_) report(copy.task, rank, seconds);
    outstanding_.erase(it);
    for (std::size_t r = 1; r < running_.size(); ++r) {
      if (static_cast<int>(r) != rank && running_[r].active && running_[r].task == copy.task) {
        cancel(static_cast<int>(r), copy.task);
      }
    }
    return true;
  }

  void cancel(int worker, std::uint64_t task) {
    // Sent without waiting: the worker reads it at its next yield or before its next reply.
    cancel_buffers_.push_back({reply_cancel, task, 0});
    MPI_Request request;
    check(MPI_Isend(cancel_buffers_.back().data(), 3, MPI_UINT64_T, worker,
                    tags::scheduler_timed_reply, comm_, &request),
          "MPI_Isend");
    cancels_.push_back(request);
  }

  // Reports, once per task, every copy under way for longer than the limit.
  void check_stragglers(Clock::time_point now) {
    for (std::size_t r = 0; r < running_.size(); ++r) {
      const Copy& copy = running_[r];
      if (!copy.active) continue;
      const double seconds = std::chrono::duration<double>(now - copy.since).count();
      if (seconds <= limit_) continue;
      const auto it = outstanding_.find(copy.task);
      if (it == outstanding_.end() || it->second.reported) continue;
      if (r != mother_rank && has_waiting(static_cast<int>(r))) continue;  // it may be done
      report(copy.task, static_cast<int>(r), seconds);
    }
  }

  // Whether `worker` has sent something not yet read. An MPI_Iprobe that finds nothing may
  // itself bring a message in, so this asks twice: a worker whose report of its task arrived
  // while the mother was busy is not judged by the mother's clock.
  bool has_waiting(int worker) {
    for (int i = 0; i < 2; ++i) {
      int flag = 0;
      check(MPI_Iprobe(worker, tags::scheduler_timed_request, comm_, &flag, MPI_STATUS_IGNORE),
            "MPI_Iprobe");
      if (flag != 0) return true;
    }
    return false;
  }

  void report(std::uint64_t task, int rank, double seconds) {
    outstanding_[task].reported = true;
    const StragglerReport r{task, rank, hosts_[static_cast<std::size_t>(rank)], seconds, limit_};
    if (options_.on_straggler) {
      options_.on_straggler(r);
    } else {
      print_straggler(r);
    }
  }

  MPI_Comm comm_;
  std::uint64_t tasks_;
  const Progress& progress_;
  const DynamicOptions& options_;
  const StopWhen& stop_;
  bool halted_ = false;
  double limit_;
  std::vector<std::string> hosts_;
  std::uint64_t next_ = 0;
  int workers_ = 0;
  int stopped_ = 0;
  std::uint64_t answered_ = 0;
  std::vector<Copy> running_;                         // per rank
  std::map<std::uint64_t, Outstanding> outstanding_;  // handed out, not committed
  std::vector<Parked> parked_;
  std::deque<Reply> cancel_buffers_;  // stable addresses for the sends below
  std::vector<MPI_Request> cancels_;
};

ScheduleStats run_timed_worker(MPI_Comm comm, const PureTaskFunction& work, bool reissue) {
  ScheduleStats stats;
  std::uint64_t current = 0;
  const Yield nothing = [] {};
  const Yield watch = [&current, comm] {
    int flag = 0;
    check(MPI_Iprobe(mother_rank, tags::scheduler_timed_reply, comm, &flag, MPI_STATUS_IGNORE),
          "MPI_Iprobe");
    if (flag == 0) return;
    Reply reply{};
    check(MPI_Recv(reply.data(), 3, MPI_UINT64_T, mother_rank, tags::scheduler_timed_reply, comm,
                   MPI_STATUS_IGNORE),
          "MPI_Recv");
    // While a task runs, the mother sends nothing but cancellations of it.
    if (reply[0] != reply_cancel) throw std::logic_error("scheduler: unexpected message");
    if (reply[1] == current) throw Cancelled{};
  };
  Ask ask{ask_first, 0, 0};
  Commit pending;
  for (;;) {
    auto start = Clock::now();
    check(MPI_Send(ask.data(), 3, MPI_UINT64_T, mother_rank, tags::scheduler_timed_request, comm),
          "MPI_Send");
    Reply reply{};
    do {  // skipping cancellations of a copy that finished before it saw them
      check(MPI_Recv(reply.data(), 3, MPI_UINT64_T, mother_rank, tags::scheduler_timed_reply, comm,
                     MPI_STATUS_IGNORE),
            "MPI_Recv");
    } while (reply[0] == reply_cancel);
    stats.wait_seconds += seconds_since(start);
    if (ask[0] == ask_done) {
      if (reply[2] != 0) {
        if (pending) pending();
        ++stats.tasks;
      } else {
        ++stats.discarded;
      }
    }
    pending = nullptr;
    if (reply[0] == reply_stop) break;
    current = reply[1];
    start = Clock::now();
    try {
      pending = work(current, reissue ? watch : nothing);
      ask = {ask_done, current, 0};
    } catch (const Cancelled&) {
      ask = {ask_abandoned, current, 0};
      ++stats.discarded;
    }
    const auto took = Clock::now() - start;
    ask[2] = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
    stats.work_seconds += std::chrono::duration<double>(took).count();
  }
  return stats;
}

void check_options(const DynamicOptions& options) {
  if (!(options.task_time_limit >= 0) || !std::isfinite(options.task_time_limit)) {
    throw std::invalid_argument("the task time limit must be a finite number of seconds >= 0");
  }
}

ScheduleStats run_timed(const boost::mpi::communicator& world, std::uint64_t tasks,
                        const PureTaskFunction& work, const Progress& progress,
                        const DynamicOptions& options, const StopWhen& stop) {
  // A private communicator: the queue's messages never meet the caller's.
  const boost::mpi::communicator comm(world, boost::mpi::comm_duplicate);
  if (comm.rank() == mother_rank) {
    std::vector<std::string> hosts;
    boost::mpi::gather(comm, Runtime::host(), hosts, mother_rank);
    TimedMother mother(comm, tasks, progress, options, stop, std::move(hosts));
    return mother.run(work);
  }
  boost::mpi::gather(comm, Runtime::host(), mother_rank);
  return run_timed_worker(comm, work, options.reissue);
}

}  // namespace

std::string_view to_string(Schedule s) noexcept {
  return s == Schedule::dynamic ? "dynamic" : "static";
}

std::string describe(const StragglerReport& report) {
  return fmt::format("task {} has run {:.1f} s on rank {} ({}) (limit {:g} s)", report.task,
                     report.seconds, report.rank, report.host, report.limit);
}

ScheduleStats run_static(const boost::mpi::communicator& comm, std::uint64_t tasks,
                         const TaskFunction& work, const Progress& progress, const StopWhen& stop) {
  ScheduleStats stats;
  const IndexRange mine = block_range(tasks, comm.size(), comm.rank());
  const Yield nothing = [] {};
  const auto start = Clock::now();
  const bool report = progress && comm.rank() == mother_rank;
  bool halt = false;
  for (std::uint64_t t = mine.begin; t < mine.end && !halted(stop, t, halt); ++t) {
    if (report) {
      const double share =
          static_cast<double>(t - mine.begin + 1) / static_cast<double>(mine.size());
      progress(std::min(tasks, static_cast<std::uint64_t>(share * static_cast<double>(tasks))),
               tasks);
    }
    work(t, nothing);
    ++stats.tasks;
  }
  stats.work_seconds = seconds_since(start);
  return stats;
}

ScheduleStats run_dynamic(const boost::mpi::communicator& world, std::uint64_t tasks,
                          const TaskFunction& work, const Progress& progress,
                          const DynamicOptions& options, const StopWhen& stop) {
  check_options(options);
  if (options.task_time_limit > 0) {
    if (options.reissue) {
      throw std::invalid_argument("only pure tasks can be re-issued (see run_pure_tasks)");
    }
    return run_timed(
        world, tasks,
        [&work](std::uint64_t task, const Yield& yield) -> Commit {
          work(task, yield);
          return {};
        },
        progress, options, stop);
  }
  ScheduleStats stats;
  // A private communicator: the queue's messages never meet the caller's.
  const boost::mpi::communicator comm(world, boost::mpi::comm_duplicate);
  if (comm.rank() == mother_rank) {
    Mother mother(comm, tasks, progress, stop);
    const Yield serve = [&mother] { mother.serve_waiting(); };
    for (std::uint64_t t = mother.take(); t != no_more_tasks; t = mother.take()) {
      mother.serve_waiting();
      const auto start = Clock::now();
      work(t, serve);
      stats.work_seconds += seconds_since(start);
      ++stats.tasks;
    }
    const auto start = Clock::now();
    mother.finish();
    stats.wait_seconds += seconds_since(start);
    return stats;
  }

  const Yield nothing = [] {};
  const char request = 0;
  std::uint64_t task = no_more_tasks;
  auto start = Clock::now();
  check(MPI_Send(&request, 1, MPI_CHAR, mother_rank, tags::scheduler_request, comm), "MPI_Send");
  check(
      MPI_Recv(&task, 1, MPI_UINT64_T, mother_rank, tags::scheduler_task, comm, MPI_STATUS_IGNORE),
      "MPI_Recv");
  stats.wait_seconds += seconds_since(start);
  while (task != no_more_tasks) {
    // Ask for the next task now, so the answer is there when this one is done.
    std::uint64_t next = no_more_tasks;
    MPI_Request requests[2];
    check(MPI_Irecv(&next, 1, MPI_UINT64_T, mother_rank, tags::scheduler_task, comm, &requests[0]),
          "MPI_Irecv");
    check(
        MPI_Isend(&request, 1, MPI_CHAR, mother_rank, tags::scheduler_request, comm, &requests[1]),
        "MPI_Isend");
    start = Clock::now();
    work(task, nothing);
    stats.work_seconds += seconds_since(start);
    ++stats.tasks;
    start = Clock::now();
    check(MPI_Waitall(2, requests, MPI_STATUSES_IGNORE), "MPI_Waitall");
    stats.wait_seconds += seconds_since(start);
    task = next;
  }
  return stats;
}

ScheduleStats run_tasks(const boost::mpi::communicator& comm, Schedule schedule,
                        std::uint64_t tasks, const TaskFunction& work, const Progress& progress,
                        const DynamicOptions& options, const StopWhen& stop) {
  if (schedule == Schedule::dynamic) return run_dynamic(comm, tasks, work, progress, options, stop);
  check_options(options);
  if (options.task_time_limit > 0) {
    throw std::invalid_argument("a task time limit needs the dynamic schedule");
  }
  return run_static(comm, tasks, work, progress, stop);
}

ScheduleStats run_pure_tasks(const boost::mpi::communicator& comm, Schedule schedule,
                             std::uint64_t tasks, const PureTaskFunction& work,
                             const Progress& progress, const DynamicOptions& options,
                             const StopWhen& stop) {
  check_options(options);
  if (schedule == Schedule::dynamic && options.task_time_limit > 0) {
    return run_timed(comm, tasks, work, progress, options, stop);
  }
  // One copy of each task: commit each result as soon as it is ready.
  const TaskFunction once = [&work](std::uint64_t task, const Yield& yield) {
    if (const Commit commit = work(task, yield)) commit();
  };
  return run_tasks(comm, schedule, tasks, once, progress, options, stop);
}

}  // namespace mrkit
