// What every mrkit program shares on its command line: --help, --version, --format and -o,
// parsed alike on every rank, with help and errors printed by the mother only.
#pragma once

#include "mrkit/runtime.hpp"

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

// Writes the program's result to standard output (no -o, "-o -" or "-o /dev/stdout") or,
// atomically, to the -o file (mother only).
void emit(const OutputOptions& out, std::string_view content);

}  // namespace mrkit
