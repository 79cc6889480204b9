// The command line of the benchmark helpers (scan_bench, read_files): CLI11, --help on stdout,
// and every error as one line `PROGRAM: message` on stderr with mrkit's exit codes (2 bad
// command line, 3 bad input, 1 anything else). They run without MPI.
#pragma once

#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/runtime.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <functional>
#include <string>

namespace bench {

// Parses `app`, then runs `body`; returns the process's exit code.
inline int run(CLI::App& app, int argc, char** argv, const std::function<int()>& body) {
  const std::string name = app.get_name();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == '.'))
      message.pop_back();
    std::fprintf(stderr, "%s: %s (see %s --help)\n", name.c_str(), message.c_str(), name.c_str());
    return static_cast<int>(mrkit::ExitCode::usage);
  }
  try {
    return body();
  } catch (const mrkit::CollectiveError& e) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), e.what());
    return static_cast<int>(mrkit::ExitCode::failure);
  }
}

}  // namespace bench
