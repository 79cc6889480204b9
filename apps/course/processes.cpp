// processes: the course's first multiprocessing programs (cells 43 and 46), on MPI. The processes
// are the ranks, all started at once by mpirun (no fork); "start" gives a rank its task, "join"
// is the mother gathering what it did; each prints its own process id and host.
#include <mrkit/core/runtime.hpp>
#include "role_output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace {

constexpr const char* program = "processes";
constexpr const char* description =
    "The course's Process examples on MPI: two children print a square and a cube, then "
    "their process ids. Child 1 and child 2 are ranks 1 and 2 (one rank plays both when "
    "there are two; the mother plays both alone).";

std::string processes(mrkit::Runtime& rt) {
  const int p = rt.size();
  const std::string me = fmt::format("{} (rank {} on {})", ::getpid(), rt.rank(), rt.host());
  mrkit::RoleOutput mine;
  mine["pid" + std::to_string(rt.rank())] = std::to_string(::getpid());
  // Cell 43: p1 = Process(target=print_carre, args=(10,)), p2 = Process(target=print_cube, ...)
  const long num = 10;
  if (rt.rank() == mrkit::child_rank(1, p)) {
    mine["p1.square"] = fmt::format("Square: {}\n", num * num);
    mine["p1.worker"] = fmt::format("ID du processus ayant lancé travailleur1: {}\n", me);
    mine["p1.pid"] = std::to_string(::getpid());
  }
  if (rt.rank() == mrkit::child_rank(2, p)) {
    mine["p2.cube"] = fmt::format("Cube: {}\n", num * num * num);
    mine["p2.worker"] = fmt::format("ID du processus ayant lancé travailleur2: {}\n", me);
    mine["p2.pid"] = std::to_string(::getpid());
  }
  // p1.join(); p2.join(): the mother has every child's output once this returns.
  mrkit::RoleOutput all = mrkit::gather_role_output(rt.world(), mine);
  if (!rt.is_mother()) return {};

  std::string story;
  story += fmt::format("Nombre de processeur(cpu): {} (ranks in this job: {})\n",
                       std::thread::hardware_concurrency(), p);
  story += all["p1.square"] + all["p2.cube"] + "Finit!\n\n";
  story += fmt::format("ID du processus main (process mère, process principal): {}\n", me);
  story += all["p1.worker"] + all["p2.worker"];
  story += fmt::format("ID du processus p1: {}\n", all["p1.pid"]);
  story += fmt::format("ID du processus p2: {}\n", all["p2.pid"]);
  story += "Les deux processus ont fini leur exécution!\n";
  // A rank lives for the whole job; its task, the course's process, has ended.
  story += "Processus p1 is actif: False\n";
  story += "Processus p2 is actif: False\n";
  return story;
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::course_main(argc, argv, program, description, processes);
}
