// dcsort: the course's merge-sort figure made real. The mother holds the keys; they are halved
// down the ranks, each rank sorts its share, sorted halves are merged on the way back; the
// mother checks that the result is sorted and holds the same keys as the input.
#include "key_files.hpp"

#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/clock.hpp>
#include <mrkit/core/partition.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/io/output_text.hpp>
#include <mrkit/io/shared_output.hpp>
#include <mrkit/patterns/merge_sort.hpp>
#include <mrkit/patterns/sample_sort.hpp>
#include <mrkit/tasks/rank_stats.hpp>

#include <fmt/format.h>
#include <boost/mpi/collectives.hpp>
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

enum class Method { tree, sample };

struct Report {
  std::uint64_t keys = 0;
  int ranks = 1;
  Method method = Method::tree;
  std::uint64_t largest_share = 0;  // sample: the most keys a rank sorted
  std::string input;                // a path, or "generated"
  std::string output;               // a path, or empty
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
    j["method"] = r.method == Method::tree ? "tree" : "sample";
    if (r.method == Method::sample) j["largest_share"] = r.largest_share;
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
  if (r.method == Method::sample && r.keys > 0) {
    out += fmt::format(
        "sample sort: the busiest rank sorted {} keys, {:.2f}x an even share\n", r.largest_share,
        static_cast<double>(r.largest_share) * r.ranks / static_cast<double>(r.keys));
  }
  out += fmt::format("verified: sorted, and the same keys as the input ({})\n", r.summary.text());
  return out;
}

bool keys_to_stdout(const mrkit::OutputOptions& out) {
  return out.output_path == "-" || out.output_path == "/dev/stdout";
}

// --stats, then the report from the mother (on standard error when the keys went to stdout).
int finish(mrkit::Runtime& rt, const Report& r, const mrkit::OutputOptions& out,
           mrkit::RankTimer& timer, const std::optional<mrkit::StatsFormat>& stats) {
  if (stats) mrkit::print_rank_stats(rt.world(), timer, program, *stats);
  if (!rt.is_mother()) return 0;
  const std::string report = render(r, out.format);
  if (keys_to_stdout(out)) {
    std::fputs(report.c_str(), stderr);
    std::fflush(stderr);
  } else {
    mrkit::write_standard_output(report);
  }
  return 0;
}

