// pipe_words: the course's Pipe example (cell 36). A sender sends words down a pipe and the
// receiver prints them until the word "END". The two ends are ranks (a one-rank job plays both,
// one after the other); close() also marks the end of the stream, as a closed connection.
#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/patterns/channel.hpp>
#include "role_output.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace {

constexpr const char* program = "pipe_words";
constexpr const char* description =
    "The course's Pipe on MPI: a sender rank sends \"hello\", \"hey\", \"hru?\", \"END\"; the "
    "receiver rank prints what it receives until END.";

std::string pipe_words(mrkit::Runtime& rt, const std::vector<std::string>& msgs) {
  const int p = rt.size();
  const int sender = mrkit::child_rank(1, p);
  const int receiver = p > 2 ? mrkit::child_rank(2, p) : (p == 2 ? mrkit::mother_rank : sender);
  // parent_conn, child_conn = multiprocessing.Pipe()
  mrkit::Pipe<std::string> pipe(rt.world(), sender, receiver);
  mrkit::RoleOutput mine;
  if (rt.rank() == sender) {
    for (const auto& msg : msgs) {
      pipe.send(msg);
      mine["1.sender"] += fmt::format("Message envoyé : {}\n", msg);
    }
    pipe.close();
  }
  if (rt.rank() == receiver) {
    while (auto msg = pipe.recv()) {  // nothing: the sender closed its end
      if (*msg == "END") break;
      mine["2.receiver"] += fmt::format("Message reçu : {}\n", *msg);
    }
  }
  const mrkit::RoleOutput all = mrkit::gather_role_output(rt.world(), mine);
  if (!rt.is_mother()) return {};
  std::string story;
  for (const auto& [role, text] : all) story += (story.empty() ? "" : "\n") + text;
  return story;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> msgs{"hello", "hey", "hru?", "END"};
  return mrkit::course_main(
      argc, argv, program, description, [&](mrkit::Runtime& rt) { return pipe_words(rt, msgs); },
      [&](CLI::App& app) {
        app.add_option("words", msgs, "Words to send (default: hello hey hru? END)");
      });
}
