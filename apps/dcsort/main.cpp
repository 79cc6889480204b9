// dcsort: the course's merge-sort figure made real. The mother holds the keys; they are halved
// down the ranks, each rank sorts its share, sorted halves are merged on the way back; the
// mother checks that the result is sorted and holds the same keys as the input.
#include "key_files.hpp"

#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/clock.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/io/output_text.hpp>
#include <mrkit/patterns/merge_sort.hpp>
#include <mrkit/tasks/rank_stats.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr const char* program = "dcsort";
using mrkit::Clock;
using mrkit::seconds_since;

struct Report {
  std::uint64_t keys = 0;
  int ranks = 1;
  std::string input;   // a path, or "generated"
  std::string output;  // a path, or empty
  mrkit::KeySummary summary;
  bool sorted = false;
  bool permutation = false;
  double load_seconds = 0;
  double sort_seconds = 0;
  double verify_seconds = 0;
  double write_seconds = 0;
  mrkit::DivideTree tree;
  bool traced = false;
};

nlohmann::json tree_json(const mrkit::DivideTree& tree) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : tree) {
    nodes.push_back({{"path", n.path},
                     {"rank", n.rank},
                     {"ranks", {n.first_rank, n.first_rank + n.ranks - 1}},
                     {"step", n.divided ? "divide" : "solve"},
                     {"problem", n.problem},
                     {"solution", n.solution},
                     {"seconds", n.seconds}});
  }
  return nodes;
}

std::string render(const Report& r, mrkit::OutputFormat format) {
  if (format == mrkit::OutputFormat::json) {
    nlohmann::json j;
    j["keys"] = r.keys;
    j["ranks"] = r.ranks;
    j["input"] = r.input;
    j["output"] = r.output.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.output);
    j["sorted"] = r.sorted;
    j["permutation"] = r.permutation;
    j["checksum"] = r.summary.text();
    j["seconds"] = {{"load", r.load_seconds},
                    {"sort", r.sort_seconds},
                    {"verify", r.verify_seconds},
                    {"write", r.write_seconds}};
    if (r.traced) j["tree"] = tree_json(r.tree);
    // The paths are bytes: each byte that is not UTF-8 as the escape \udcXX (output_text.hpp).
    return mrkit::json_dump_bytes(j) + "\n";
  }
  std::string out;
  if (r.traced) out += mrkit::render_divide_tree(r.tree);
  out += fmt::format("sorted {} key{} on {} rank{} in {:.3f} s (load {:.3f} s, verify {:.3f} s",
                     r.keys, r.keys == 1 ? "" : "s", r.ranks, r.ranks == 1 ? "" : "s",
                     r.sort_seconds, r.load_seconds, r.verify_seconds);
  if (!r.output.empty()) out += fmt::format(", write {:.3f} s", r.write_seconds);
  out += ")\n";
  out += fmt::format("verified: sorted, and the same keys as the input ({})\n", r.summary.text());
  return out;
}

