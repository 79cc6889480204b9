#include "mrkit/scheduler.hpp"

#include "mpi_check.hpp"

#include "mrkit/partition.hpp"
#include "mrkit/runtime.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>

namespace mrkit {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t no_more_tasks = std::numeric_limits<std::uint64_t>::max();
constexpr int request_tag = 1;
constexpr int task_tag = 2;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

using detail::check;

// The mother's side of the queue.
class Mother {
 public:
  Mother(MPI_Comm comm, std::uint64_t tasks, const Progress& progress)
      : comm_(comm), tasks_(tasks), progress_(progress) {
    MPI_Comm_size(comm_, &workers_);
    --workers_;
  }

  // Answers every request already waiting; never blocks.
  void serve_waiting() {
    for (;;) {
      int flag = 0;
      MPI_Status status;
      check(MPI_Iprobe(MPI_ANY_SOURCE, request_tag, comm_, &flag, &status), "MPI_Iprobe");
      if (flag == 0) return;
      answer(status.MPI_SOURCE);
    }
  }

  // Takes the next task for the mother herself, or no_more_tasks.
  std::uint64_t take() {
    if (next_ >= tasks_) return no_more_tasks;
    if (progress_) progress_(next_ + 1, tasks_);
    return next_++;
  }

  // After the last task: tells every worker to stop as it asks.
  void finish() {
    while (stopped_ < workers_) {
      MPI_Status status;
      check(MPI_Probe(MPI_ANY_SOURCE, request_tag, comm_, &status), "MPI_Probe");
      answer(status.MPI_SOURCE);
    }
  }

 private:
  void answer(int worker) {
    char dummy = 0;
    check(MPI_Recv(&dummy, 1, MPI_CHAR, worker, request_tag, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
    const std::uint64_t task = take();
    if (task == no_more_tasks) ++stopped_;
    check(MPI_Send(&task, 1, MPI_UINT64_T, worker, task_tag, comm_), "MPI_Send");
  }

  MPI_Comm comm_;
  std::uint64_t tasks_;
  const Progress& progress_;
  std::uint64_t next_ = 0;
  int workers_ = 0;
  int stopped_ = 0;
};

}  // namespace

std::string_view to_string(Schedule s) noexcept {
  return s == Schedule::dynamic ? "dynamic" : "static";
}

ScheduleStats run_static(const boost::mpi::communicator& comm, std::uint64_t tasks,
                         const TaskFunction& work, const Progress& progress) {
  ScheduleStats stats;
  const IndexRange mine = block_range(tasks, comm.size(), comm.rank());
  const Yield nothing = [] {};
  const auto start = Clock::now();
  const bool report = progress && comm.rank() == mother_rank;
  for (std::uint64_t t = mine.begin; t < mine.end; ++t) {
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
                          const TaskFunction& work, const Progress& progress) {
  ScheduleStats stats;
  // A private communicator: the queue's messages never meet the caller's.
  const boost::mpi::communicator comm(world, boost::mpi::comm_duplicate);
  if (comm.rank() == mother_rank) {
    Mother mother(comm, tasks, progress);
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
  check(MPI_Send(&request, 1, MPI_CHAR, mother_rank, request_tag, comm), "MPI_Send");
  check(MPI_Recv(&task, 1, MPI_UINT64_T, mother_rank, task_tag, comm, MPI_STATUS_IGNORE),
        "MPI_Recv");
  stats.wait_seconds += seconds_since(start);
  while (task != no_more_tasks) {
    // Ask for the next task now, so the answer is there when this one is done.
    std::uint64_t next = no_more_tasks;
    MPI_Request requests[2];
    check(MPI_Irecv(&next, 1, MPI_UINT64_T, mother_rank, task_tag, comm, &requests[0]),
          "MPI_Irecv");
    check(MPI_Isend(&request, 1, MPI_CHAR, mother_rank, request_tag, comm, &requests[1]),
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
                        std::uint64_t tasks, const TaskFunction& work, const Progress& progress) {
  return schedule == Schedule::dynamic ? run_dynamic(comm, tasks, work, progress)
                                       : run_static(comm, tasks, work, progress);
}

}  // namespace mrkit
