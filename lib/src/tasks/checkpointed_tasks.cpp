#include "mrkit/tasks/checkpointed_tasks.hpp"

#include "mrkit/core/runtime.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace mrkit {

std::uint64_t tasks_per_record(std::uint64_t units_per_task, std::uint64_t min_units,
                               std::uint64_t tasks, std::uint64_t max_records) noexcept {
  const std::uint64_t for_units =
      units_per_task == 0 || units_per_task >= min_units ? 1 : (min_units - 1) / units_per_task + 1;
  return std::max({std::uint64_t{1}, for_units, (tasks + max_records - 1) / max_records});
}

CheckpointedTasks::CheckpointedTasks(const boost::mpi::communicator& comm, std::string dir,
                                     std::string_view fingerprint, std::uint64_t tasks,
                                     std::uint64_t per_record)
    : comm_(comm),
      checkpoint_(comm, std::move(dir), fingerprint,
                  (tasks + std::max<std::uint64_t>(per_record, 1) - 1) /
                      std::max<std::uint64_t>(per_record, 1)),
      tasks_(tasks),
      per_record_(std::max<std::uint64_t>(per_record, 1)),
      records_((tasks + per_record_ - 1) / per_record_) {
  if (checkpoint_.enabled()) todo_ = checkpoint_.remaining();
}

std::uint64_t CheckpointedTasks::first_task(std::uint64_t record) const noexcept {
  return record * per_record_;
}

std::uint64_t CheckpointedTasks::end_task(std::uint64_t record) const noexcept {
  return std::min(tasks_, (record + 1) * per_record_);
}

std::uint64_t CheckpointedTasks::remaining_records() const noexcept {
  return checkpoint_.enabled() ? todo_.size() : records_;
}

std::uint64_t CheckpointedTasks::resumed_tasks() const noexcept {
  std::uint64_t n = 0;
  for (const std::uint64_t r : checkpoint_.finished()) n += end_task(r) - first_task(r);
  return n;
}

std::uint64_t CheckpointedTasks::record_at(std::uint64_t index) const noexcept {
  return checkpoint_.enabled() ? todo_[static_cast<std::size_t>(index)] : index;
}

void CheckpointedTasks::save(std::uint64_t record, std::string_view payload) const {
  checkpoint_.record(record, payload);
}

// The scheduler numbers the tasks it runs 0..remaining_records()-1; a report names the task a
// user knows: the first of the record.
DynamicOptions CheckpointedTasks::renumbered(const DynamicOptions& options) const {
  if (options.task_time_limit <= 0) return options;
  DynamicOptions out = options;
  out.on_straggler = [this, report_to = options.on_straggler](const StragglerReport& report) {
    StragglerReport r = report;
    r.task = first_task(record_at(report.task));
    if (report_to) {
      report_to(r);
    } else {
      fmt::print(stderr, "mrkit: warning: {}\n", describe(r));
    }
  };
  return out;
}

ScheduleStats CheckpointedTasks::run(Schedule schedule, const RecordWork& work,
                                     const Progress& progress, const DynamicOptions& options,
                                     const StopWhen& stop) const {
  return run_tasks(
      comm_, schedule, remaining_records(),
      [&](std::uint64_t index, const Yield& yield) { work(record_at(index), yield); }, progress,
      renumbered(options), stop);
}

ScheduleStats CheckpointedTasks::run_pure(Schedule schedule, const PureRecordWork& work,
                                          const Progress& progress, const DynamicOptions& options,
                                          const StopWhen& stop) const {
  return run_pure_tasks(
      comm_, schedule, remaining_records(),
      [&](std::uint64_t index, const Yield& yield) { return work(record_at(index), yield); },
      progress, renumbered(options), stop);
}

void CheckpointedTasks::merge_finished(const MergeRecord& merge) const {
  on_mother_then_agree(comm_, [&] {
    for (const std::uint64_t record : checkpoint_.finished()) {
      checkpoint_.load(record, [&](std::string_view payload) { merge(record, payload); });
    }
  });
}

}  // namespace mrkit
