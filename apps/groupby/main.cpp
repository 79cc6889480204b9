// groupby: count lines and sum numeric columns per key over TSV or CSV files, with MPI (the
// "requests per HTTP status" job). A thin main over the map-reduce engine: group_by.hpp.
#include <mrkit/cli/command_line.hpp>
#include <mrkit/cli/job_command_line.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/io/output_text.hpp>
#include <mrkit/mapreduce/sorted_output.hpp>
#include <mrkit/tasks/progress_meter.hpp>
#include <mrkit/tasks/rank_stats.hpp>
#include "group_by.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr const char* program = "groupby";
namespace gb = mrkit::groupby;

bool is_number(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A column as given (1-based number, or a name in the header) as a 0-based index.
std::size_t resolve_column(const std::string& spec, const std::string& option,
                           const std::vector<std::string>& header, bool with_header) {
  if (is_number(spec)) {
    const unsigned long long n = spec.size() > 9 ? 0 : std::stoull(spec);
    if (n == 0) {
      throw mrkit::UsageError(option + ": columns are numbered from 1, got '" + spec + "'");
    }
    return static_cast<std::size_t>(n - 1);
  }
  if (!with_header) {
    throw mrkit::UsageError(option + ": '" + spec +
                            "' is not a column number; columns are named only with --header");
  }
  const auto found = std::find(header.begin(), header.end(), spec);
  if (found == header.end()) {
    throw mrkit::InputError(option + ": no column named '" + mrkit::tsv_escape(spec) +
                            "' in the header" + (header.empty() ? " (every file is empty)" : ""));
  }
  return static_cast<std::size_t>(found - header.begin());
}

struct Row {
  std::string_view key;
  std::vector<std::string> numbers;  // the count (if shown), then the sums
};

Row make_row(const std::pair<std::string, gb::Value>& pair, bool with_count, std::size_t sums) {
  Row row{gb::key_bytes(pair.first), {}};
  if (with_count) row.numbers.push_back(std::to_string(gb::count_of(pair.second)));
  for (const gb::Total& t : gb::totals_of(pair.second, sums))
    row.numbers.push_back(gb::format_total(t));
  return row;
}

std::string tsv_line(const Row& row) {
  std::string line = mrkit::tsv_escape(row.key);
  for (const std::string& n : row.numbers) (line += '\t') += n;
  return line += '\n';
}

std::string render(const std::vector<std::pair<std::string, gb::Value>>& pairs,
                   mrkit::OutputFormat format, bool with_count,
                   const std::vector<std::string>& sum_specs, const std::string& key_spec,
                   const gb::Result& result) {
  std::vector<Row> rows;
  rows.reserve(pairs.size());
  for (const auto& p : pairs) rows.push_back(make_row(p, with_count, sum_specs.size()));
  std::string out;
  if (format == mrkit::OutputFormat::json) {
    nlohmann::json j;
    j["key_column"] = key_spec;
    j["sum_columns"] = sum_specs;
    j["groups"] = nlohmann::json::array();
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      nlohmann::json g;
      g["key"] = std::string(rows[i].key);
      if (with_count) g["count"] = gb::count_of(pairs[i].second);
      g["sums"] = nlohmann::json::array();
      for (const gb::Total& t : gb::totals_of(pairs[i].second, sum_specs.size())) {
        if (t.decimal) {
          g["sums"].push_back(t.number);
        } else {
          g["sums"].push_back(t.integer);
        }
      }
      j["groups"].push_back(std::move(g));
    }
    j["records"] = result.records;
    j["skipped_lines"] = result.bad_lines;
    return mrkit::json_dump_bytes(j) + "\n";
  }
  if (format == mrkit::OutputFormat::tsv) {
    for (const Row& row : rows) out += tsv_line(row);
    return out;
  }
  // Text: the numbers right-aligned in columns (as uniq -c), then the key (escaped as in TSV).
  std::vector<std::size_t> width;
  for (const Row& row : rows) {
    width.resize(row.numbers.size(), 0);
    for (std::size_t c = 0; c < row.numbers.size(); ++c) {
      width[c] = std::max(width[c], row.numbers[c].size());
    }
  }
  for (const Row& row : rows) {
    for (std::size_t c = 0; c < row.numbers.size(); ++c) {
      out += fmt::format("{:>{}} ", row.numbers[c], width[c]);
    }
    out += mrkit::tsv_escape(row.key);
    out += '\n';
  }
  return out;
}

