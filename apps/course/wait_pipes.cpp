// wait_pipes: the course's connection.wait example. Four children each send ten (i, name) pairs
// down a pipe of their own and close it; the mother waits on all pipes at once, prints what
// comes, and drops a pipe when its end of stream arrives (the course's EOFError).
#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/patterns/channel.hpp>
#include "role_output.hpp"

#include <fmt/format.h>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr const char* program = "wait_pipes";
constexpr const char* description =
    "The course's connection.wait on MPI: children send (i, name) pairs on pipes of their "
    "own; the mother waits on every pipe at once and prints messages as they come.";
using Message = std::pair<int, std::string>;

std::string wait_pipes(mrkit::Runtime& rt, int children, int count) {
  const int p = rt.size();
  std::vector<std::unique_ptr<mrkit::Pipe<Message>>> pipes;
  for (int c = 1; c <= children; ++c) {  // r, w = Pipe(duplex=False)
    pipes.push_back(std::make_unique<mrkit::Pipe<Message>>(rt.world(), mrkit::child_rank(c, p),
                                                           mrkit::mother_rank));
  }
  // foo(w): for i in range(10): w.send((i, current_process().name)); w.close()
  for (int c = 1; c <= children; ++c) {
    if (rt.rank() != mrkit::child_rank(c, p)) continue;
    auto& w = *pipes[static_cast<std::size_t>(c - 1)];
    for (int i = 0; i < count; ++i) w.send({i, fmt::format("Process-{} (rank {})", c, rt.rank())});
    w.close();
  }
  if (!rt.is_mother()) return {};
  std::vector<mrkit::Pipe<Message>*> readers;
  for (auto& pp : pipes) readers.push_back(pp.get());
  std::string story;
  std::uint64_t received = 0;
  while (!readers.empty()) {  // while readers: for r in wait(readers): ...
    const std::vector<std::size_t> ready = mrkit::wait_ready(readers);
    std::vector<mrkit::Pipe<Message>*> still;
    std::size_t next = 0;
    for (std::size_t i = 0; i < readers.size(); ++i) {
      if (next < ready.size() && ready[next] == i) {
        ++next;
        if (auto msg = readers[i]->recv()) {
          story += fmt::format("({}, '{}')\n", msg->first, msg->second);
          ++received;
        } else {
          continue;  // EOFError: readers.remove(r)
        }
      }
      still.push_back(readers[i]);
    }
    readers = std::move(still);
  }
  story += fmt::format("{} messages from {} children, all pipes closed\n", received, children);
  return story;
}

}  // namespace

int main(int argc, char** argv) {
  int children = 4;
  int count = 10;
  return mrkit::course_main(
      argc, argv, program, description,
      [&](mrkit::Runtime& rt) { return wait_pipes(rt, children, count); },
      [&](CLI::App& app) {
        app.add_option("--children", children, "Children (pipes), default 4")
            ->check(mrkit::whole_number(1, 1000));
        app.add_option("--messages", count, "Messages per child, default 10")
            ->check(mrkit::whole_number(0, 1000000));
      });
}
