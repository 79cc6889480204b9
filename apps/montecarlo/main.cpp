// montecarlo: the course's per-seed example and Monte Carlo estimates with error bars.
//  - square: for every seed i, np.random.seed(i); np.random.randint(0, 10) ** 2, bit for bit
//    with numpy, summed; the ranks share out the seeds (the course's Pool, on MPI).
//  - pi: hit or miss in the quarter disc; integral: the mean of 4 / (1 + x^2) on [0, 1).
//    Both with a standard error and a 95% confidence interval, the same at every rank count.
// With --checkpoint DIR, every subcommand records its finished tasks in DIR: the same command
// run again after a crash resumes there, at any rank count, with the same result.
#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/random/estimator.hpp>
#include <mrkit/tasks/progress_meter.hpp>
#include <mrkit/tasks/rank_stats.hpp>
#include "pi_kernels.hpp"
#include "seed_sweep.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace {

constexpr const char* program = "montecarlo";
constexpr std::uint64_t seed_count = std::uint64_t{1} << 32;  // numpy's seeds: 0 .. 2^32 - 1

// The course's figures (8 cores), quoted by the text output.
constexpr double course_serial_seconds = 35.959041118621826;
constexpr double course_pool_seconds = 12.80519723892212;
constexpr std::uint64_t course_seeds = 10000000;

// The main program's options, which every subcommand accepts too.
constexpr const char* common_options_help =
    "Also: --format text|json, -o FILE (written atomically), --progress, --stats, --checkpoint "
    "DIR, --version (see montecarlo --help).";

struct CommonOptions {
  mrkit::OutputOptions out;
  bool progress = false;
  std::optional<mrkit::StatsFormat> stats;
  std::string checkpoint_dir;  // empty: no checkpoint
};

// Like wordcount: the mother names the checkpoint files she did not use and says how much an
// earlier run had done.
void report_resume(const std::vector<std::string>& warnings, std::uint64_t resumed,
                   std::uint64_t tasks) {
  for (const std::string& w : warnings) fmt::print(stderr, "{}: warning: {}\n", program, w);
  if (resumed > 0) {
    fmt::print(stderr, "{}: resumed from checkpoint: {} of {} tasks were already done\n", program,
               resumed, tasks);
  }
}

// Progress on the mother's standard error: when asked, or by default on a terminal.
mrkit::ProgressMeter progress_meter(const mrkit::Runtime& rt, const CommonOptions& common) {
  return mrkit::ProgressMeter(
      program, "tasks",
      rt.is_mother() && (common.progress || mrkit::ProgressMeter::stderr_is_terminal()));
}

// JSON numbers: NaN and infinities (a standard error of one sample) become null.
std::string json_number(double x) {
  return std::isfinite(x) ? fmt::format("{}", x) : "null";
}

// ---- square ----------------------------------------------------------------------------------