int groupby(mrkit::Runtime& rt, int argc, char** argv) {
  CLI::App app{
      "Count records and sum numeric columns per key over TSV or CSV files, with MPI.\n"
      "A record is a line ('\\n' ends it, a '\\r' before it is dropped; empty lines are "
      "skipped); its fields are split at the delimiter (TSV: no quoting), or read as CSV "
      "(Python's csv module) with --csv. Per distinct key (the bytes of --key's column): the "
      "number of records (--count; the default without --sum) and the sum of each --sum "
      "column, sorted by key bytes. Sums are exact, whatever the rank count or split: "
      "integers (within int64; a total outside int64 is an error), or, for a key with any "
      "decimal value in that column, the exact sum of its values as doubles rounded once (as "
      "Python's math.fsum). A line with too few fields or a value that is not a number is an "
      "error naming FILE:LINE (the first in input order), or skipped and counted with "
      "--skip-bad.\nExit codes: 0 success, 1 run-time failure, 2 bad command line, 3 bad input; "
      "130 (SIGINT) or 143 (SIGTERM) when interrupted (under mpirun: 1).",
      program};
  app.footer(
      "Formats: text 'COUNT SUM... KEY' (numbers right-aligned, as uniq -c); tsv "
      "'KEY<TAB>COUNT<TAB>SUM...'; json {\"groups\": [{\"key\", \"count\", \"sums\"}], "
      "\"records\", \"skipped_lines\", ...}. Keys are escaped as TSV fields (\\, tab, newline, "
      "CR) in text and tsv, and as JSON strings (bytes that are not UTF-8 as \\udcXX).\n"
      "Example, requests per HTTP status in an access log: groupby --key 9 --delimiter ' ' "
      "access.log");
  mrkit::OutputOptions out;
  std::vector<std::string> paths;
  std::string key_spec;
  std::vector<std::string> sum_specs;
  bool count = false;
  std::string delimiter = "\t";
  bool csv = false;
  bool quoted_newlines = false;
  bool header = false;
  bool skip_bad = false;
  mrkit::JobCommandLine job_cli;

  app.add_option("paths", paths, "Files and directories (walked recursively)")
      ->required()
      ->type_name("PATH");
  app.add_option("--key", key_spec, "The key's column: a number from 1, or a name with --header")
      ->required()
      ->type_name("COL");
  app.add_option("--sum", sum_specs, "Sum this column per key (repeatable)")
      ->type_name("COL")
      ->allow_extra_args(false);
  app.add_flag("--count", count, "Count the records per key (the default without --sum)");
  app.add_option("--delimiter", delimiter,
                 "The byte between fields (default: tab; '\\t' is a tab too)")
      ->type_name("C");
  app.add_flag("--csv", csv,
               "Read each line as CSV (quotes, doubled quotes; as Python's csv module); a quoted "
               "field may not hold a line break (see --quoted-newlines)");
  app.add_flag("--quoted-newlines", quoted_newlines,
               "CSV whose quoted fields may hold line breaks: each file is read whole as one "
               "task (no splitting inside a file), line numbers count the lines of the file; "
               "implies --csv");
  app.add_flag("--header", header,
               "The first line (CSV record) of every file is a header: skipped, and names the "
               "columns for --key and --sum (from the first non-empty file; every file's must "
               "be the same)");
  app.add_flag("--skip-bad", skip_bad,
               "Skip lines with too few fields or a value that is not a number, and report "
               "how many on standard error (and as skipped_lines in JSON)");
  job_cli.add_options(
      app, {"; not used with --quoted-newlines",
            "other inputs, columns, delimiter, reading or --split-bytes",
            "Write the TSV as DIR/part-NNNNN, one part per rank (`cat DIR/part-*` is the whole "
            "result, the same at every rank count), then DIR/_SUCCESS. Not with -o or --format "
            "json"});
  mrkit::add_output_options(app, out, "text|tsv|json");

  if (auto code = mrkit::parse_command_line(app, argc, argv, rt)) return *code;

  if (delimiter == "\\t") delimiter = "\t";
  if (delimiter.size() != 1) {
    throw mrkit::UsageError("--delimiter: expected one byte, got '" + mrkit::tsv_escape(delimiter) +
                            "' (see " + std::string(program) + " --help)");
  }
  gb::Options opt;
  opt.delimiter = delimiter[0];
  opt.reading = quoted_newlines ? gb::Reading::csv_files
                : csv           ? gb::Reading::csv_lines
                                : gb::Reading::tsv;
  if (opt.reading != gb::Reading::tsv &&
      (opt.delimiter == '"' || opt.delimiter == '\r' || opt.delimiter == '\n')) {
    throw mrkit::UsageError("--delimiter: CSV cannot use a quote or a line end as its delimiter");
  }
  if (opt.reading == gb::Reading::tsv && opt.delimiter == '\n') {
    throw mrkit::UsageError("--delimiter: a line end cannot be the delimiter");
  }
  opt.header = header;
  opt.skip_bad = skip_bad;
  job_cli.check(program, out);
  if (!job_cli.output_dir.empty() && out.format == mrkit::OutputFormat::json) {
    throw mrkit::UsageError(
        "--output-dir writes TSV parts: it cannot be used with --format json (see " +
        std::string(program) + " --help)");
  }
  // Column numbers and names without --header are refused before any input is read.
  for (const std::string& spec : sum_specs) {
    if (is_number(spec) || !header) (void)resolve_column(spec, "--sum", {}, header);
  }
  if (is_number(key_spec) || !header) (void)resolve_column(key_spec, "--key", {}, header);
  const bool with_count = count || sum_specs.empty();

  mrkit::RankTimer timer;
  const mrkit::FileSource source(rt.world(), paths, job_cli.source_options());
  if (rt.is_mother()) {
    for (const auto& w : source.warnings()) fmt::print(stderr, "{}: warning: {}\n", program, w);
  }
  if (header) opt.header_fields = gb::read_header(rt.world(), source, opt.reading, opt.delimiter);
  opt.key = resolve_column(key_spec, "--key", opt.header_fields, header);
  for (const std::string& s : sum_specs) {
    opt.sums.push_back(resolve_column(s, "--sum", opt.header_fields, header));
  }

  mrkit::JobOptions job = job_cli.job_options(
      program,
      fmt::format("groupby\nreading {}\ndelimiter {}\nheader {}\nkey {}\nsums {}\n{}",
                  static_cast<int>(opt.reading), static_cast<int>(opt.delimiter), header ? 1 : 0,
                  opt.key, fmt::join(opt.sums, " "), source.fingerprint()),
      timer);
  mrkit::ProgressMeter meter(
      program, "tasks",
      rt.is_mother() && (job_cli.progress || mrkit::ProgressMeter::stderr_is_terminal()));
  job.progress = [&meter](std::uint64_t done, std::uint64_t total) { meter.update(done, total); };
  const gb::Result result = gb::run_group_by(rt.world(), source, opt, job);
  meter.finish();
  timer.add_bytes(source.bytes_read());

  if (!job_cli.output_dir.empty()) {
    mrkit::write_sorted_parts(rt.world(), job_cli.output_dir, result.groups, mrkit::by_key,
                              [&](const std::pair<std::string, gb::Value>& p) {
                                return tsv_line(make_row(p, with_count, opt.sums.size()));
                              });
  } else {
    const auto pairs = result.groups.gather();
    mrkit::on_mother_then_agree(rt.world(), [&] {
      mrkit::emit(out, render(pairs, out.format, with_count, sum_specs, key_spec, result));
    });
  }
  if (rt.is_mother() && result.bad_lines > 0) {
    fmt::print(stderr, "{}: skipped {} bad line{} (the first: {})\n", program, result.bad_lines,
               result.bad_lines == 1 ? "" : "s", result.first_bad);
  }
  job_cli.print_stats(rt.world(), timer, program);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, program,
                    [&](mrkit::Runtime& rt) { return groupby(rt, argc, argv); });
}
