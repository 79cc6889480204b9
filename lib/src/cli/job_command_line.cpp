#include "mrkit/cli/job_command_line.hpp"

#include "mrkit/comm/reduce.hpp"
#include "mrkit/mapreduce/memory_budget.hpp"

#include <boost/mpi/collectives/all_reduce.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <functional>

namespace mrkit {

namespace {

CLI::Validator not_empty_dir() {
  return CLI::Validator(
      [](const std::string& dir) -> std::string {
        return dir.empty() ? "expected a directory, got an empty name" : "";
      },
      "");
}

CLI::Validator size_text() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        try {
          (void)parse_size(text);
        } catch (const UsageError& e) {
          return e.what();
        }
        return "";
      },
      "");
}

}  // namespace

void JobCommandLine::add_options(CLI::App& app, const Help& help) {
  app.add_option("--schedule", schedule, "How tasks reach ranks: static or dynamic")
      ->check(one_of({"static", "dynamic"}))
      ->default_str("dynamic");
  app.add_option("--split-bytes", split_bytes,
                 "Bytes per task (default: about 16 tasks per rank, 1 MiB to 64 MiB; with "
                 "--checkpoint, from the input alone" +
                     help.split_bytes_note + ")")
      ->type_name("B")
      ->check(whole_number(1));
  add_stats_option(app, stats);
  app.add_option("--checkpoint", checkpoint,
                 "Record finished tasks in DIR (shared by all ranks); running the same command "
                 "again after a crash resumes from it, also at another rank count. A checkpoint "
                 "of " +
                     help.checkpoint_refused + " is refused (exit 3)")
      ->type_name("DIR")
      ->check(not_empty_dir());
  app.add_option("--output-dir", output_dir, help.output_dir)
      ->type_name("DIR")
      ->check(not_empty_dir());
  app.add_option("--task-time-limit", task_time_limit,
                 "Dynamic schedule: warn about a task still running after SECONDS, and once "
                 "all tasks are handed out run a copy on an idle rank (the first to finish "
                 "counts)")
      ->type_name("SECONDS")
      ->check(positive_seconds());
  app.add_flag("--progress", progress,
               "Show progress on standard error (default: only when it is a terminal)");
  app.add_option("--memory", memory,
                 "Memory budget per rank, e.g. 512M or 1.5G (default: half the node's available "
                 "memory over its ranks; at least 1M): a rank's table over half of it is written "
                 "to --tmpdir as a sorted run and merged at the end, and the exchange goes in "
                 "rounds of at most a quarter of it")
      ->type_name("SIZE")
      ->check(size_text());
  app.add_option("--tmpdir", tmpdir,
                 "Where the job's private scratch directory goes (default: $TMPDIR, else /tmp); "
                 "it is removed at the end, also after a failure")
      ->type_name("DIR")
      ->check(not_empty_dir());
  app.add_flag("--spill", spill,
               "Write every table to --tmpdir after every task, whatever its size (for tests; "
               "the output is the same)");
}

void JobCommandLine::check(std::string_view program, const OutputOptions& out) const {
  const std::string see_help = fmt::format(" (see {} --help)", program);
  if (!output_dir.empty() && !out.output_path.empty()) {
    throw UsageError("-o and --output-dir cannot be used together" + see_help);
  }
  if (task_time_limit > 0 && schedule_kind() != Schedule::dynamic) {
    throw UsageError("--task-time-limit needs --schedule dynamic" + see_help);
  }
  if (!memory.empty() && parse_size(memory) != 0) check_memory_budget(parse_size(memory));
  set_interrupt_note(checkpoint_interrupt_note(checkpoint));
}

Schedule JobCommandLine::schedule_kind() const noexcept {
  return schedule == "static" ? Schedule::static_blocks : Schedule::dynamic;
}

FileSourceOptions JobCommandLine::source_options() const {
  FileSourceOptions options;
  options.split_bytes = split_bytes;
  options.schedule = schedule_kind();
  options.same_tasks_at_every_rank_count = !checkpoint.empty();
  return options;
}

JobOptions JobCommandLine::job_options(std::string_view program, std::string fingerprint,
                                       RankTimer& timer) const {
  JobOptions job;
  job.schedule = schedule_kind();
  job.checkpoint_dir = checkpoint;
  job.fingerprint = std::move(fingerprint);
  job.timer = &timer;
  job.memory_bytes = memory.empty() ? 0 : parse_size(memory);
  job.tmpdir = tmpdir;
  job.force_spill = spill;
  job.spill_stats = &spill_stats;
  job.dynamic.task_time_limit = task_time_limit;
  job.dynamic.reissue = task_time_limit > 0;
  job.dynamic.on_straggler = [name = std::string(program)](const StragglerReport& r) {
    fmt::print(stderr, "{}: warning: {}\n", name, describe(r));
    std::fflush(stderr);
  };
  return job;
}

}  // namespace mrkit

namespace mrkit {

void JobCommandLine::print_stats(const boost::mpi::communicator& comm, const RankTimer& timer,
                                 std::string_view program) const {
  if (!stats) return;
  print_rank_stats(comm, timer, program, *stats);
  const bool spilled =
      boost::mpi::all_reduce(comm, spill_stats.spilled_bytes != 0, std::logical_or<>());
  if (!spilled) return;
  std::uint64_t sums[] = {spill_stats.spilled_bytes, spill_stats.read_bytes, spill_stats.runs};
  sum_to_root(comm, sums, mother_rank);
  if (comm.rank() != mother_rank) return;
  if (*stats == StatsFormat::json) {
    fmt::print(stderr,
               "{{\"program\": \"{}\", \"spill\": {{\"budget_bytes\": {}, \"spilled_bytes\": {}, "
               "\"read_bytes\": {}, \"runs\": {}, \"rounds\": {}}}}}\n",
               program, spill_stats.budget_bytes, sums[0], sums[1], sums[2], spill_stats.rounds);
  } else {
    fmt::print(
        stderr,
        "{}: memory: budget {} per rank; spilled {} bytes in {} runs, read back {} bytes, {} "
        "exchange rounds (sums over ranks)\n",
        program, format_size(spill_stats.budget_bytes), sums[0], sums[2], sums[1],
        spill_stats.rounds);
  }
  std::fflush(stderr);
}

}  // namespace mrkit
