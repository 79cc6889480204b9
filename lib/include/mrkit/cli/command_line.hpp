// What every mrkit program shares on its command line: --help, --version, --format and -o,
// parsed alike on every rank, with help and errors printed by the mother only.
#pragma once

#include "mrkit/core/runtime.hpp"
#include "mrkit/tasks/rank_stats.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

enum class OutputFormat { text, tsv, json };

struct OutputOptions {
  OutputFormat format = OutputFormat::text;
  std::string output_path;  // empty: standard output
};

[[nodiscard]] std::string version_string();

// Validators with plain messages: "--top: expected a whole number >= 0, got 'x'".
// `max` bounds the value (e.g. 2^32-1 for a 32-bit seed).
[[nodiscard]] CLI::Validator whole_number(std::uint64_t min, std::uint64_t max = UINT64_MAX);
// "--task-time-limit: expected a number of seconds > 0, got 'x'" (finite, so not inf or nan).
[[nodiscard]] CLI::Validator positive_seconds();
// "--sleep: expected a number from 0 to 3600 (seconds), got 'nan'" (finite, inclusive bounds).
[[nodiscard]] CLI::Validator seconds_between(double min, double max);
// "--schedule: expected one of static|dynamic, got 'x'".
[[nodiscard]] CLI::Validator one_of(const std::vector<std::string>& names);

// Adds --version, --format (restricted to `formats`, e.g. "text|json") and -o/--output.
void add_output_options(CLI::App& app, OutputOptions& out, std::string_view formats = "text|json");

// Parses on every rank. Returns an exit code when the program should stop now (--help or
// --version, printed by the mother), nothing to go on. A bad command line throws UsageError
// (one sentence, with a pointer to --help).
[[nodiscard]] std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                                    const Runtime& runtime);

// A result that could not be written (a full disk, /dev/full, a closed standard output, an
// -o file the user may not replace): exit code 1, the message printed by the mother.
class OutputError : public CollectiveError {
 public:
  explicit OutputError(const std::string& message) : CollectiveError(ExitCode::failure, message) {}
};

// Writes `text` to standard output and flushes it (std::cout first, as both share fd 1).
// A failed write throws OutputError("write error: No space left on device"), as `wc` says.
void write_standard_output(std::string_view text);

// Writes the program's result to standard output (no -o, "-o -" or "-o /dev/stdout") or,
// atomically, to the -o file (mother only). Any failure throws OutputError on the mother
// alone: call it where no collective follows, or inside on_mother_then_agree.
void emit(const OutputOptions& out, std::string_view content);

// Adds `--stats[=table|json]` ("--stats" alone: table) to a command line. Being a flag, it never
// takes the next argument as its value, so `--stats FILE` leaves FILE to the program. --help
// shows it as `--stats[=FORMAT]` (the app's formatter is replaced by one that does).
void add_stats_option(CLI::App& app, std::optional<StatsFormat>& stats);

}  // namespace mrkit
