// Runs tasks 0..n-1 over the ranks of a communicator, each task exactly once.
//  - static: rank r runs the block block_range(n, P, r) of task indices; no messages at all.
//  - dynamic: the course's queue. The mother hands the next task to whichever worker asks and
//    works on tasks herself; during a long task she answers waiting workers each time the task
//    calls `yield`, so no worker waits long and no core idles. Workers ask for their next task
//    before starting the current one, hiding the round trip.
//  - dynamic with a task time limit (DynamicOptions): a task running longer than the limit is
//    reported once, by the mother. Workers then report each finished task and ask for the next
//    one (no asking ahead). Pure tasks (run_pure_tasks) may also be re-issued: once the fresh
//    tasks are all handed out, an idle rank runs a copy of a straggling task; the first copy to
//    finish commits its result and the others are abandoned at their next `yield`.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace mrkit {

enum class Schedule { static_blocks, dynamic };

[[nodiscard]] std::string_view to_string(Schedule s) noexcept;

// Long tasks call it often (every millisecond or so); it is cheap and may be ignored. Under
// re-issue it throws (an internal type, not a std::exception) to abandon a copy whose task
// another rank has finished: let it pass, and keep results out of shared state until commit.
using Yield = std::function<void()>;
using TaskFunction = std::function<void(std::uint64_t task, const Yield& yield)>;
// A pure task computes its result aside and returns how to commit it (or an empty function).
// The scheduler calls the commit on the rank whose copy finished first, once per task.
using Commit = std::function<void()>;
using PureTaskFunction = std::function<Commit(std::uint64_t task, const Yield& yield)>;
// Called on the mother as tasks start: an estimate of how many of `total` are under way or done
// (dynamic: handed out so far; static: the mother's own share, scaled to the whole).
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;
// Asked before each task but task 0 starts (static: by each rank before each task of its block;
// dynamic: by the mother before she hands a task out): once it says true, no further task starts
// on that rank (static) or anywhere (dynamic), and the call returns as soon as the tasks under
// way are done, whatever the number of tasks left. Task 0 always runs. E.g. a deadline.
using StopWhen = std::function<bool()>;

// A task that has run longer than the time limit, seen by the mother.
struct StragglerReport {
  std::uint64_t task = 0;
  int rank = 0;      // where it has run that long
  std::string host;  // that rank's host
  double seconds = 0;
  double limit = 0;
};

// "task 17 has run 2.0 s on rank 3 (host) (limit 0.5 s)"
[[nodiscard]] std::string describe(const StragglerReport& report);

struct DynamicOptions {
  double task_time_limit = 0;  // seconds; 0: none. Only for the dynamic schedule.
  bool reissue = false;        // re-issue stragglers to idle ranks (pure tasks only)
  // Called on the mother, once per straggling task. Default: "mrkit: warning: ..." on stderr.
  std::function<void(const StragglerReport&)> on_straggler;
};

struct ScheduleStats {
  std::uint64_t tasks = 0;      // tasks this rank ran (under re-issue: whose result it committed)
  std::uint64_t discarded = 0;  // re-issued copies that another rank's copy beat
  double work_seconds = 0;      // inside task functions
  double wait_seconds = 0;      // waiting for the next task or for the end
};

// Every call is collective over `comm`, with the same tasks and options on every rank.
// A time limit with the static schedule, or re-issue of a non-pure task, throws
// std::invalid_argument.
// `stop` (optional) ends the schedule early: see StopWhen.
[[nodiscard]] ScheduleStats run_static(const boost::mpi::communicator& comm, std::uint64_t tasks,
                                       const TaskFunction& work, const Progress& progress = {},
                                       const StopWhen& stop = {});
[[nodiscard]] ScheduleStats run_dynamic(const boost::mpi::communicator& comm, std::uint64_t tasks,
                                        const TaskFunction& work, const Progress& progress = {},
                                        const DynamicOptions& options = {},
                                        const StopWhen& stop = {});
[[nodiscard]] ScheduleStats run_tasks(const boost::mpi::communicator& comm, Schedule schedule,
                                      std::uint64_t tasks, const TaskFunction& work,
                                      const Progress& progress = {},
                                      const DynamicOptions& options = {},
                                      const StopWhen& stop = {});
// As run_tasks, for pure tasks: each result is committed exactly once, on one rank.
[[nodiscard]] ScheduleStats run_pure_tasks(const boost::mpi::communicator& comm, Schedule schedule,
                                           std::uint64_t tasks, const PureTaskFunction& work,
                                           const Progress& progress = {},
                                           const DynamicOptions& options = {},
                                           const StopWhen& stop = {});

}  // namespace mrkit
