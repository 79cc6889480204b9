// ngrams: counts of word n-grams (N consecutive words of one file) over files and directories,
// on the map-reduce engine: FileSource cuts the input into byte-range tasks, each task emits the
// n-grams that begin in it (reading ahead past its end to finish its last ones), count_by_key
// sums them, and the result comes out sorted by count descending, then n-gram bytewise.
#include <mrkit/cli/command_line.hpp>
#include <mrkit/cli/job_command_line.hpp>
#include <mrkit/comm/reduce.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/io/output_text.hpp>
#include <mrkit/mapreduce/count_by_key.hpp>
#include <mrkit/mapreduce/file_source.hpp>
#include <mrkit/mapreduce/sorted_output.hpp>
#include <mrkit/tasks/progress_meter.hpp>
#include <mrkit/tasks/rank_stats.hpp>
#include "ngram_source.hpp"

#include <fmt/format.h>
#include <boost/mpi/collectives.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#ifdef MRKIT_NGRAMS_TEST_HOOK
#include <mrkit/core/clock.hpp>
#include <mrkit/mapreduce/task_yield.hpp>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <thread>
#endif

namespace {

constexpr const char* program = "ngrams";

using Pair = std::pair<std::string, std::uint64_t>;

#ifdef MRKIT_NGRAMS_TEST_HOOK
// The test build only (ngrams_hooked in tests/CMakeLists.txt): MRKIT_TEST_SLOW_TASK=TASK:SECONDS
// makes task TASK sleep SECONDS before it maps, in 10 ms steps that each yield to the scheduler,
// so that a test can kill a checkpointed run part-way.
std::function<void(std::uint64_t)> slow_task_from_environment() {
  const char* value = std::getenv("MRKIT_TEST_SLOW_TASK");
  if (value == nullptr || *value == '\0') return {};
  std::uint64_t slow_task = 0;
  double seconds = 0;
  const std::string_view text(value);
  const std::size_t colon = text.find(':');
  const char* last = text.data() + text.size();
  if (colon == std::string_view::npos ||
      std::from_chars(text.data(), text.data() + colon, slow_task).ptr != text.data() + colon ||
      std::from_chars(text.data() + colon + 1, last, seconds).ptr != last || !(seconds >= 0)) {
    throw std::runtime_error("MRKIT_TEST_SLOW_TASK must be TASK:SECONDS, not '" +
                             std::string(text) + "'");
  }
  return [slow_task, seconds](std::uint64_t task) {
    if (task != slow_task) return;
    const auto until = mrkit::Clock::now() + std::chrono::duration<double>(seconds);
    while (mrkit::Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      mrkit::yield_in_task();
    }
  };
}
#endif

// One output line of an n-gram (text: the count right-aligned to `width`).
std::string line(const Pair& p, mrkit::OutputFormat format, std::size_t width) {
  switch (format) {
    case mrkit::OutputFormat::tsv:
      return fmt::format("{}\t{}\n", p.second, mrkit::tsv_escape(p.first));
    case mrkit::OutputFormat::json:
      return mrkit::json_dump_bytes(nlohmann::json{{"ngram", p.first}, {"count", p.second}}) + "\n";
    case mrkit::OutputFormat::text:
      break;
  }
  return fmt::format("{:>{}} {}\n", p.second, width, p.first);
}

std::size_t count_width(std::uint64_t largest) {
  return fmt::formatted_size("{}", largest);
}

std::string render(const std::vector<Pair>& shown, mrkit::OutputFormat format, std::uint64_t n,
                   std::uint64_t distinct, std::uint64_t total) {
  std::string out;
  if (format == mrkit::OutputFormat::json) {
    nlohmann::json j;
    j["n"] = n;
    j["distinct"] = distinct;
    j["total"] = total;
    j["ngrams"] = nlohmann::json::array();
    for (const Pair& p : shown) j["ngrams"].push_back({{"ngram", p.first}, {"count", p.second}});
    return mrkit::json_dump_bytes(j) + "\n";
  }
  const std::size_t width = shown.empty() ? 1 : count_width(shown.front().second);
  for (const Pair& p : shown) out += line(p, format, width);
  return out;
}

int ngrams(mrkit::Runtime& rt, int argc, char** argv) {
  CLI::App app{
      "Count word n-grams (N consecutive words of one file, joined by one space) in files and "
      "directories with MPI, most frequent first.\nA word is a maximal run of bytes that are "
      "not ASCII white space (as Python's bytes.split()); an n-gram never spans two files.\n"
      "Output: count descending, then n-gram bytewise; the same at every rank count, schedule "
      "and split size.\nExit codes: 0 success, 1 run-time failure, 2 bad command line, 3 bad "
      "input; 130 (SIGINT) or 143 (SIGTERM) when interrupted (under mpirun: 1).",
      program};
  mrkit::OutputOptions out;
  std::vector<std::string> paths;
  std::uint64_t n = 0;
  std::uint64_t top = 0;
  bool ignore_case = false;
  mrkit::JobCommandLine job_cli;

  app.add_option("paths", paths,
                 "Files and directories (walked recursively, files in bytewise order of their "
                 "paths); standard input ('-') is not read")
      ->required()
      ->type_name("PATH");
  app.add_option("-n", n, "Words per n-gram (1: single words)")
      ->required()
      ->type_name("N")
      ->check(mrkit::whole_number(1));
  app.add_option("--top", top, "List only the K most frequent n-grams (default, and 0: all)")
      ->type_name("K")
      ->check(mrkit::whole_number(0));
  app.add_flag("-i,--ignore-case", ignore_case, "Fold ASCII letters to lower case");
  job_cli.add_options(
      app, {"", "other inputs, -n, -i or --split-bytes",
            "Write every n-gram, sorted, as DIR/part-NNNNN (one per rank, in the --format: json "
            "gives one object per line) and then DIR/_SUCCESS; `cat DIR/part-*` is what -o "
            "would hold. Not with -o or --top"});
  mrkit::add_output_options(app, out, "text|tsv|json");

  if (auto code = mrkit::parse_command_line(app, argc, argv, rt)) return *code;

  job_cli.check(program, out);
  if (!job_cli.output_dir.empty() && app.count("--top") > 0) {
    throw mrkit::UsageError(
        "--top and --output-dir cannot be used together: --output-dir writes every n-gram (see " +
        std::string(program) + " --help)");
  }

  mrkit::RankTimer timer;
  const boost::mpi::communicator& comm = rt.world();
  const mrkit::FileSource source(comm, paths, job_cli.source_options());
  for (const auto& w : source.warnings()) fmt::print(stderr, "{}: warning: {}\n", program, w);

  mrkit::ProgressMeter meter(
      program, "tasks",
      rt.is_mother() && (job_cli.progress || mrkit::ProgressMeter::stderr_is_terminal()));
  mrkit::JobOptions job =
      job_cli.job_options(program,
                          fmt::format("{}\nn {}\nignore_case {}\n{}", program, n,
                                      ignore_case ? 1 : 0, source.fingerprint()),
                          timer);
  job.progress = [&meter](std::uint64_t done, std::uint64_t total) { meter.update(done, total); };
#ifdef MRKIT_NGRAMS_TEST_HOOK
  const auto before_task = slow_task_from_environment();
#endif
  std::uint64_t read_ahead = 0;
  // String keys with counts: count_by_key, the engine's word-table specialisation.
  const auto counts = mrkit::count_by_key(
      comm, source.tasks(),
      [&](std::uint64_t task, auto& emit) {
#ifdef MRKIT_NGRAMS_TEST_HOOK
        if (before_task) before_task(task);
#endif
        mrkit::apps::for_each_ngram(
            source, task, static_cast<std::size_t>(n), ignore_case,
            [&](std::string_view gram) { emit(gram); }, &read_ahead);
      },
      job);
  meter.finish();
  timer.add_io_inside_tasks(source.io_seconds());
  timer.add_bytes(source.bytes_read() + read_ahead);
  std::uint64_t table_bytes = 0;
  for (const auto& [gram, count] : counts.local()) table_bytes += gram.size() + sizeof(Pair);
  timer.note_data_bytes(table_bytes);

  std::string result;
  if (!job_cli.output_dir.empty()) {
    std::uint64_t largest = 0;
    for (const auto& [gram, count] : counts.local()) largest = std::max(largest, count);
    largest = boost::mpi::all_reduce(comm, largest, boost::mpi::maximum<std::uint64_t>());
    const std::size_t width = count_width(largest);
    auto t = timer.time(mrkit::TimeBucket::io);
    mrkit::write_sorted_parts(comm, job_cli.output_dir, counts, mrkit::by_value_descending,
                              [&](const Pair& p) { return line(p, out.format, width); });
  } else {
    std::uint64_t occurrences = 0;
    for (const auto& [gram, count] : counts.local()) occurrences += count;
    const std::uint64_t total = mrkit::sum_all(comm, occurrences);
    const std::uint64_t distinct = counts.size();
    const std::vector<Pair> shown = counts.top_k(top, mrkit::by_value_descending);
    if (rt.is_mother()) result = render(shown, out.format, n, distinct, total);
  }
  job_cli.print_stats(comm, timer, program);
  if (rt.is_mother() && job_cli.output_dir.empty()) mrkit::emit(out, result);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, program,
                    [&](mrkit::Runtime& rt) { return ngrams(rt, argc, argv); });
}
