// dcsort: the course's merge-sort figure made real. The mother holds the keys; they are halved
// down the ranks, each rank sorts its share, sorted halves are merged on the way back; the
// mother checks that the result is sorted and holds the same keys as the input.
#include "key_files.hpp"

#include <mrkit/cli/command_line.hpp>
#include <mrkit/comm/reduce.hpp>
#include <mrkit/core/clock.hpp>
#include <mrkit/core/partition.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/io/output_text.hpp>
#include <mrkit/io/shared_output.hpp>
#include <mrkit/mapreduce/memory_budget.hpp>
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
  std::uint64_t memory_bytes = 0;   // sample: the budget per rank
  bool on_disk = false;             // sample: sorted through scratch files
  std::uint64_t runs = 0;           // on disk: sorted runs written, all ranks
  std::uint64_t bytes_spilled = 0;  // on disk: bytes written to scratch files, all ranks
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
    if (r.method == Method::sample) {
      j["largest_share"] = r.largest_share;
      j["memory_bytes"] = r.memory_bytes;
      j["on_disk"] = r.on_disk;
      j["runs"] = r.runs;
      j["bytes_spilled"] = r.bytes_spilled;
    }
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
  if (r.method == Method::sample && r.on_disk) {
    out += fmt::format("on disk: {} sorted run{}, {} through scratch files, under {} per rank\n",
                       r.runs, r.runs == 1 ? "" : "s", mrkit::format_size(r.bytes_spilled),
                       mrkit::format_size(r.memory_bytes));
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

// What --method sample needs to know of one rank's part, before and after the sort.
struct PartCheck {
  mrkit::KeySummary before;  // the keys this rank loaded
  mrkit::KeySummary after;   // the keys of its range
  bool any = false;          // its range holds a key
  mrkit::Key first = 0;
  mrkit::Key last = 0;
  std::string unsorted;  // not empty: where its range is out of order

  // Takes the next keys of the range, in order.
  void see(std::span<const mrkit::Key> keys, int rank) {
    if (keys.empty()) return;
    after += mrkit::summarize_keys(keys);
    if (unsorted.empty()) {
      if (any && keys.front() < last) {
        unsorted = fmt::format(
            "the result is not sorted: rank {}'s key {} ({}) is smaller than "
            "the one before it ({})",
            rank, after.count - keys.size(), keys.front(), last);
      } else if (const auto bad = mrkit::first_unsorted(keys)) {
        unsorted = fmt::format(
            "the result is not sorted: rank {}'s key {} ({}) is smaller than "
            "the one before it ({})",
            rank, after.count - keys.size() + *bad, keys[*bad], keys[*bad - 1]);
      }
    }
    if (!any) first = keys.front();
    any = true;
    last = keys.back();
  }
};

// The checks of every rank's part together: each range sorted, every range's first key at or
// after the last key of the ranges before it, the summaries of all ranges those of all inputs.
// Any failure throws the same CollectiveError on every rank.
void check_parts(const boost::mpi::communicator& comm, const PartCheck& part, Report& r) {
  mrkit::agree(comm, part.unsorted.empty(), part.unsorted);
  const auto combine = [&](const mrkit::KeySummary& s) {
    std::vector<std::uint64_t> parts{s.count, s.sum, s.mix_sum};
    std::vector<std::uint64_t> sums(parts.size());
    boost::mpi::all_reduce(comm, parts.data(), static_cast<int>(parts.size()), sums.data(),
                           std::plus<std::uint64_t>());
    std::uint64_t x = 0;
    boost::mpi::all_reduce(comm, s.mix_xor, x, std::bit_xor<std::uint64_t>());
    return mrkit::KeySummary{sums[0], sums[1], sums[2], x};
  };
  const mrkit::KeySummary before = combine(part.before);
  const mrkit::KeySummary after = combine(part.after);
  const std::vector<std::uint64_t> ends{part.any, std::bit_cast<std::uint64_t>(part.first),
                                        std::bit_cast<std::uint64_t>(part.last)};
  std::vector<std::uint64_t> all_ends;
  boost::mpi::all_gather(comm, ends.data(), 3, all_ends);
  std::optional<mrkit::Key> previous;
  int previous_rank = -1;
  for (int q = 0; q < comm.size(); ++q) {
    const auto* e = &all_ends[static_cast<std::size_t>(q) * 3];
    if (e[0] == 0) continue;
    const auto first = std::bit_cast<mrkit::Key>(e[1]);
    if (previous && first < *previous) {
      throw mrkit::CollectiveError(
          mrkit::ExitCode::failure,
          fmt::format("the result is not sorted: rank {}'s first key ({}) is smaller than rank "
                      "{}'s last ({})",
                      q, first, previous_rank, *previous));
    }
    previous = std::bit_cast<mrkit::Key>(e[2]);
    previous_rank = q;
  }
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
}

// The bytes of keys as a key file holds them (little-endian; a big-endian host converts into
// `scratch`).
std::string_view file_bytes(std::span<const mrkit::Key> keys, std::vector<mrkit::Key>& scratch) {
  if constexpr (std::endian::native == std::endian::big) {
    scratch.assign(keys.begin(), keys.end());
    return mrkit::key_file_bytes(scratch);
  }
  return {reinterpret_cast<const char*>(keys.data()), keys.size_bytes()};
}

// This rank's keys for --method sample, in blocks: its part of the file (pread), its block of
// the generated sequence, or (a file whose size is not its content, as in /proc) the mother's
// whole file.
class KeySource {
 public:
  KeySource(const boost::mpi::communicator& comm, const std::string& input, std::uint64_t generate,
            std::uint64_t seed)
      : input_(input), seed_(seed) {
    mrkit::KeyFileInfo info{generate, true};
    if (!input.empty()) {
      mrkit::on_mother_then_agree(comm, [&] { info = mrkit::inspect_key_file(input); });
      boost::mpi::broadcast(comm, info.keys, mrkit::mother_rank);
      boost::mpi::broadcast(comm, info.readable_in_parts, mrkit::mother_rank);
    }
    whole_ = !info.readable_in_parts;
    const mrkit::IndexRange mine =
        whole_ ? mrkit::IndexRange{0, comm.rank() == mrkit::mother_rank ? info.keys : 0}
               : mrkit::block_range(info.keys, comm.size(), comm.rank());
    next_ = mine.begin;
    end_ = mine.end;
  }
  [[nodiscard]] std::uint64_t keys() const noexcept { return end_ - next_; }

  // All of this rank's keys at once. Throws InputError.
  std::vector<mrkit::Key> read_all() {
    std::vector<mrkit::Key> keys;
    if (input_.empty()) {
      keys = mrkit::generate_keys(end_ - next_, seed_, next_);
    } else if (whole_) {
      keys = next_ < end_ ? mrkit::read_key_file(input_) : std::vector<mrkit::Key>{};
    } else {
      keys = mrkit::read_key_file_part(input_, next_, end_ - next_);
    }
    next_ = end_;
    return keys;
  }

  // Up to to.size() next keys into `to`; 0 at the end. Throws InputError.
  std::size_t read(std::span<mrkit::Key> to) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(to.size(), end_ - next_));
    if (n == 0) return 0;
    std::vector<mrkit::Key> keys;
    if (input_.empty()) {
      keys = mrkit::generate_keys(n, seed_, next_);
    } else if (whole_) {
      if (all_.empty()) all_ = mrkit::read_key_file(input_);
      keys.assign(all_.begin() + static_cast<std::ptrdiff_t>(next_),
                  all_.begin() + static_cast<std::ptrdiff_t>(next_ + n));
    } else {
      keys = mrkit::read_key_file_part(input_, next_, n);
    }
    std::copy(keys.begin(), keys.end(), to.begin());
    next_ += n;
    return n;
  }

 private:
  std::string input_;
  std::uint64_t seed_ = 0;
  bool whole_ = false;
  std::vector<mrkit::Key> all_;
  std::uint64_t next_ = 0;
  std::uint64_t end_ = 0;
};

