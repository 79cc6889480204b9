// The map phase every job of the engine shares: tasks 0..n-1 run over the ranks (static or
// dynamic schedule, progress, stop), each mapping into an accumulator (a rank's table of
// pre-reduced pairs, or a word table), with the guarantees of a long run:
//  - checkpoint/resume: with JobOptions::checkpoint_dir, each record of consecutive tasks maps
//    into an accumulator of its own, saved (encoded) to the checkpoint, then merged into the
//    rank's; a re-run of the same job (JobOptions::fingerprint) runs only the records no earlier
//    run finished, and the mother merges those from the checkpoint;
//  - stragglers: with a task time limit and re-issue (dynamic schedule), each copy of a task
//    maps aside and only the copy that finishes first is merged (and saved);
//  - otherwise every task maps straight into the rank's accumulator (nothing copied).
// reduce_by_key and group_by_key run on it (their accumulator is a KeyTable); wordcount runs on
// it with a word table and per-file totals.
#pragma once

#include "mrkit/mapreduce/task_yield.hpp"
#include "mrkit/tasks/checkpointed_tasks.hpp"
#include "mrkit/tasks/rank_stats.hpp"
#include "mrkit/tasks/scheduler.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

namespace mrkit {

// What spilling did on a rank (JobOptions::spill_stats): the budget, bytes written to and read
// back from the scratch directory, runs written, exchange rounds.
struct SpillStats {
  std::uint64_t budget_bytes = 0;
  std::uint64_t spilled_bytes = 0;
  std::uint64_t read_bytes = 0;
  std::uint64_t runs = 0;
  std::uint64_t rounds = 0;
};

// How the tasks of a job run (tasks/scheduler.hpp), and what makes it resumable.
struct JobOptions {
  Schedule schedule = Schedule::dynamic;
  // A task time limit: a straggler warning; with `reissue` (dynamic schedule), a straggling
  // task is also run again on an idle rank and the first copy to finish counts. Each task then
  // maps into a table of its own, merged when its copy commits.
  DynamicOptions dynamic;
  Progress progress;  // on the mother: tasks (or checkpoint records) done of all
  StopWhen stop;      // ends the job early (the tasks not run are not counted)
  // A directory shared by all ranks where finished tasks are recorded (their pre-reduced
  // pairs, one file and one fsync per record of consecutive tasks); a re-run of the same job
  // resumes from it, at any rank count, and merges what earlier runs finished. Empty: none.
  // The tasks must be numbered the same way at every rank count (a FileSource built with
  // same_tasks_at_every_rank_count).
  std::string checkpoint_dir;
  // What makes two runs the same job (the program, the options that change results, and the
  // input: FileSource::fingerprint()). A checkpoint of another job is refused (InputError).
  std::string fingerprint;
  // With a checkpoint: consecutive tasks recorded together (one file, one fsync each); 0 picks
  // one from the task count alone (at most 4096 records).
  std::uint64_t tasks_per_record = 0;
  // Optional: the job's compute, wait and tasks are added to it (for --stats).
  RankTimer* timer = nullptr;
  // The memory budget per rank of reduce_by_key, group_by_key and count_by_key
  // (mapreduce/memory_budget.hpp): 0 is the default (half the node's available memory over its
  // ranks); below minimum_memory_bytes is refused (UsageError). A rank's combine table over
  // half of it is written to `tmpdir` as a sorted run (mapreduce/spill_runs.hpp) and merged at
  // the end; the exchange then goes in rounds of at most a quarter of it per rank.
  std::uint64_t memory_bytes = 0;
  // Where the job's private scratch directory goes; empty: $TMPDIR, else /tmp. Created at the
  // start (a missing or read-only one is an error on every rank, exit 1) and removed at the end.
  std::string tmpdir;
  // Spill the combine table after every task, whatever its size (MR-MPI's outofcore = 1): the
  // disk path on small data, for tests.
  bool force_spill = false;
  // Optional: what spilling did on this rank.
  SpillStats* spill_stats = nullptr;
};

// What the map phase leaves on a rank.
template <class Acc>
struct MapPhase {
  Acc local;                          // this rank's accumulator, with what earlier runs finished
  ScheduleStats stats;                // this rank's tasks, compute and wait
  std::uint64_t resumed_tasks = 0;    // tasks taken from the checkpoint
  std::vector<std::string> warnings;  // the mother's: checkpoint files not used
};

// Runs map_into(task, Acc&) for every task; `ops` merges and encodes accumulators:
//   ops.merge(Acc& into, Acc& from)               // from is left empty
//   ops.encode(const Acc&) -> std::string         // a checkpoint record's payload
//   ops.merge_encoded(Acc& into, std::string_view) // throws for a payload it cannot read
// and, if it has it, after each task (or checkpoint record) merged into the rank's accumulator:
//   ops.settle(Acc& local)                        // e.g. spill a table over its budget
// `job_kind` and the accumulator's type are part of the checkpoint's fingerprint. Collective.
template <class Acc, class MapInto, class Ops>
[[nodiscard]] MapPhase<Acc> run_map_phase(const boost::mpi::communicator& comm, std::uint64_t tasks,
                                          MapInto& map_into, Ops& ops, const JobOptions& options,
                                          std::string_view job_kind) {
  const bool checkpointing = !options.checkpoint_dir.empty();
  const bool reissue = options.dynamic.reissue && options.dynamic.task_time_limit > 0;
  std::uint64_t per_record = 1;
  if (checkpointing) {
    per_record =
        options.tasks_per_record != 0 ? options.tasks_per_record : tasks_per_record(0, 0, tasks);
  }
  const CheckpointedTasks checkpointed(comm, options.checkpoint_dir,
                                       std::string(job_kind) + "\naccumulator " +
                                           typeid(Acc).name() + "\ntasks_per_record " +
                                           std::to_string(per_record) + "\n" + options.fingerprint,
                                       tasks, per_record);
  MapPhase<Acc> phase;
  const auto settle = [&] {
    if constexpr (requires { ops.settle(phase.local); }) ops.settle(phase.local);
  };
  phase.resumed_tasks = checkpointed.resumed_tasks();
  if (comm.rank() == 0) phase.warnings = checkpointed.warnings();
  const auto run_record = [&](std::uint64_t record, const Yield& yield, Acc& into) {
    const TaskYieldScope scope(yield);
    for (std::uint64_t t = checkpointed.first_task(record); t < checkpointed.end_task(record);
         ++t) {
      map_into(t, into);
    }
  };
  if (reissue) {
    phase.stats = checkpointed.run_pure(
        options.schedule,
        [&](std::uint64_t record, const Yield& yield) -> Commit {
          auto mine = std::make_shared<Acc>();
          run_record(record, yield, *mine);
          return [&, record, mine] {
            if (checkpointed.enabled()) checkpointed.save(record, ops.encode(*mine));
            ops.merge(phase.local, *mine);
            settle();
          };
        },
        options.progress, options.dynamic, options.stop);
  } else if (checkpointed.enabled()) {
    phase.stats = checkpointed.run(
        options.schedule,
        [&](std::uint64_t record, const Yield& yield) {
          Acc mine;
          run_record(record, yield, mine);
          checkpointed.save(record, ops.encode(mine));
          ops.merge(phase.local, mine);
          settle();
        },
        options.progress, options.dynamic, options.stop);
  } else {
    phase.stats = run_tasks(
        comm, options.schedule, tasks,
        [&](std::uint64_t task, const Yield& yield) {
          const TaskYieldScope scope(yield);
          map_into(task, phase.local);
          settle();
        },
        options.progress, options.dynamic, options.stop);
  }
  checkpointed.merge_finished([&](std::uint64_t, std::string_view payload) {
    ops.merge_encoded(phase.local, payload);
    settle();
  });
  if (options.timer != nullptr) options.timer->add(phase.stats);
  return phase;
}

}  // namespace mrkit