int dcsort(mrkit::Runtime& rt, int argc, char** argv) {
  CLI::App app{
      "Sort signed 64-bit little-endian integers with MPI: divide the keys among the ranks, "
      "sort each part, merge on the way back (the course's merge sort), then verify.\n"
      "Exit codes: 0 success, 1 run-time failure, 2 bad command line, 3 bad input.",
      program};
  mrkit::OutputOptions out;
  std::string input;
  std::uint64_t generate = 0;
  std::uint64_t seed = 1;
  std::uint64_t leaf_keys = 0;
  bool trace = false;
  app.add_option("input", input, "Raw binary file of signed 64-bit little-endian keys")
      ->type_name("INPUT");
  auto* gen = app.add_option("--generate", generate,
                             "Sort N keys from the splitmix64 generator instead of a file")
                  ->type_name("N")
                  ->check(mrkit::whole_number(0));
  app.add_option("--seed", seed, "Seed of --generate (default 1)")
      ->type_name("S")
      ->check(mrkit::whole_number(0));
  std::optional<mrkit::StatsFormat> stats;
  mrkit::add_stats_option(app, stats);
  app.add_flag("--trace", trace,
               "Show the divide and combine tree (with the keys themselves when few)");
  app.add_option("--leaf-keys", leaf_keys,
                 "Keep halving on each rank down to K keys (default 0: std::sort each rank's "
                 "share); --leaf-keys 1 draws the course's whole figure")
      ->type_name("K")
      ->check(mrkit::whole_number(0));
  mrkit::add_output_options(app, out);
  app.get_option("--output")
      ->description(
          "Write the sorted keys to FILE (raw binary, atomically); '-' writes them to standard "
          "output and the report to standard error");
  if (auto code = mrkit::parse_command_line(app, argc, argv, rt)) return *code;
  if (input.empty() == (gen->count() == 0)) {
    throw mrkit::UsageError("give either an INPUT file or --generate N (see dcsort --help)");
  }

  Report r;
  r.ranks = rt.size();
  r.input = input.empty() ? "generated" : input;
  r.traced = trace;
  std::vector<mrkit::Key> keys;
  mrkit::KeySummary before;
  mrkit::RankTimer timer;  // --stats: load and write are I/O, sorting and checking compute
  auto start = Clock::now();
  mrkit::on_mother_then_agree(rt.world(), [&] {
    const auto io = timer.time(mrkit::TimeBucket::io);
    keys = input.empty() ? mrkit::generate_keys(generate, seed) : mrkit::read_key_file(input);
    before = mrkit::summarize_keys(keys);
  });
  r.load_seconds = seconds_since(start);

  mrkit::MergeSortOptions options;
  options.leaf_keys = leaf_keys;
  options.describe = trace;
  timer.measure(mrkit::TimeBucket::wait, [&] {
    rt.world().barrier();  // time the sort alone, not a rank's late start
  });
  start = Clock::now();
  std::vector<mrkit::Key> sorted = timer.measure(mrkit::TimeBucket::compute, [&] {
    return mrkit::merge_sort(rt.world(), std::move(keys), options, trace ? &r.tree : nullptr);
  });
  r.sort_seconds = seconds_since(start);

  std::string problem;
  if (rt.is_mother()) {
    const auto check = timer.time(mrkit::TimeBucket::compute);
    start = Clock::now();
    r.summary = mrkit::summarize_keys(sorted);
    r.keys = r.summary.count;
    const auto bad = mrkit::first_unsorted(sorted);
    r.sorted = !bad;
    r.permutation = r.summary == before;
    r.verify_seconds = seconds_since(start);
    if (bad) {
      problem = fmt::format("the result is not sorted: key {} ({}) is smaller than key {} ({})",
                            *bad, sorted[*bad], *bad - 1, sorted[*bad - 1]);
    } else if (!r.permutation) {
      problem = fmt::format("the result is not a permutation of the input (input {}, output {})",
                            before.text(), r.summary.text());
    }
  }
  mrkit::agree(rt.world(), problem.empty(), problem);

  const bool keys_to_stdout = out.output_path == "-" || out.output_path == "/dev/stdout";
  if (!out.output_path.empty()) {
    // A failed write ends every rank here (exit 1), before --stats and before any report.
    mrkit::on_mother_then_agree(rt.world(), [&] {
      const auto io = timer.time(mrkit::TimeBucket::io);
      start = Clock::now();
      mrkit::emit(out, mrkit::key_file_bytes(sorted));
      r.write_seconds = seconds_since(start);
      r.output = keys_to_stdout ? "-" : out.output_path;
    });
  }
  if (stats) mrkit::print_rank_stats(rt.world(), timer, program, *stats);
  if (!rt.is_mother()) return 0;
  const std::string report = render(r, out.format);
  if (keys_to_stdout) {
    std::fputs(report.c_str(), stderr);
    std::fflush(stderr);
  } else {
    mrkit::write_standard_output(report);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, program,
                    [&](mrkit::Runtime& rt) { return dcsort(rt, argc, argv); });
}
