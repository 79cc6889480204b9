// Runs tasks 0..n-1 over the ranks of a communicator, each task exactly once.
//  - static: rank r runs the block block_range(n, P, r) of task indices; no messages at all.
//  - dynamic: the course's queue. The mother hands the next task to whichever worker asks and
//    works on tasks herself; during a long task she answers waiting workers each time the task
//    calls `yield`, so no worker waits long and no core idles. Workers ask for their next task
//    before starting the current one, hiding the round trip.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <functional>
#include <string_view>

namespace mrkit {

enum class Schedule { static_blocks, dynamic };

[[nodiscard]] std::string_view to_string(Schedule s) noexcept;

// Long tasks call it often (every millisecond or so); it is cheap and may be ignored.
using Yield = std::function<void()>;
using TaskFunction = std::function<void(std::uint64_t task, const Yield& yield)>;
// Called on the mother as tasks start: an estimate of how many of `total` are under way or done
// (dynamic: handed out so far; static: the mother's own share, scaled to the whole).
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct ScheduleStats {
  std::uint64_t tasks = 0;  // tasks this rank ran
  double work_seconds = 0;  // inside task functions
  double wait_seconds = 0;  // waiting for the next task or for the end
};

[[nodiscard]] ScheduleStats run_static(const boost::mpi::communicator& comm, std::uint64_t tasks,
                                       const TaskFunction& work, const Progress& progress = {});
[[nodiscard]] ScheduleStats run_dynamic(const boost::mpi::communicator& comm, std::uint64_t tasks,
                                        const TaskFunction& work, const Progress& progress = {});
[[nodiscard]] ScheduleStats run_tasks(const boost::mpi::communicator& comm, Schedule schedule,
                                      std::uint64_t tasks, const TaskFunction& work,
                                      const Progress& progress = {});

}  // namespace mrkit
