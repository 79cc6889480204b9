// Text that several ranks write for one story, gathered on the mother by role ("p1", "p2", ...),
// so a program prints the course's cell in the course's order at every run, whatever order the
// ranks happened to run in. Also who plays which of the course's child processes, and the one
// main every course program shares.
#pragma once

#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/runtime.hpp>

#include <boost/mpi/communicator.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace mrkit {

using RoleOutput = std::map<std::string, std::string>;

// Collective: every rank's roles on `root` (text of a role written by several ranks is joined in
// rank order); other ranks get an empty map.
[[nodiscard]] RoleOutput gather_role_output(const boost::mpi::communicator& comm,
                                            const RoleOutput& mine, int root = mother_rank);

// The rank that plays the course's child process number `child` (1, 2, ...): the ranks other than
// the mother in turn, or the mother herself when she is alone.
[[nodiscard]] int child_rank(int child, int ranks);

// A course program's story as one JSON object (one line): {"program": P, "ranks": N,
// "lines": ["line 1", ...]}, the lines of the text output without their newlines.
[[nodiscard]] std::string course_json(std::string_view program, int ranks, std::string_view story);

// The whole main of a course program (processes, pipe_words, queue_squares, ...), run under
// mrkit::run: a command line described by `description`, with the program's own options
// (`add_options`, may be empty) then --version, --format text|json and -o; --help and --version
// printed by the mother, a bad command line an exit with ExitCode::usage. Then `body` runs on
// every rank and the mother writes what it returned (the story) to standard output or to -o,
// as it is or, with --format json, as course_json. The text of other ranks is dropped: they
// return {}.
[[nodiscard]] int course_main(int argc, char** argv, std::string_view program,
                              const std::string& description,
                              const std::function<std::string(Runtime&)>& body,
                              const std::function<void(CLI::App&)>& add_options = {});

}  // namespace mrkit
