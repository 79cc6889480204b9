// invindex: an inverted index of files and directories on the map-reduce engine: for every
// word, the files that hold it and how often. FileSource cuts the input into byte-range tasks;
// each task counts the words that begin in it per file and emits (word, [file, count]);
// reduce_by_key merges the postings of a word (files in listing order, counts of a file cut
// into several tasks added); the result comes out sorted bytewise by word.
#include <mrkit/cli/command_line.hpp>
#include <mrkit/cli/job_command_line.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/io/output_text.hpp>
#include <mrkit/mapreduce/file_source.hpp>
#include <mrkit/mapreduce/reduce_by_key.hpp>
#include <mrkit/mapreduce/sorted_output.hpp>
#include <mrkit/tasks/progress_meter.hpp>
#include <mrkit/tasks/rank_stats.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr const char* program = "invindex";

// A word's postings: file index, count, file index, count, ... by file index, each file once.
using Postings = std::vector<std::uint64_t>;
using Pair = std::pair<std::string, Postings>;

// The postings of both, files in order, the counts of a file in both added. Tasks reach a rank
// in order, so `b` mostly starts at or after the end of `a`: then it is appended.
Postings merge(Postings a, Postings b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  if (a[a.size() - 2] <= b[0]) {
    std::size_t from = 0;
    if (a[a.size() - 2] == b[0]) {
      a.back() += b[1];
      from = 2;
    }
    a.insert(a.end(), b.begin() + static_cast<std::ptrdiff_t>(from), b.end());
    return a;
  }
  if (b[b.size() - 2] < a[0]) {
    b.insert(b.end(), a.begin(), a.end());
    return b;
  }
  Postings out;
  out.reserve(a.size() + b.size());
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i] < b[j])) {
      out.insert(out.end(), {a[i], a[i + 1]});
      i += 2;
    } else if (i == a.size() || b[j] < a[i]) {
      out.insert(out.end(), {b[j], b[j + 1]});
      j += 2;
    } else {
      out.insert(out.end(), {a[i], a[i + 1] + b[j + 1]});
      i += 2;
      j += 2;
    }
  }
  return out;
}

// One output line (or JSON object) of a word and its postings.
std::string line(const Pair& p, const std::vector<mrkit::InputFile>& files,
                 mrkit::OutputFormat format) {
  const Postings& postings = p.second;
  std::string out;
  switch (format) {
    case mrkit::OutputFormat::tsv:
      out = mrkit::tsv_escape(p.first);
      for (std::size_t i = 0; i < postings.size(); i += 2) {
        out += fmt::format("\t{}\t{}", mrkit::tsv_escape(files[postings[i]].path), postings[i + 1]);
      }
      return out + "\n";
    case mrkit::OutputFormat::json: {
      nlohmann::json j{{"word", p.first}, {"files", nlohmann::json::array()}};
      for (std::size_t i = 0; i < postings.size(); i += 2) {
        j["files"].push_back({{"path", files[postings[i]].path}, {"count", postings[i + 1]}});
      }
      return mrkit::json_dump_bytes(j) + "\n";
    }
    case mrkit::OutputFormat::text:
      break;
  }
  out = p.first + ":";
  for (std::size_t i = 0; i < postings.size(); i += 2) {
    out += fmt::format("{} {} ({})", i == 0 ? "" : ",",
                       mrkit::wc_quoted_name(files[postings[i]].path), postings[i + 1]);
  }
  return out + "\n";
}

std::string render(const std::vector<Pair>& index, const std::vector<mrkit::InputFile>& files,
                   mrkit::OutputFormat format) {
  std::string out;
  if (format == mrkit::OutputFormat::json) {
    out = "{\"words\":[";
    for (std::size_t i = 0; i < index.size(); ++i) {
      if (i > 0) out += ',';
      std::string item = line(index[i], files, format);
      item.pop_back();  // its newline
      out += item;
    }
    return out + "]}\n";
  }
  for (const Pair& p : index) out += line(p, files, format);
  return out;
}

