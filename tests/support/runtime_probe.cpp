// A test program for mrkit::run: fails in a chosen way on a chosen rank while the other ranks
// wait in a collective, to show the job ends promptly with one message naming the rank.
#include <mrkit/runtime.hpp>

#include <boost/mpi/collectives.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "ok";
  const int victim = argc > 2 ? std::atoi(argv[2]) : 0;
  return mrkit::run(argc, argv, "runtime_probe", [&](mrkit::Runtime& rt) {
    if (mode == "throw" && rt.rank() == victim) throw std::runtime_error("disk on fire");
    if (mode == "usage") throw mrkit::UsageError("--frobnicate is not an option");
    if (mode == "abort" && rt.rank() == victim) std::abort();
    // Everyone else waits here: only a job-wide abort can release them.
    rt.world().barrier();
    return 0;
  });
}