std::string render_square(const mrkit::SeedSweep& r, std::uint32_t first, mrkit::OutputFormat f) {
  std::uint64_t sum = 0;
  for (std::size_t v = 0; v < r.counts.size(); ++v) sum += v * v * r.counts[v];
  if (f == mrkit::OutputFormat::json) {
    return fmt::format("{{\"seeds\": {}, \"sum\": {}, \"counts\": [{}], \"ranks\": {}}}\n", r.seeds,
                       sum, fmt::join(r.counts, ", "), r.ranks);
  }
  const std::uint64_t last = first + r.seeds - 1;
  std::string out = fmt::format(
      "np.random.seed(i); np.random.randint(0, 10) ** 2 for the {} seeds i = {} .. {}\n"
      "sum of the squares: {}\n\n"
      "value  square  {:>10}  share\n",
      r.seeds, first, last, sum, "count");
  for (std::size_t v = 0; v < r.counts.size(); ++v) {
    out += fmt::format("{:>5}  {:>6}  {:>10}  {:5.2f}%\n", v, v * v, r.counts[v],
                       100.0 * static_cast<double>(r.counts[v]) / static_cast<double>(r.seeds));
  }
  const double per_seed = r.seconds / static_cast<double>(r.seeds);
  out += fmt::format(
      "\nThis run: {} seeds on {} rank{} in {:.3f} s: {:.1f} ns per seed, {:.1f} ns per seed "
      "per rank ({} seeds would take about {:.2f} s).\n",
      r.seeds, r.ranks, r.ranks == 1 ? "" : "s", r.seconds, per_seed * 1e9,
      per_seed * r.ranks * 1e9, course_seeds, per_seed * static_cast<double>(course_seeds));
  out += fmt::format(
      "The course's own figures (quoted, not measured here; its machine had 8 cores): its serial "
      "Python loop took {:.1f} s for {} seeds ({:.1f} us per seed) and a Pool of 8 processes "
      "{:.1f} s ({:.1f}x faster).\n"
      "Here too the seeds are independent tasks: each rank draws a block of seeds and tallies its "
      "values, and one integer sum merges the tallies, so the result is the same at every rank "
      "count.\n",
      course_serial_seconds, course_seeds,
      course_serial_seconds / static_cast<double>(course_seeds) * 1e6, course_pool_seconds,
      course_serial_seconds / course_pool_seconds);
  return out;
}

void add_square(CLI::App& app, mrkit::SeedSweepOptions& opt) {
  auto* sub = app.add_subcommand(
      "square",
      "The course's example: for each seed i, np.random.seed(i); np.random.randint(0, 10) ** 2, "
      "bit for bit with numpy; prints the sum of the squares and how often each value came up. "
      "JSON: {\"seeds\": N, \"sum\": S, \"counts\": [c0, ..., c9], \"ranks\": P}");
  sub->fallthrough();
  sub->footer(common_options_help);
  sub->add_option("--seeds", opt.seeds, "How many seeds (the course: 10000000)")
      ->required()
      ->type_name("N")
      ->check(mrkit::whole_number(1, seed_count));
  sub->add_option("--first", opt.first_seed, "The first seed (default 0); seeds stop at 2^32-1")
      ->type_name("S")
      ->check(mrkit::whole_number(0, seed_count - 1));
}

int run_square(mrkit::Runtime& rt, mrkit::SeedSweepOptions opt, const CommonOptions& common) {
  if (opt.seeds > seed_count - opt.first_seed) {
    throw mrkit::UsageError(fmt::format(
        "--first {} --seeds {}: the seeds would run past 4294967295, the last seed numpy "
        "accepts (at most {} seeds from there)",
        opt.first_seed, opt.seeds, seed_count - opt.first_seed));
  }
  opt.checkpoint_dir = common.checkpoint_dir;
  mrkit::ProgressMeter meter = progress_meter(rt, common);
  opt.progress = [&meter](std::uint64_t done, std::uint64_t total) { meter.update(done, total); };
  mrkit::RankTimer timer;
  const mrkit::SeedSweep result = timer.measure(
      mrkit::TimeBucket::compute, [&] { return mrkit::sweep_numpy_seeds(rt.world(), opt); });
  meter.finish();
  if (common.stats) mrkit::print_rank_stats(rt.world(), timer, program, *common.stats);
  if (!rt.is_mother()) return 0;
  report_resume(result.warnings, result.resumed_tasks, result.tasks);
  mrkit::emit(common.out, render_square(result, opt.first_seed, common.out.format));
  return 0;
}

// ---- pi and integral ---------------------------------------------------------------------------

struct EstimatorCommand {
  const char* name;
  const char* what;  // for the text output
  mrkit::EstimatorOptions options;
};