// Keys the in-memory sample sort may take per rank under a budget: the rank's keys, their copy
// for the exchange and the keys received (up to 1.4x an even share) with a merge buffer.
bool fits_in_memory(std::uint64_t keys, int ranks, std::uint64_t budget) {
  const std::uint64_t share = keys / static_cast<std::uint64_t>(ranks) + 1;
  return share * sizeof(mrkit::Key) * 5 <= budget;
}

struct SampleOptions {
  std::uint64_t memory = 0;  // per rank; 0: the node's default
  bool on_disk = false;      // --spill: on disk whatever the size
  std::string tmpdir;
};

// --method sample: every rank loads its block of the keys (its part of the file, or of the
// generated sequence), the sample sort gives it a balanced range (in memory when the keys fit
// the budget, else on disk: patterns/sample_sort.hpp), the checks combine every rank's, and
// every rank writes its range at its offset of the output.
void sort_by_sampling(mrkit::Runtime& rt, const std::string& input, std::uint64_t generate,
                      std::uint64_t seed, const SampleOptions& how, const mrkit::OutputOptions& out,
                      mrkit::RankTimer& timer, Report& r) {
  const auto& comm = rt.world();
  auto start = Clock::now();
  r.memory_bytes = mrkit::resolve_memory_budget(comm, how.memory);
  KeySource source(comm, input, generate, seed);
  const std::uint64_t total = mrkit::sum_all(comm, source.keys());
  r.on_disk = how.on_disk || !fits_in_memory(total, comm.size(), r.memory_bytes);
  PartCheck part;
  const std::string output = keys_to_stdout(out) ? "-" : out.output_path;
  std::vector<mrkit::Key> swapped;

  if (!r.on_disk) {
    std::vector<mrkit::Key> keys;
    std::string problem;
    try {
      const auto io = timer.time(mrkit::TimeBucket::io);
      keys = source.read_all();
    } catch (const mrkit::InputError& e) {
      problem = e.what();
    }
    mrkit::agree(comm, problem.empty(), problem, mrkit::ExitCode::input);
    part.before = mrkit::summarize_keys(keys);
    r.load_seconds = seconds_since(start);
    timer.measure(mrkit::TimeBucket::wait, [&] { comm.barrier(); });
    start = Clock::now();
    mrkit::SampleSortStats sort_stats;
    keys = timer.measure(mrkit::TimeBucket::compute,
                         [&] { return mrkit::sample_sort(comm, std::move(keys), &sort_stats); });
    r.sort_seconds = seconds_since(start);
    r.largest_share = sort_stats.largest;
    start = Clock::now();
    {
      const auto check = timer.time(mrkit::TimeBucket::compute);
      part.see(keys, comm.rank());
    }
    check_parts(comm, part, r);
    r.verify_seconds = seconds_since(start);
    if (!output.empty()) {
      const auto io = timer.time(mrkit::TimeBucket::io);
      start = Clock::now();
      mrkit::write_file_together(comm, output, file_bytes(keys, swapped));
      r.write_seconds = seconds_since(start);
      r.output = output;
    }
    return;
  }

  // On disk: loading, sorting and writing overlap; "sort" is all of it, "load" and "write"
  // stay 0 (their I/O is in --stats).
  timer.measure(mrkit::TimeBucket::wait, [&] { comm.barrier(); });
  std::unique_ptr<mrkit::SharedOutputFile> file;
  mrkit::DiskSortStats sort_stats;
  mrkit::sample_sort_on_disk(
      comm,
      [&](std::span<mrkit::Key> to) {
        const auto io = timer.time(mrkit::TimeBucket::io);
        const std::size_t n = source.read(to);
        part.before += mrkit::summarize_keys(to.first(n));
        return n;
      },
      [&](std::uint64_t, std::uint64_t count) {  // every rank at once: may be collective
        if (!output.empty()) {
          file = std::make_unique<mrkit::SharedOutputFile>(
              comm, output, count * sizeof(mrkit::Key), mrkit::SharedOutputOptions{}, how.tmpdir);
        }
      },
      [&](std::span<const mrkit::Key> keys) {
        part.see(keys, comm.rank());
        if (file) {
          const auto io = timer.time(mrkit::TimeBucket::io);
          file->write(file_bytes(keys, swapped));
        }
      },
      {r.memory_bytes, how.tmpdir}, &sort_stats);
  r.sort_seconds = seconds_since(start);
  r.largest_share = sort_stats.largest;
  r.runs = sort_stats.runs;
  r.bytes_spilled = sort_stats.bytes_spilled;
  start = Clock::now();
  check_parts(comm, part, r);  // before the commit: a wrong result never replaces the target
  r.verify_seconds = seconds_since(start);
  if (file) {
    const auto io = timer.time(mrkit::TimeBucket::io);
    start = Clock::now();
    file->commit();
    r.write_seconds = seconds_since(start);
    r.output = output;
  }
}