int invindex(mrkit::Runtime& rt, int argc, char** argv) {
  CLI::App app{
      "Build an inverted index of files and directories with MPI: for every word, the files "
      "that hold it and how often.\nA word is a maximal run of bytes that are not ASCII white "
      "space (as Python's bytes.split()).\nOutput: words bytewise, each with its files in the "
      "order they are listed; the same at every rank count, schedule and split size.\nExit "
      "codes: 0 success, 1 run-time failure, 2 bad command line, 3 bad input; 130 (SIGINT) or "
      "143 (SIGTERM) when interrupted (under mpirun: 1).",
      program};
  app.footer(
      "Formats: text 'word: path (count), path (count)'; tsv 'word<TAB>path<TAB>count<TAB>path"
      "<TAB>count...' (\\, tab, newline, CR escaped); json {\"words\": [{\"word\": W, \"files\": "
      "[{\"path\": P, \"count\": N}, ...]}, ...]} (--output-dir: one word object per line).");
  mrkit::OutputOptions out;
  std::vector<std::string> paths;
  mrkit::JobCommandLine job_cli;

  app.add_option("paths", paths,
                 "Files and directories (walked recursively, files in bytewise order of their "
                 "paths); standard input ('-') is not read")
      ->required()
      ->type_name("PATH");
  job_cli.add_options(
      app, {"", "other inputs or --split-bytes",
            "Write the index, sorted, as DIR/part-NNNNN (one per rank, in the --format: json "
            "gives one word object per line) and then DIR/_SUCCESS; `cat DIR/part-*` is what -o "
            "would hold (json: its words, one per line). Not with -o"});
  mrkit::add_output_options(app, out, "text|tsv|json");

  if (auto code = mrkit::parse_command_line(app, argc, argv, rt)) return *code;

  job_cli.check(program, out);

  mrkit::RankTimer timer;
  const boost::mpi::communicator& comm = rt.world();
  const mrkit::FileSource source(comm, paths, job_cli.source_options());
  for (const auto& w : source.warnings()) fmt::print(stderr, "{}: warning: {}\n", program, w);

  mrkit::ProgressMeter meter(
      program, "tasks",
      rt.is_mother() && (job_cli.progress || mrkit::ProgressMeter::stderr_is_terminal()));
  mrkit::JobOptions job =
      job_cli.job_options(program, fmt::format("{}\n{}", program, source.fingerprint()), timer);
  job.progress = [&meter](std::uint64_t done, std::uint64_t total) { meter.update(done, total); };
  const auto index = mrkit::reduce_by_key<std::string, Postings>(
      comm, source.tasks(),
      [&](std::uint64_t task, auto& emit) {
        // The words of the task's piece of one file, counted, then emitted once each.
        mrkit::KeyTable<std::string, std::uint64_t> counts;
        std::size_t file = 0;
        const auto flush = [&] {
          for (const auto& [word, n] : counts) emit(std::string_view(word), Postings{file, n});
          counts.clear();
        };
        source.for_each_word(task, [&](const mrkit::Record& word) {
          if (word.file != file) {
            flush();
            file = word.file;
          }
          const auto found = counts.find(word.bytes);
          if (found == counts.end()) {
            counts.emplace(std::string(word.bytes), 1);
          } else {
            ++found->second;
          }
        });
        flush();
      },
      merge, job);
  meter.finish();
  timer.add_io_inside_tasks(source.io_seconds());
  timer.add_bytes(source.bytes_read());
  std::uint64_t table_bytes = 0;
  for (const auto& [word, postings] : index.local()) {
    table_bytes += word.size() + sizeof(Pair) + postings.size() * sizeof(std::uint64_t);
  }
  timer.note_data_bytes(table_bytes);

  std::string result;
  if (!job_cli.output_dir.empty()) {
    auto t = timer.time(mrkit::TimeBucket::io);
    mrkit::write_sorted_parts(comm, job_cli.output_dir, index, mrkit::by_key,
                              [&](const Pair& p) { return line(p, source.files(), out.format); });
  } else {
    const std::vector<Pair> all = index.gather();
    if (rt.is_mother()) result = render(all, source.files(), out.format);
  }
  job_cli.print_stats(comm, timer, program);
  if (rt.is_mother() && job_cli.output_dir.empty()) mrkit::emit(out, result);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, program,
                    [&](mrkit::Runtime& rt) { return invindex(rt, argc, argv); });
}