std::string render_estimate(const EstimatorCommand& cmd, const mrkit::Estimate& e,
                            std::uint64_t requested, mrkit::OutputFormat f) {
  if (f == mrkit::OutputFormat::json) {
    return fmt::format(
        "{{\"estimator\": \"{}\", \"estimate\": {}, \"standard_error\": {}, \"ci95\": [{}, {}], "
        "\"exact\": {}, \"samples\": {}, \"requested_samples\": {}, \"seed\": {}, \"tasks\": {}, "
        "\"ranks\": {}, \"seconds\": {}, \"stopped_early\": {}}}\n",
        cmd.name, json_number(e.value), json_number(e.standard_error), json_number(e.ci_low),
        json_number(e.ci_high), mrkit::pi, e.samples, requested, cmd.options.seed, e.tasks, e.ranks,
        e.seconds, e.stopped_early ? "true" : "false");
  }
  std::string out = fmt::format("{}\n", cmd.what);
  out += fmt::format("  estimate        {:.10f}\n", e.value);
  out += fmt::format("  standard error  {:.10f}\n", e.standard_error);
  out += fmt::format("  95% interval    [{:.10f}, {:.10f}]\n", e.ci_low, e.ci_high);
  out += fmt::format("  exact           {:.10f} (estimate - exact = {:+.2f} standard errors)\n",
                     mrkit::pi, (e.value - mrkit::pi) / e.standard_error);
  if (e.stopped_early) {
    out += fmt::format("Stopped by --time-limit: {} of the {} samples asked for.\n", e.samples,
                       requested);
  }
  const double ns = e.samples > 0 ? e.seconds / static_cast<double>(e.samples) * 1e9 : 0.0;
  out += fmt::format(
      "{} samples in {} tasks on {} rank{}, seed {}: {:.3f} s, {:.2f} ns per sample per rank.\n",
      e.samples, e.tasks, e.ranks, e.ranks == 1 ? "" : "s", cmd.options.seed, e.seconds,
      ns * e.ranks);
  return out;
}

void add_estimator(CLI::App& app, EstimatorCommand& cmd, const std::string& help) {
  auto* sub = app.add_subcommand(cmd.name, help);
  sub->fallthrough();
  sub->footer(common_options_help);
  sub->add_option("--samples", cmd.options.samples, "How many samples (default 100000000)")
      ->type_name("N")
      ->check(mrkit::whole_number(1));
  sub->add_option("--seed", cmd.options.seed, "The seed, 0 to 4294967295 (default 0)")
      ->type_name("S")
      ->check(mrkit::whole_number(0, seed_count - 1));
  sub->add_option("--time-limit", cmd.options.time_limit,
                  "Start no task after SECONDS, however many are left (a run ends a fraction "
                  "of a second past it); the estimate then uses the samples of the tasks done "
                  "and says how many (not with --checkpoint: such a run cannot be repeated)")
      ->type_name("SECONDS")
      ->check(mrkit::positive_seconds());
}

int run_estimator(mrkit::Runtime& rt, EstimatorCommand cmd, const CommonOptions& common) {
  if (!common.checkpoint_dir.empty() && cmd.options.time_limit > 0) {
    throw mrkit::UsageError(
        "--checkpoint and --time-limit cannot be combined: a run cut short by its time limit "
        "cannot be resumed to the same result");
  }
  cmd.options.checkpoint_dir = common.checkpoint_dir;
  cmd.options.checkpoint_job = fmt::format("{} {}", program, cmd.name);
  mrkit::ProgressMeter meter = progress_meter(rt, common);
  cmd.options.progress = [&meter](std::uint64_t done, std::uint64_t total) {
    meter.update(done, total);
  };
  mrkit::Estimate e;
  mrkit::RankTimer timer;
  auto scope = std::make_unique<mrkit::RankTimer::Scope>(timer, mrkit::TimeBucket::compute);
  if (std::string(cmd.name) == "pi") {
    e = mrkit::estimate_proportion(
            rt.world(), cmd.options,
            [](mrkit::RandomStream& s, std::uint64_t n) { return mrkit::quarter_disc_hits(s, n); })
            .scaled(4.0);
  } else {
    e = mrkit::estimate_mean(rt.world(), cmd.options, [](mrkit::RandomStream& s, std::uint64_t n) {
      return mrkit::arctan_integrand(s, n);
    });
  }
  scope.reset();
  meter.finish();
  if (common.stats) mrkit::print_rank_stats(rt.world(), timer, program, *common.stats);
  if (!rt.is_mother()) return 0;
  report_resume(e.warnings, e.resumed_tasks, e.tasks);
  mrkit::emit(common.out, render_estimate(cmd, e, cmd.options.samples, common.out.format));
  return 0;
}

