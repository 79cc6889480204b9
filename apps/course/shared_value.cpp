// shared_value: the course's shared memory examples (cells 47, 48 and 49). A global variable is
// not shared (each rank has its own); a SharedValue and a SharedArray in an MPI window are: what
// a child writes, the mother reads.
#include <mrkit/core/runtime.hpp>
#include <mrkit/patterns/shared_memory.hpp>
#include "role_output.hpp"

#include <fmt/format.h>

#include <numeric>
#include <string>
#include <vector>

namespace {

constexpr const char* program = "shared_value";
constexpr const char* description =
    "The course's shared memory on MPI: a global list is not shared between ranks; a "
    "SharedValue and a SharedArray (MPI one-sided windows on the mother) are.";

std::vector<long> resultat;  // NOLINT: the course's global, on purpose not shared

template <class T>
std::string python_list(const std::vector<T>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + fmt::format("{}", x);
  return "[" + out + "]";
}

std::string shared_value(mrkit::Runtime& rt) {
  const int p1 = mrkit::child_rank(1, rt.size());
  // With one rank the mother plays the child too: her global is then the child's.
  const bool alone = rt.size() == 1;
  const std::vector<long> mylist{1, 2, 3, 4};
  mrkit::RoleOutput mine;

  // Cell 47: liste_des_carre(mylist) appends to the global `resultat` in p1 only.
  if (rt.rank() == p1) {
    for (const long num : mylist) resultat.push_back(num * num);
    mine["47.p1"] =
        fmt::format("variable resultat (dans le processus p1): {}\n", python_list(resultat));
  }
  rt.world().barrier();  // p1.join()
  if (rt.is_mother()) {
    mine["47.z"] = fmt::format("variable resultat (dans le processus principal main): {}\n",
                               python_list(resultat));
    if (alone) mine["47.z"] += "(one rank plays p1 and main, in one memory: run on 2 ranks)\n";
  }

  {  // Cell 48: num = Value('d', 0.0); arr = Array('i', range(10)); f(n, a) in a child
    mrkit::SharedValue<double> num(rt.world(), 0.0);
    std::vector<std::int32_t> range(10);
    std::iota(range.begin(), range.end(), 0);
    mrkit::SharedArray<std::int32_t> arr(rt.world(), range);
    if (rt.rank() == p1) {
      num.store(3.1415927);
      for (std::size_t i = 0; i < arr.size(); ++i) arr.store(i, -arr.load(i));
    }
    num.synchronize();  // p.join()
    if (rt.is_mother()) {
      mine["48"] = fmt::format("variable num (dans le processus principal main): {}\n", num.load());
      mine["48"] += fmt::format("variable arr (dans le processus principal main): {}\n",
                                python_list(arr.read()));
    }
    arr.synchronize();  // nobody frees the window while the mother still reads
  }

  {  // Cell 49: resultat = Array('i', 4); somme_des_carre = Value('i')
    mrkit::SharedArray<std::int32_t> result(rt.world(), 4);
    mrkit::SharedValue<std::int32_t> square_sum(rt.world());
    if (rt.rank() == p1) {
      for (std::size_t idx = 0; idx < mylist.size(); ++idx) {
        result.store(idx, static_cast<std::int32_t>(mylist[idx] * mylist[idx]));
      }
      const auto r = result.read();
      square_sum.store(std::accumulate(r.begin(), r.end(), 0));
      mine["49.p1"] = fmt::format("Résultat (dans process p1): {}\n", python_list(result.read()));
      mine["49.p1"] += fmt::format("Somme des carrés (dans process p1): {}\n", square_sum.load());
    }
    result.synchronize();  // p1.join()
    if (rt.is_mother()) {
      mine["49.z"] = fmt::format("Résultat (dans process main): {}\n", python_list(result.read()));
      mine["49.z"] += fmt::format("Somme des carrés (dans process main): {}\n", square_sum.load());
    }
    result.synchronize();
  }
  const mrkit::RoleOutput all = mrkit::gather_role_output(rt.world(), mine);
  if (!rt.is_mother()) return {};
  return all.at("47.p1") + all.at("47.z") + "\n" + all.at("48") + "\n" + all.at("49.p1") +
         all.at("49.z");
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::course_main(argc, argv, program, description, shared_value);
}
