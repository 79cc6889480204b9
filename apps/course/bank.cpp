// bank: the course's race condition. A balance of 100 lives in the mother's memory (an MPI
// window); half the ranks withdraw 1 and the other half deposit 1, 10,000 times each, and the
// whole is repeated 10 times. Unsafe read-add-write loses updates; a lock or an atomic
// fetch-and-add always ends at 100.
#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/tasks/rank_stats.hpp>
#include "bank_race.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace {

constexpr const char* program = "bank";

std::string render(const mrkit::BankResult& r, const mrkit::BankOptions& o,
                   mrkit::OutputFormat format) {
  if (format == mrkit::OutputFormat::json) {
    nlohmann::json j;
    j["mode"] = std::string(mrkit::to_string(r.mode));
    j["expected"] = r.expected;
    j["final_balances"] = r.final_balances;
    j["lost_updates"] = r.lost_updates;
    j["ns_per_op"] = r.ns_per_op;
    return j.dump() + "\n";
  }
  std::string out;
  for (const auto b : r.final_balances) out += fmt::format("Final balance = {}\n", b);
  out += fmt::format(
      "mode {}: {} rank{}, {} withdrawals and {} deposits of 1 per repeat, {} repeat{}\n",
      mrkit::to_string(r.mode), r.ranks, r.ranks == 1 ? "" : "s",
      r.operations / 2 / std::max<std::uint64_t>(1, o.repeat),
      r.operations / 2 / std::max<std::uint64_t>(1, o.repeat), o.repeat, o.repeat == 1 ? "" : "s");
  out += fmt::format("expected {} each time; updates lost: {} (sum of |{} - final balance|)\n",
                     r.expected, r.lost_updates, r.expected);
  out += fmt::format("{:.0f} ns per operation\n", r.ns_per_op);
  return out;
}

int bank(mrkit::Runtime& rt, int argc, char** argv) {
  CLI::App app{
      "The course's bank account race on MPI shared memory: a balance of 100, half the ranks "
      "withdraw 1 and the other half deposit 1.\n  unsafe: read, add, write (updates get "
      "lost)\n  lock:   the same inside a lock (a queue lock on MPI atomics)\n  atomic: "
      "one atomic fetch-and-add (MPI_Fetch_and_op)\nExit codes: 0 success, 1 run-time "
      "failure, 2 bad command line.",
      program};
  mrkit::OutputOptions out;
  mrkit::BankOptions options;
  std::string mode = "unsafe";
  app.add_option("--mode", mode, "unsafe, lock or atomic")
      ->check(mrkit::one_of({"unsafe", "lock", "atomic"}))
      ->default_str("unsafe");
  app.add_option("--iterations", options.iterations,
                 "Withdrawals (or deposits) of each rank per repeat (default 10000)")
      ->type_name("N")
      ->check(mrkit::whole_number(0));
  app.add_option("--repeat", options.repeat, "Fresh balances, one after the other (default 10)")
      ->type_name("N")
      ->check(mrkit::whole_number(1));
  std::string window;
  app.add_option("--window", window,
                 "Between reading and writing the balance: yield = offer the core to another "
                 "rank, as a badly timed context switch would; sleep = sleep 1 us (~50 us in "
                 "practice); tight = nothing. Default: yield for unsafe (to show the race even "
                 "with more ranks than cores), tight for lock (it needs no help to be right)")
      ->check(mrkit::one_of({"yield", "sleep", "tight"}));
  std::optional<mrkit::StatsFormat> stats;
  mrkit::add_stats_option(app, stats);
  mrkit::add_output_options(app, out);
  if (auto code = mrkit::parse_command_line(app, argc, argv, rt)) return *code;
  options.mode = *mrkit::bank_mode_named(mode);
  if (window.empty()) window = options.mode == mrkit::BankMode::lock ? "tight" : "yield";
  options.window = *mrkit::bank_window_named(window);

  mrkit::RankTimer timer;
  const mrkit::BankResult result = timer.measure(
      mrkit::TimeBucket::compute, [&] { return mrkit::run_bank(rt.world(), options); });
  if (stats) mrkit::print_rank_stats(rt.world(), timer, program, *stats);
  if (rt.is_mother()) mrkit::emit(out, render(result, options, out.format));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, program, [&](mrkit::Runtime& rt) { return bank(rt, argc, argv); });
}