int montecarlo(mrkit::Runtime& rt, int argc, char** argv) {
  CLI::App app{
      "Monte Carlo on MPI: the course's per-seed example bit for bit with numpy, and "
      "estimates of pi with error bars. Results are the same at every rank count.\n"
      "Exit codes: 0 success, 1 run-time failure, 2 bad command line, 3 a checkpoint of "
      "another run; 130 (SIGINT) or 143 (SIGTERM) when interrupted (under mpirun: 1).",
      program};
  app.require_subcommand(1);
  CommonOptions common;
  mrkit::add_output_options(app, common.out, "text|json");
  app.add_flag("--progress", common.progress,
               "Show progress on standard error (default: only when it is a terminal)");
  mrkit::add_stats_option(app, common.stats);
  app.add_option("--checkpoint", common.checkpoint_dir,
                 "Record finished tasks in DIR (shared by all ranks); re-running the same command "
                 "after a crash resumes from it, at any rank count, with the same result. A "
                 "checkpoint of other options, or one in use by another run, is refused (exit "
                 "3); every record is verified (checksum, job, task), a bad one is named and run "
                 "again. Not with --time-limit")
      ->type_name("DIR")
      ->check(CLI::Validator(
          [](const std::string& dir) -> std::string {
            return dir.empty() ? "expected a directory, got an empty name" : "";
          },
          ""));

  mrkit::SeedSweepOptions square;
  add_square(app, square);

  EstimatorCommand pi{"pi",
                      "pi by hit or miss: 4 x the fraction of uniform points of the unit square "
                      "inside the quarter disc",
                      {}};
  pi.options.stream = 0;
  EstimatorCommand integral{"integral",
                            "pi as the integral of 4 / (1 + x^2) over [0, 1]: the mean of "
                            "4 / (1 + x^2) for x uniform",
                            {}};
  integral.options.stream = 1;
  for (auto* cmd : {&pi, &integral}) cmd->options.samples = 100000000;
  add_estimator(app, pi,
                "Estimate pi by hit or miss in the quarter disc (Philox4x32-10 random streams), "
                "with its standard error and 95% confidence interval");
  add_estimator(app, integral,
                "Estimate pi as the integral of 4 / (1 + x^2) over [0, 1] (mean-value Monte "
                "Carlo: a smaller standard error than hit or miss for as many samples)");

  try {
    if (auto code = mrkit::parse_command_line(app, argc, argv, rt)) return *code;
  } catch (const mrkit::UsageError& e) {
    // CLI11 says "A subcommand is required" even for an unknown one: name the choices.
    if (std::string_view(e.what()).starts_with("A subcommand is required")) {
      throw mrkit::UsageError("expected a subcommand: square, pi or integral (see " +
                              std::string(program) + " --help)");
    }
    throw;
  }

  mrkit::set_interrupt_note(mrkit::checkpoint_interrupt_note(common.checkpoint_dir));
  if (app.got_subcommand("square")) return run_square(rt, square, common);
  if (app.got_subcommand("pi")) return run_estimator(rt, pi, common);
  return run_estimator(rt, integral, common);
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, program,
                    [&](mrkit::Runtime& rt) { return montecarlo(rt, argc, argv); });
}
