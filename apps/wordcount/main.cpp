// wordcount: the course's word-sum example grown up. The mother lists the files and hands out
// byte ranges; every rank counts the words that begin in its ranges; the mother sums them,
// per file and in total, and optionally ranks the most frequent words.
#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/io/output_text.hpp>
#include <mrkit/io/shared_output.hpp>
#include <mrkit/tasks/progress_meter.hpp>
#include <mrkit/tasks/rank_stats.hpp>
#include "word_count.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <boost/mpi/collectives.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#ifdef MRKIT_WORDCOUNT_TEST_HOOK
#include <mrkit/core/clock.hpp>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <thread>
#endif

namespace {

constexpr const char* program = "wordcount";

#ifdef MRKIT_WORDCOUNT_TEST_HOOK
// The test build only (wordcount_hooked in tests/CMakeLists.txt; the shipped wordcount never
// reads the variable): MRKIT_TEST_SLOW_TASK=TASK:SECONDS makes every copy of task TASK (numbered
// as in --checkpoint) sleep SECONDS before it counts, in 10 ms steps that each call `yield`, so
// that it plays a straggler for --task-time-limit or holds a run for a signal.
std::function<void(std::uint64_t, const mrkit::Yield&)> slow_task_from_environment() {
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
  return [slow_task, seconds](std::uint64_t task, const mrkit::Yield& yield) {
    if (task != slow_task) return;
    const auto until = mrkit::Clock::now() + std::chrono::duration<double>(seconds);
    while (mrkit::Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      yield();
    }
  };
}
#endif

// Which lines of the result are shown: every file's (default), none (--no-files), or only the
// total as a bare number, as `wc --total=only` prints it (--total-only).
enum class Listing { files, no_files, total_only };

// The lines of --top's words (JSON: the array's elements, `first`: with no comma before the
// first one); text pads the counts to `count_width`.
std::string render_words(const std::vector<mrkit::WordCount>& words, mrkit::OutputFormat format,
                         std::size_t count_width, bool first) {
  std::string out;
  for (const auto& w : words) {
    if (format == mrkit::OutputFormat::json) {
      // As json_dump_bytes writes {"word": ..., "count": ...}: keys sorted, no spaces.
      out += fmt::format("{}{{\"count\":{},\"word\":{}}}", first ? "" : ",", w.count,
                         mrkit::json_string_bytes(w.word));
      first = false;
    } else if (format == mrkit::OutputFormat::tsv) {
      out += fmt::format("word\t{}\t{}\n", w.count, mrkit::tsv_escape(w.word));
    } else {
      out += fmt::format("{:>{}} {}\n", w.count, count_width, w.word);
    }
  }
  return out;
}

// The widest count of `words` (at least 1), as text pads them.
std::size_t count_width(const std::vector<mrkit::WordCount>& words) {
  std::size_t cw = 1;
  for (const auto& w : words) cw = std::max(cw, fmt::formatted_size("{}", w.count));
  return cw;
}

// The result around --top's words: what comes before them and after them (JSON's end).
struct Frame {
  std::string head;
  std::string tail;
};

Frame render_frame(const mrkit::WordCountResult& r, mrkit::OutputFormat format, bool with_top,
                   Listing listing) {
  std::string out;
  const bool with_files = listing == Listing::files;
  if (format == mrkit::OutputFormat::json) {
    nlohmann::json j;
    j["total_words"] = r.total_words;
    if (with_files) {
      j["files"] = nlohmann::json::array();
      for (std::size_t i = 0; i < r.files.size(); ++i) {
        j["files"].push_back({{"path", r.files[i].path}, {"words", r.words_per_file[i]}});
      }
    }
    if (with_top) {
      j["distinct_words"] = r.distinct_words;
      j["top"] = nlohmann::json::array();  // the words go between its brackets
    }
    j["ranks"] = r.ranks;
    // Paths and words are bytes: valid UTF-8 as it is, each other byte as the escape \udcXX
    // (Python's surrogateescape), so no two of them print alike.
    out = mrkit::json_dump_bytes(j) + "\n";
    if (!with_top) return {out, {}};
    // "top" is the last key of the object but "total_words" (keys are sorted, and a quote
    // inside a string is escaped, so the last match is the key).
    const std::size_t at = out.rfind(R"("top":[])") + 7;
    return {out.substr(0, at), out.substr(at)};
  }
  if (format == mrkit::OutputFormat::tsv) {
    // One record per line, its kind first: file / total / word; fields escaped alike.
    if (with_files) {
      for (std::size_t i = 0; i < r.files.size(); ++i) {
        out +=
            fmt::format("file\t{}\t{}\n", r.words_per_file[i], mrkit::tsv_escape(r.files[i].path));
      }
    }
    out += fmt::format("total\t{}\n", r.total_words);
    return {out, {}};
  }
  // Text: like `wc -w`, counts right-aligned, then the total; a name holding a newline is
  // quoted as wc quotes it, so it cannot forge a line. (A word never holds a line end.)
  if (listing == Listing::total_only) {
    out += fmt::format("{}\n", r.total_words);
  } else {
    const std::size_t width = fmt::formatted_size("{}", r.total_words);
    if (with_files) {
      for (std::size_t i = 0; i < r.files.size(); ++i) {
        out += fmt::format("{:>{}} {}\n", r.words_per_file[i], width,
                           mrkit::wc_quoted_name(r.files[i].path));
      }
    }
    out += fmt::format("{:>{}} total\n", r.total_words, width);
  }
  if (with_top) out += fmt::format("\n{} distinct words; most frequent:\n", r.distinct_words);
  return {out, {}};
}

std::string render(const mrkit::WordCountResult& r, mrkit::OutputFormat format, bool with_top,
                   Listing listing) {
  Frame frame = render_frame(r, format, with_top, listing);
  if (!with_top) return frame.head;
  return frame.head + render_words(r.top, format, count_width(r.top), true) + frame.tail;
}

// --top 0: every rank holds its range of the vocabulary (in rank order, the output order),
// formats it and writes it at its place in the output (io/shared_output.hpp), so the whole
// vocabulary never passes through one rank. The mother's part starts with the header, the last
// rank's ends with JSON's closing; counts are padded to the widest of all ranks.
void write_spread(const boost::mpi::communicator& comm, const mrkit::WordCountResult& r,
                  const mrkit::OutputOptions& out, Listing listing) {
  std::size_t cw = 1;
  boost::mpi::all_reduce(comm, count_width(r.top), cw, boost::mpi::maximum<std::size_t>());
  std::vector<std::uint64_t> sizes;
  boost::mpi::all_gather(comm, static_cast<std::uint64_t>(r.top.size()), sizes);
  bool first = true;  // no word on a lower rank: this rank's first word is the first of all
  for (int rank = 0; rank < comm.rank(); ++rank)
    first = first && sizes[static_cast<std::size_t>(rank)] == 0;
  const Frame frame = render_frame(r, out.format, true, listing);
  std::string bytes;
  if (comm.rank() == mrkit::mother_rank) bytes = frame.head;
  bytes += render_words(r.top, out.format, cw, first);
  if (comm.rank() == comm.size() - 1) bytes += frame.tail;
  mrkit::write_file_together(comm, out.output_path, bytes);
}

// --stats: the job's shape, then the per-rank table (or one JSON object) on standard error.
void print_stats(const mrkit::WordCountResult& r, mrkit::StatsFormat format) {
  if (format == mrkit::StatsFormat::json) {
    std::fputs(mrkit::rank_times_json(r.rank_times, program).c_str(), stderr);
    return;
  }
  fmt::print(stderr, "{}: {} task{} of {} bytes; data_MiB is the word table at its largest\n",
             program, r.tasks, r.tasks == 1 ? "" : "s", r.split_bytes);
  std::fputs(mrkit::format_rank_times(r.rank_times, program).c_str(), stderr);
}

int wordcount(mrkit::Runtime& rt, int argc, char** argv) {
  CLI::App app{
      "Count words in files and directories with MPI: per file, in total, and the most "
      "frequent words.\nA word is a maximal run of bytes that are not ASCII white space "
      "(as Python's bytes.split()).\nExit codes: 0 success, 1 run-time failure, 2 bad "
      "command line, 3 bad input; 130 (SIGINT) or 143 (SIGTERM) when interrupted (under "
      "mpirun: 1).",
      program};
  app.footer(
      "Environment: MRKIT_IO_URING=0 reads small files one by one instead of in io_uring "
      "batches (same counts).");
  mrkit::OutputOptions out;
  mrkit::WordCountOptions opt;
  std::vector<std::string> paths;
  std::string schedule = "dynamic";
  std::uint64_t top = 0;
  std::uint64_t split = 0;
  std::optional<mrkit::StatsFormat> stats;

  app.add_option("paths", paths,
                 "Files and directories (walked recursively); a file whose listed size is not "
                 "its content (/proc, /sys) is read when listed, at most 64 MiB; standard input "
                 "('-') is not read")
      ->required()
      ->type_name("PATH");
  app.add_option("--top", top, "Also list the N most frequent words (0: all of them)")
      ->type_name("N")
      ->check(mrkit::whole_number(0));
  app.add_flag("-i,--ignore-case", opt.ignore_case, "Fold ASCII letters to lower case for --top");
  bool total_only = false;
  bool no_files = false;
  app.add_flag("--total-only", total_only,
               "Print only the total, a bare number (as wc --total=only); with --top, the total "
               "and the most frequent words");
  app.add_flag("--no-files", no_files,
               "Leave out the per-file lines: the total (and --top's words) only");
  app.add_option("--schedule", schedule, "How tasks reach ranks: static or dynamic")
      ->check(mrkit::one_of({"static", "dynamic"}))
      ->default_str("dynamic");
  app.add_option("--split-bytes", split,
                 "Bytes per task (default: about 16 tasks per rank, 1 MiB to 64 MiB)")
      ->type_name("B")
      ->check(mrkit::whole_number(1));
  mrkit::add_stats_option(app, stats);
  app.add_option("--checkpoint", opt.checkpoint_dir,
                 "Record finished tasks in DIR (shared by all ranks); re-running the same "
                 "command after a crash resumes from it. Every record is verified (checksum, "
                 "job, task); a bad one is named and its tasks run again. A checkpoint of other "
                 "inputs or options, or one in use by another run, is refused (exit 3)")
      ->type_name("DIR")
      ->check(CLI::Validator(
          [](const std::string& dir) -> std::string {
            return dir.empty() ? "expected a directory, got an empty name" : "";
          },
          ""));
  app.add_option("--task-time-limit", opt.task_time_limit,
                 "Dynamic schedule: warn about a task still running after SECONDS, and once "
                 "all tasks are handed out run a copy on an idle rank (the first to finish "
                 "counts)")
      ->type_name("SECONDS")
      ->check(mrkit::positive_seconds());
  bool progress = false;
  app.add_flag("--progress", progress,
               "Show progress on standard error (default: only when it is a terminal)");
  mrkit::add_output_options(app, out, "text|tsv|json");

  if (auto code = mrkit::parse_command_line(app, argc, argv, rt)) return *code;

  if (total_only && no_files) {
    throw mrkit::UsageError("--total-only and --no-files cannot be used together (see " +
                            std::string(program) + " --help)");
  }
  opt.schedule = schedule == "static" ? mrkit::Schedule::static_blocks : mrkit::Schedule::dynamic;
  if (opt.task_time_limit > 0 && opt.schedule != mrkit::Schedule::dynamic) {
    throw mrkit::UsageError("--task-time-limit needs --schedule dynamic (see " +
                            std::string(program) + " --help)");
  }
  opt.on_straggler = [](const mrkit::StragglerReport& r) {
    fmt::print(stderr, "{}: warning: {}\n", program, mrkit::describe(r));
    std::fflush(stderr);
  };
  opt.split_bytes = split;
  opt.frequencies = app.count("--top") > 0;
  opt.top = top;
  // MRKIT_BENCH_GATHER_ALL=1 (bench/parallel_output.sh only, not documented for users): --top 0
  // gathers the vocabulary on the mother as before, to compare the two ways to write it.
  const char* gather_all = std::getenv("MRKIT_BENCH_GATHER_ALL");
  opt.spread_all = opt.frequencies && top == 0 &&
                   !(gather_all != nullptr && std::string_view(gather_all) == "1");
#ifdef MRKIT_WORDCOUNT_TEST_HOOK
  opt.before_task = slow_task_from_environment();
#endif
  mrkit::set_interrupt_note(mrkit::checkpoint_interrupt_note(opt.checkpoint_dir));

  mrkit::ProgressMeter meter(
      program, "tasks", rt.is_mother() && (progress || mrkit::ProgressMeter::stderr_is_terminal()));
  opt.progress = [&meter](std::uint64_t done, std::uint64_t total) { meter.update(done, total); };
  const mrkit::WordCountResult result = mrkit::count_words(rt.world(), paths, opt);
  meter.finish();
  if (rt.is_mother()) {
    for (const auto& w : result.warnings) fmt::print(stderr, "{}: warning: {}\n", program, w);
    if (result.resumed_tasks > 0) {
      fmt::print(stderr, "{}: resumed from checkpoint: {} of {} tasks were already done\n", program,
                 result.resumed_tasks, result.tasks);
    }
  }
  const Listing listing = total_only ? Listing::total_only
                          : no_files ? Listing::no_files
                                     : Listing::files;
  if (opt.spread_all) {
    write_spread(rt.world(), result, out, listing);  // collective
  } else if (rt.is_mother()) {
    mrkit::emit(out, render(result, out.format, opt.frequencies, listing));
  }
  if (!rt.is_mother()) return 0;
  if (stats) print_stats(result, *stats);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, program,
                    [&](mrkit::Runtime& rt) { return wordcount(rt, argc, argv); });
}
