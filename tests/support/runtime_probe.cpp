// A test program for mrkit::run: fails in a chosen way on a chosen rank while the other ranks
// wait in a collective, to show the job ends promptly with one message naming the rank.
//   runtime_probe [ok|throw|usage|abort] [RANK]
#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/runtime.hpp>

#include <boost/mpi/collectives.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
  return mrkit::run(argc, argv, "runtime_probe", [&](mrkit::Runtime& rt) {
    CLI::App app{
        "A test helper for mrkit::run: MODE fails on rank RANK while the other ranks wait in a "
        "barrier. ok: nobody fails; throw: an exception; usage: a usage error on every rank "
        "(exit 2); abort: std::abort().",
        "runtime_probe"};
    std::string mode = "ok";
    int victim = 0;
    app.add_option("MODE", mode, "ok, throw, usage or abort (default ok)")
        ->check(mrkit::one_of({"ok", "throw", "usage", "abort"}));
    app.add_option("RANK", victim, "The rank that fails (default 0)")
        ->check(mrkit::whole_number(0, 1000000));
    if (auto code = mrkit::parse_command_line(app, argc, argv, rt)) return *code;
    if (mode == "throw" && rt.rank() == victim) throw std::runtime_error("disk on fire");
    if (mode == "usage") throw mrkit::UsageError("--frobnicate is not an option");
    if (mode == "abort" && rt.rank() == victim) std::abort();
    // Everyone else waits here: only a job-wide abort can release them.
    rt.world().barrier();
    return 0;
  });
}
