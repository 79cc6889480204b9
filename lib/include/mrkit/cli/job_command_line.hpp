// The command line of a program on the map-reduce engine (ngrams, invindex, groupby): how its
// tasks run (--schedule, --split-bytes, --task-time-limit), --checkpoint, --output-dir,
// --progress and --stats, its memory (--memory SIZE, --tmpdir DIR, --spill), checked alike, and
// what they make: the FileSource's options and the job's (mapreduce/map_phase.hpp).
#pragma once

#include "mrkit/cli/command_line.hpp"
#include "mrkit/mapreduce/file_source.hpp"
#include "mrkit/mapreduce/map_phase.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mrkit {

struct JobCommandLine {
  std::string schedule = "dynamic";
  std::uint64_t split_bytes = 0;
  std::string checkpoint;
  std::string output_dir;
  double task_time_limit = 0;
  bool progress = false;
  std::optional<StatsFormat> stats;
  std::string memory;  // --memory SIZE (mapreduce/memory_budget.hpp's parse_size); empty: default
  std::string tmpdir;  // --tmpdir DIR; empty: $TMPDIR, else /tmp
  bool spill = false;  // --spill: every table to disk after every task

  // The program's own words in --help.
  struct Help {
    std::string split_bytes_note;    // appended to --split-bytes' text, e.g. "; not used with X"
    std::string checkpoint_refused;  // "other inputs, -n, -i or --split-bytes"
    std::string output_dir;          // what --output-dir writes
  };

  // Adds the options to `app`.
  void add_options(CLI::App& app, const Help& help);
  // After parsing, on every rank: UsageError for --task-time-limit without the dynamic schedule,
  // for -o with --output-dir, and for a --memory under the engine's minimum; sets the interrupt
  // note of --checkpoint (core/runtime.hpp).
  void check(std::string_view program, const OutputOptions& out) const;

  [[nodiscard]] Schedule schedule_kind() const noexcept;
  // Split, schedule, and with --checkpoint task numbers that do not depend on the rank count.
  [[nodiscard]] FileSourceOptions source_options() const;
  // Schedule, checkpoint and its fingerprint, straggler re-issue with --task-time-limit
  // (warnings "PROGRAM: warning: task ..." on standard error), the stats timer, the memory
  // budget, scratch directory and forced spilling. Progress is the program's (its ProgressMeter).
  [[nodiscard]] JobOptions job_options(std::string_view program, std::string fingerprint,
                                       RankTimer& timer) const;

  // With --stats, collective: print_rank_stats, then, if any rank spilled, one more line on the
  // mother's standard error: "PROGRAM: memory: budget B per rank; spilled S in R runs, read back
  // T, X exchange rounds (sums over ranks)", or with --stats=json one more JSON object
  // {"program", "spill": {"budget_bytes", "spilled_bytes", "read_bytes", "runs", "rounds"}}.
  void print_stats(const boost::mpi::communicator& comm, const RankTimer& timer,
                   std::string_view program) const;

  // What spilling did on this rank (JobOptions::spill_stats of job_options()).
  mutable SpillStats spill_stats;
};

}  // namespace mrkit
