// Run tasks, resume from a checkpoint: the skeleton every checkpointed job shares. It opens (or
// claims) the checkpoint, runs only the records no earlier run finished through the scheduler,
// and lets the mother merge the finished ones back. The job supplies the per-record work (which
// calls save() with its record's payload) and the payload's decoder (merge_finished()).
//
// A record is a run of `tasks_per_record` consecutive tasks, recorded in one file (one fsync):
// short tasks are grouped so that a checkpoint does not cost a file per millisecond of work.
// Without a checkpoint every task is its own record and nothing is read or written. Task and
// record numbers depend on the job alone, never on the rank count, so a checkpoint written at
// one rank count resumes at another.
#pragma once

#include "mrkit/tasks/checkpoint.hpp"
#include "mrkit/tasks/scheduler.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

// How many consecutive tasks share one record: enough for `min_units` units of work (bytes,
// samples) when a task has `units_per_task` of them (0: unknown, one task), and at most
// `max_records` records in all.
[[nodiscard]] std::uint64_t tasks_per_record(std::uint64_t units_per_task, std::uint64_t min_units,
                                             std::uint64_t tasks,
                                             std::uint64_t max_records = 4096) noexcept;

class CheckpointedTasks {
 public:
  // Work on one record: run its tasks (first_task(record) to end_task(record)), then save() its
  // payload. Without a checkpoint a record is one task.
  using RecordWork = std::function<void(std::uint64_t record, const Yield& yield)>;
  // As RecordWork for pure tasks (see scheduler.hpp): compute aside, return how to commit.
  using PureRecordWork = std::function<Commit(std::uint64_t record, const Yield& yield)>;
  // Reads the payload of a record an earlier run finished; throws for one it cannot use.
  using MergeRecord = std::function<void(std::uint64_t record, std::string_view payload)>;

  // Collective: every rank with the same arguments. Opens the checkpoint in `dir` (empty: none)
  // for `tasks` tasks, `per_record` to a record (1 without a checkpoint); `fingerprint`
  // names the job (see Checkpoint, which throws InputError on every rank for another job's
  // checkpoint or one in use).
  CheckpointedTasks(const boost::mpi::communicator& comm, std::string dir,
                    std::string_view fingerprint, std::uint64_t tasks,
                    std::uint64_t per_record = 1);

  [[nodiscard]] bool enabled() const noexcept { return checkpoint_.enabled(); }
  [[nodiscard]] std::uint64_t tasks() const noexcept { return tasks_; }
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }
  // The tasks of a record: first_task(r) <= task < end_task(r).
  [[nodiscard]] std::uint64_t first_task(std::uint64_t record) const noexcept;
  [[nodiscard]] std::uint64_t end_task(std::uint64_t record) const noexcept;
  // How many records are still to run (all of them without a checkpoint).
  [[nodiscard]] std::uint64_t remaining_records() const noexcept;
  // Tasks in the records an earlier run finished.
  [[nodiscard]] std::uint64_t resumed_tasks() const noexcept;
  // The mother's: checkpoint files not used (damaged, foreign, misnamed), one line each.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept {
    return checkpoint_.warnings();
  }

  // Records a finished record's payload durably (nothing without a checkpoint). Any rank.
  void save(std::uint64_t record, std::string_view payload) const;

  // Collective: runs the remaining records over the ranks (run_tasks / run_pure_tasks with the
  // same schedule, progress, options and stop; progress counts records). A straggler report
  // names the record's first task.
  ScheduleStats run(Schedule schedule, const RecordWork& work, const Progress& progress = {},
                    const DynamicOptions& options = {}, const StopWhen& stop = {}) const;
  ScheduleStats run_pure(Schedule schedule, const PureRecordWork& work,
                         const Progress& progress = {}, const DynamicOptions& options = {},
                         const StopWhen& stop = {}) const;

  // Collective: the mother calls `merge` with the payload of every record an earlier run
  // finished, in record order; an error `merge` throws becomes an InputError naming the record's
  // file, raised on every rank (on_mother_then_agree).
  void merge_finished(const MergeRecord& merge) const;

 private:
  [[nodiscard]] std::uint64_t record_at(std::uint64_t index) const noexcept;
  [[nodiscard]] DynamicOptions renumbered(const DynamicOptions& options) const;

  boost::mpi::communicator comm_;
  Checkpoint checkpoint_;
  std::uint64_t tasks_ = 0;
  std::uint64_t per_record_ = 1;
  std::uint64_t records_ = 0;
  std::vector<std::uint64_t> todo_;  // with a checkpoint: the records still to run
};

}  // namespace mrkit
