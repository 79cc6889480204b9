// mrkit::cli: the validators and the options every program shares, parsed by CLI11 as a program
// would parse them (no MPI: parsing is the same on every rank).
#include <mrkit/cli/command_line.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace {

// Parses `args` (without the program name) the way a program's main does.
void parse(CLI::App& app, std::vector<std::string> args) {
  std::vector<char*> argv;
  std::string name = "prog";
  argv.push_back(name.data());
  for (auto& a : args) argv.push_back(a.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

// The message CLI11 gives for `args`, or "" when they parse.
std::string parse_error(CLI::App& app, std::vector<std::string> args) {
  try {
    parse(app, std::move(args));
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CommandLine, OneOfAcceptsOnlyTheNames) {
  const CLI::Validator v = mrkit::one_of({"static", "dynamic"});
  EXPECT_EQ(v("static"), "");
  EXPECT_EQ(v("dynamic"), "");
  EXPECT_EQ(v("Static"), "expected one of static|dynamic, got 'Static'");
  EXPECT_EQ(v(""), "expected one of static|dynamic, got ''");
  EXPECT_EQ(v("static "), "expected one of static|dynamic, got 'static '");
}

TEST(CommandLine, WholeNumberChecksDigitsAndBounds) {
  const CLI::Validator v = mrkit::whole_number(1);
  EXPECT_EQ(v("1"), "");
  EXPECT_EQ(v("18446744073709551615"), "");  // 2^64-1
  EXPECT_EQ(v("0"), "expected a whole number >= 1, got '0'");
  EXPECT_EQ(v("18446744073709551616"), "expected a whole number >= 1, got '18446744073709551616'");
  EXPECT_EQ(v("-1"), "expected a whole number >= 1, got '-1'");
  EXPECT_EQ(v("+1"), "expected a whole number >= 1, got '+1'");
  EXPECT_EQ(v(" 1"), "expected a whole number >= 1, got ' 1'");
  EXPECT_EQ(v("1x"), "expected a whole number >= 1, got '1x'");
  EXPECT_EQ(v("1.0"), "expected a whole number >= 1, got '1.0'");
  EXPECT_EQ(v(""), "expected a whole number >= 1, got ''");

  const CLI::Validator seed = mrkit::whole_number(0, 4294967295);
  EXPECT_EQ(seed("0"), "");
  EXPECT_EQ(seed("4294967295"), "");
  EXPECT_EQ(seed("4294967296"), "expected a whole number from 0 to 4294967295, got '4294967296'");
}

TEST(CommandLine, WholeNumberNamesTheOptionInAParseError) {
  CLI::App app;
  std::uint64_t top = 10;
  app.add_option("--top", top)->check(mrkit::whole_number(0));
  EXPECT_EQ(parse_error(app, {"--top", "7"}), "");
  EXPECT_EQ(top, 7U);
  const std::string error = parse_error(app, {"--top", "x"});
  EXPECT_NE(error.find("--top"), std::string::npos) << error;
  EXPECT_NE(error.find("expected a whole number >= 0, got 'x'"), std::string::npos) << error;
}

TEST(CommandLine, FormatTakesOnlyTheProgramsFormats) {
  {
    CLI::App app;
    mrkit::OutputOptions out;
    mrkit::add_output_options(app, out);  // text|json
    EXPECT_EQ(parse_error(app, {}), "");
    EXPECT_EQ(out.format, mrkit::OutputFormat::text);
    EXPECT_EQ(out.output_path, "");
  }
  {
    CLI::App app;
    mrkit::OutputOptions out;
    mrkit::add_output_options(app, out);
    EXPECT_EQ(parse_error(app, {"--format", "json", "-o", "result.json"}), "");
    EXPECT_EQ(out.format, mrkit::OutputFormat::json);
    EXPECT_EQ(out.output_path, "result.json");
  }
  {
    CLI::App app;
    mrkit::OutputOptions out;
    mrkit::add_output_options(app, out);
    const std::string error = parse_error(app, {"--format=tsv"});  // not offered here
    EXPECT_NE(error.find("expected one of text|json, got 'tsv'"), std::string::npos) << error;
    EXPECT_EQ(out.format, mrkit::OutputFormat::text);
  }
  {
    CLI::App app;
    mrkit::OutputOptions out;
    mrkit::add_output_options(app, out, "text|tsv|json");
    EXPECT_EQ(parse_error(app, {"--format=tsv"}), "");
    EXPECT_EQ(out.format, mrkit::OutputFormat::tsv);
  }
  {
    CLI::App app;
    mrkit::OutputOptions out;
    mrkit::add_output_options(app, out);
    const std::string error = parse_error(app, {"-o", ""});
    EXPECT_NE(error.find("expected a file name or - (standard output), got ''"), std::string::npos)
        << error;
  }
}

TEST(CommandLine, StatsAloneIsATableAndTakesNoNextArgument) {
  CLI::App app;
  std::optional<mrkit::StatsFormat> stats;
  std::vector<std::string> files;
  mrkit::add_stats_option(app, stats);
  app.add_option("files", files);
  EXPECT_EQ(parse_error(app, {"--stats", "json"}), "");
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(*stats, mrkit::StatsFormat::table);
  EXPECT_EQ(files, std::vector<std::string>{"json"});  // a file named json, not the format
}

TEST(CommandLine, StatsEqualsJson) {
  CLI::App app;
  std::optional<mrkit::StatsFormat> stats;
  mrkit::add_stats_option(app, stats);
  EXPECT_EQ(parse_error(app, {"--stats=json"}), "");
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(*stats, mrkit::StatsFormat::json);
}

TEST(CommandLine, StatsEqualsTableAndAbsent) {
  {
    CLI::App app;
    std::optional<mrkit::StatsFormat> stats;
    mrkit::add_stats_option(app, stats);
    EXPECT_EQ(parse_error(app, {"--stats=table"}), "");
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(*stats, mrkit::StatsFormat::table);
  }
  {
    CLI::App app;
    std::optional<mrkit::StatsFormat> stats;
    mrkit::add_stats_option(app, stats);
    EXPECT_EQ(parse_error(app, {}), "");
    EXPECT_FALSE(stats.has_value());
  }
}

TEST(CommandLine, StatsRefusesAnotherFormat) {
  CLI::App app;
  std::optional<mrkit::StatsFormat> stats;
  mrkit::add_stats_option(app, stats);
  const std::string error = parse_error(app, {"--stats=xml"});
  EXPECT_NE(error.find("expected one of table|json, got 'xml'"), std::string::npos) << error;
  EXPECT_FALSE(stats.has_value());
}

TEST(CommandLine, HelpShowsStatsWithItsOptionalFormat) {
  CLI::App app("prog");
  std::optional<mrkit::StatsFormat> stats;
  mrkit::add_stats_option(app, stats);
  const std::string help = app.help();
  EXPECT_NE(help.find("--stats[=FORMAT]"), std::string::npos) << help;
}