int dcsort(mrkit::Runtime& rt, int argc, char** argv) {
  CLI::App app{
      "Sort signed 64-bit little-endian integers with MPI: divide the keys among the ranks, "
      "sort each part, merge on the way back (the course's merge sort), then verify. "
      "--method sample sorts inputs no rank should hold: every rank reads and writes its own "
      "part, on disk beyond --memory.\n"
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
  std::string method_name = "tree";
  auto* method_option =
      app.add_option("--method", method_name,
                     "tree: the mother holds the keys, halves them down the ranks and merges them "
                     "back (the course's figure; the default); sample: every rank reads its part "
                     "of the input, a sample sort spreads the keys evenly (on disk when they do "
                     "not fit --memory), every rank writes its range of the output")
          ->type_name("METHOD")
          ->check(mrkit::one_of({"tree", "sample"}));
  std::string memory_text;
  SampleOptions sampling;
  auto* memory_option = app.add_option("--memory", memory_text,
                                       "--method sample: memory per rank (512K, 64M, 1.5G; "
                                       "default half the node's available memory over its "
                                       "ranks); keys beyond it are sorted on disk");
  memory_option->type_name("SIZE");
  auto* spill_option =
      app.add_flag("--spill", sampling.on_disk,
                   "--method sample: sort on disk (in --tmpdir) even when the keys fit in memory");
  auto* tmpdir_option =
      app.add_option("--tmpdir", sampling.tmpdir,
                     "--method sample: where scratch files go (default $TMPDIR, else /tmp); "
                     "removed on success and on failure")
          ->type_name("DIR");
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

  const bool sample_options =
      memory_option->count() > 0 || spill_option->count() > 0 || tmpdir_option->count() > 0;
  if (method_option->count() == 0 && sample_options) method_name = "sample";
  const Method method = method_name == "sample" ? Method::sample : Method::tree;
  if (method == Method::sample && (trace || leaf_keys != 0)) {
    throw mrkit::UsageError(
        "--trace and --leaf-keys draw the tree method; not with --method sample");
  }
  if (method == Method::tree && sample_options) {
    throw mrkit::UsageError("--memory, --spill and --tmpdir are options of --method sample");
  }
  if (memory_option->count() > 0) {
    sampling.memory = mrkit::parse_size(memory_text);
    mrkit::check_memory_budget(sampling.memory);
  }

  Report r;
  r.ranks = rt.size();
  r.method = method;
  r.input = input.empty() ? "generated" : input;
  r.traced = trace;
  mrkit::RankTimer timer;  // --stats: load and write are I/O, sorting and checking compute
  if (method == Method::sample) {
    sort_by_sampling(rt, input, generate, seed, sampling, out, timer, r);
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
