#include "mrkit/cli/command_line.hpp"

#include "mrkit/io/atomic_file.hpp"
#include "mrkit/version.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>

namespace mrkit {

std::string version_string() {
  return std::string("mrkit ") + std::string(version);
}

CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  const std::string what = max == UINT64_MAX
                               ? fmt::format("a whole number >= {}", min)
                               : fmt::format("a whole number from {} to {}", min, max);
  return CLI::Validator(
      [=](const std::string& text) -> std::string {
        std::uint64_t value = 0;
        const char* first = text.data();
        const char* last = text.data() + text.size();
        const auto [end, ec] = std::from_chars(first, last, value);
        if (text.empty() || ec != std::errc() || end != last || value < min || value > max) {
          return "expected " + what + ", got '" + text + "'";
        }
        return {};
      },
      what);
}

namespace {

// A finite number written in full (from_chars: no leading space, no trailing text), or nothing.
std::optional<double> finite_number(const std::string& text) {
  double value = 0;
  const char* last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(text.data(), last, value);
  if (text.empty() || ec != std::errc() || end != last || !std::isfinite(value)) return {};
  return value;
}

}  // namespace

CLI::Validator positive_seconds() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        const auto value = finite_number(text);
        if (!value || !(*value > 0)) return "expected a number of seconds > 0, got '" + text + "'";
        return {};
      },
      "a number > 0");
}

CLI::Validator seconds_between(double min, double max) {
  const std::string what = fmt::format("a number from {} to {}", min, max);
  return CLI::Validator(
      [=](const std::string& text) -> std::string {
        const auto value = finite_number(text);
        if (!value || *value < min || *value > max) {
          return "expected " + what + " (seconds), got '" + text + "'";
        }
        return {};
      },
      what);
}

CLI::Validator one_of(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : "|") + n;
  return CLI::Validator(
      [names, list](const std::string& text) -> std::string {
        for (const auto& n : names) {
          if (text == n) return {};
        }
        return "expected one of " + list + ", got '" + text + "'";
      },
      list);
}

void add_output_options(CLI::App& app, OutputOptions& out, std::string_view formats) {
  app.set_version_flag("--version", version_string(), "Print the mrkit version and exit");
  std::vector<std::string> names;
  std::stringstream list{std::string(formats)};
  for (std::string name; std::getline(list, name, '|');) names.push_back(name);
  app.add_option_function<std::string>(
         "--format",
         [&out](const std::string& name) {
           out.format = name == "json"  ? OutputFormat::json
                        : name == "tsv" ? OutputFormat::tsv
                                        : OutputFormat::text;
         },
         "Output format: " + std::string(formats) + " (default: text)")
      ->check(one_of(names))
      ->type_name("FORMAT");
  app.add_option("-o,--output", out.output_path,
                 "Write the result to FILE instead of standard output (-: standard output). "
                 "A regular file is replaced atomically and keeps its mode (a new one follows "
                 "the umask); a terminal, pipe or device is written into")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            return text.empty() ? "expected a file name or - (standard output), got ''" : "";
          },
          ""))
      ->type_name("FILE");
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                      const Runtime& runtime) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    if (runtime.is_mother()) write_standard_output(app.help());
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    if (runtime.is_mother()) write_standard_output(app.help("", CLI::AppFormatMode::All));
    return 0;
  } catch (const CLI::CallForVersion&) {
    if (runtime.is_mother()) write_standard_output(version_string() + '\n');
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == '.'))
      message.pop_back();
    throw UsageError(message + " (see " + app.get_name() + " --help)");
  }
  return std::nullopt;
}

void write_standard_output(std::string_view text) {
  std::cout.flush();
  errno = 0;
  const bool written = std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
  if (!written || std::fflush(stdout) != 0 || std::ferror(stdout) != 0 || std::cout.bad()) {
    const int err = errno;
    throw OutputError(err != 0 ? std::string("write error: ") + std::strerror(err)
                               : std::string("write error"));
  }
}

void emit(const OutputOptions& out, std::string_view content) {
  if (out.output_path.empty() || out.output_path == "-" || out.output_path == "/dev/stdout") {
    write_standard_output(content);
    return;
  }
  try {
    write_file_atomically(out.output_path, content);
  } catch (const std::runtime_error& e) {
    throw OutputError(e.what());
  }
}

namespace {

// CLI11 shows a flag with a default value as `--stats{table}`; this shows it as it is written.
class StatsHelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override {
    if (!is_positional && opt->check_lname("stats")) return "--stats[=FORMAT]";
    return CLI::Formatter::make_option_name(opt, is_positional);
  }
};

}  // namespace

void add_stats_option(CLI::App& app, std::optional<StatsFormat>& stats) {
  app.formatter(std::make_shared<StatsHelpFormatter>());
  CLI::Validator format = one_of({"table", "json"});
  format.description("");  // the help text says it; CLI11 would add ":table|json"
  app.add_flag("--stats{table}")
      ->description(
          "Print per-rank compute, wait and I/O seconds on standard error: FORMAT is table "
          "(--stats alone) or json (--stats=json)")
      ->check(format)
      ->each([&stats](const std::string& name) {
        stats = name == "json" ? StatsFormat::json : StatsFormat::table;
      });
}

}  // namespace mrkit