// --method sample: every rank loads its block of the keys (its part of the file, or of the
// generated sequence), the sample sort gives it a balanced range, the checks combine every
// rank's (each range sorted, ranges in order, the same summary as the input) and every rank
// writes its range at its offset of the output.
void sort_by_sampling(mrkit::Runtime& rt, const std::string& input, std::uint64_t generate,
                      std::uint64_t seed, const mrkit::OutputOptions& out, mrkit::RankTimer& timer,
                      Report& r) {
  const auto& comm = rt.world();
  auto start = Clock::now();
  mrkit::KeyFileInfo info{generate, true};
  if (!input.empty()) {
    mrkit::on_mother_then_agree(comm, [&] { info = mrkit::inspect_key_file(input); });
    boost::mpi::broadcast(comm, info.keys, mrkit::mother_rank);
    boost::mpi::broadcast(comm, info.readable_in_parts, mrkit::mother_rank);
  }
  std::vector<mrkit::Key> keys;
  std::string problem;
  try {
    const auto io = timer.time(mrkit::TimeBucket::io);
    if (input.empty()) {
      const mrkit::IndexRange mine = mrkit::block_range(generate, comm.size(), comm.rank());
      keys = mrkit::generate_keys(mine.size(), seed, mine.begin);
    } else if (info.readable_in_parts) {
      const mrkit::IndexRange mine = mrkit::block_range(info.keys, comm.size(), comm.rank());
      keys = mrkit::read_key_file_part(input, mine.begin, mine.size());
    } else if (rt.is_mother()) {
      keys = mrkit::read_key_file(input);  // not a file on disk: the mother reads it whole
    }
  } catch (const mrkit::InputError& e) {
    problem = e.what();
  }
  mrkit::agree(comm, problem.empty(), problem, mrkit::ExitCode::input);
  mrkit::KeySummary before = mrkit::summarize_keys(keys);
  r.load_seconds = seconds_since(start);

  timer.measure(mrkit::TimeBucket::wait, [&] { comm.barrier(); });
  start = Clock::now();
  mrkit::SampleSortStats sort_stats;
  keys = timer.measure(mrkit::TimeBucket::compute,
                       [&] { return mrkit::sample_sort(comm, std::move(keys), &sort_stats); });
  r.sort_seconds = seconds_since(start);
  r.largest_share = sort_stats.largest;

  // Each range sorted, and every range's first key at or after the last key of the ranges
  // before it; the summaries of all ranges equal those of all inputs.
  start = Clock::now();
  mrkit::KeySummary after;
  std::optional<std::size_t> bad;
  {
    const auto check = timer.time(mrkit::TimeBucket::compute);
    after = mrkit::summarize_keys(keys);
    bad = mrkit::first_unsorted(keys);
  }
  const auto combine = [&](mrkit::KeySummary s) {
    std::vector<std::uint64_t> parts{s.count, s.sum, s.mix_sum};
    std::vector<std::uint64_t> sums(parts.size());
    boost::mpi::all_reduce(comm, parts.data(), static_cast<int>(parts.size()), sums.data(),
                           std::plus<std::uint64_t>());
    std::uint64_t x = 0;
    boost::mpi::all_reduce(comm, s.mix_xor, x, std::bit_xor<std::uint64_t>());
    return mrkit::KeySummary{sums[0], sums[1], sums[2], x};
  };
  before = combine(before);
  after = combine(after);
  struct Ends {
    bool any = false;
    mrkit::Key first = 0;
    mrkit::Key last = 0;
  };
  const Ends mine{!keys.empty(), keys.empty() ? 0 : keys.front(), keys.empty() ? 0 : keys.back()};
  std::vector<std::uint64_t> ends_bits{mine.any, std::bit_cast<std::uint64_t>(mine.first),
                                       std::bit_cast<std::uint64_t>(mine.last)};
  std::vector<std::uint64_t> all_ends;
  boost::mpi::all_gather(comm, ends_bits.data(), 3, all_ends);
  std::optional<mrkit::Key> previous;
  int previous_rank = -1;
  bool ordered = true;
  std::string order_problem;
  for (int q = 0; q < comm.size() && ordered; ++q) {
    const auto* e = &all_ends[static_cast<std::size_t>(q) * 3];
    if (e[0] == 0) continue;
    const auto first = std::bit_cast<mrkit::Key>(e[1]);
    if (previous && first < *previous) {
      ordered = false;
      order_problem = fmt::format(
          "the result is not sorted: rank {}'s first key ({}) is smaller than rank {}'s last ({})",
          q, first, previous_rank, *previous);
    }
    previous = std::bit_cast<mrkit::Key>(e[2]);
    previous_rank = q;
  }
  if (bad) {
    problem = fmt::format(
        "the result is not sorted: rank {}'s key {} ({}) is smaller than the one "
        "before it ({})",
        comm.rank(), *bad, keys[*bad], keys[*bad - 1]);
  }
  mrkit::agree(comm, problem.empty(), problem);
  if (!ordered) throw mrkit::CollectiveError(mrkit::ExitCode::failure, order_problem);
  r.summary = after;
  r.keys = after.count;
  r.sorted = true;
  r.permutation = after == before;
  if (!r.permutation) {
    throw mrkit::CollectiveError(
        mrkit::ExitCode::failure,
        fmt::format("the result is not a permutation of the input (input {}, output {})",
                    before.text(), after.text()));
  }
  r.verify_seconds = seconds_since(start);

  if (!out.output_path.empty()) {
    const auto io = timer.time(mrkit::TimeBucket::io);
    start = Clock::now();
    mrkit::write_file_together(comm, keys_to_stdout(out) ? "-" : out.output_path,
                               mrkit::key_file_bytes(keys));
    r.write_seconds = seconds_since(start);
    r.output = keys_to_stdout(out) ? "-" : out.output_path;
  }
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
  Method method = Method::tree;
  app.add_option("--method", method,
                 "tree: the mother holds the keys, halves them down the ranks and merges them "
                 "back (the course's figure; default); sample: every rank reads its part of the "
                 "input, a sample sort spreads the keys evenly, every rank writes its range of "
                 "the output (no rank holds more than about its share: for big inputs)")
      ->type_name("METHOD")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Method>{{"tree", Method::tree}, {"sample", Method::sample}}));
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

  if (method == Method::sample && (trace || leaf_keys != 0)) {
    throw mrkit::UsageError(
        "--trace and --leaf-keys draw the tree method; not with --method sample");
  }

  Report r;
  r.ranks = rt.size();
  r.method = method;
  r.input = input.empty() ? "generated" : input;
  r.traced = trace;
  mrkit::RankTimer timer;  // --stats: load and write are I/O, sorting and checking compute
  if (method == Method::sample) {
    sort_by_sampling(rt, input, generate, seed, out, timer, r);
    return finish(rt, r, out, timer, stats);
  }
  std::vector<mrkit::Key> keys;
  mrkit::KeySummary before;
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

  if (!out.output_path.empty()) {
    // A failed write ends every rank here (exit 1), before --stats and before any report.
    mrkit::on_mother_then_agree(rt.world(), [&] {
      const auto io = timer.time(mrkit::TimeBucket::io);
      start = Clock::now();
      mrkit::emit(out, mrkit::key_file_bytes(sorted));
      r.write_seconds = seconds_since(start);
      r.output = keys_to_stdout(out) ? "-" : out.output_path;
    });
  }
  return finish(rt, r, out, timer, stats);
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, program,
                    [&](mrkit::Runtime& rt) { return dcsort(rt, argc, argv); });
}
