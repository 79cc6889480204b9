// queue_squares: the course's Queue examples (cells 28 and 30). A child puts a list into a queue
// and the mother gets it; then one child puts the squares of [1, 2, 3, 4] and another prints the
// queue until it is empty. The queue lives on the mother, who answers the others.
#include <mrkit/core/runtime.hpp>
#include <mrkit/patterns/shared_queue.hpp>
#include "role_output.hpp"

#include <fmt/format.h>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <string>
#include <vector>

namespace {

constexpr const char* program = "queue_squares";
constexpr const char* description =
    "The course's Queue on MPI: a child puts [1, 2, 3, None, 'hello'] for the mother; a "
    "producer puts the squares of [1, 2, 3, 4] and a consumer prints them until the queue "
    "is empty.";

std::string queue_squares(mrkit::Runtime& rt) {
  const int p = rt.size();
  std::string story;

  {  // Cell 28: q = Queue(); p = Process(target=f, args=(q,)); print(q.get())
    mrkit::Queue<std::vector<std::string>> q(rt.world());
    if (rt.rank() == mrkit::child_rank(1, p)) q.put({"1", "2", "3", "None", "'hello'"});
    q.close();
    if (rt.is_mother()) {
      const auto e = q.get();
      std::string shown;
      for (const auto& item : *e) shown += (shown.empty() ? "" : ", ") + item;
      story += "[" + shown + "]\n\n";
    }
    q.join();
  }

  // Cell 30: p1 puts the squares of mylist (and is joined), then p2 prints the queue.
  mrkit::Queue<long> q(rt.world());
  const std::vector<long> mylist{1, 2, 3, 4};
  if (rt.rank() == mrkit::child_rank(1, p)) {
    for (const long num : mylist) q.put(num * num);
  }
  q.close();
  mrkit::RoleOutput mine;
  if (rt.rank() == mrkit::child_rank(2, p)) {
    std::string text = "Queue élements:\n";
    while (auto n = q.get()) text += fmt::format("{}\n", *n);  // while not q.empty(): q.get()
    mine["p2"] = text + "Queue est vide!\n";
  }
  q.join();
  const mrkit::RoleOutput all = mrkit::gather_role_output(rt.world(), mine);
  if (!rt.is_mother()) return {};
  return story + all.at("p2");
}

}  // namespace

int main(int argc, char** argv) {
  return mrkit::course_main(argc, argv, program, description, queue_squares);
}
