#include "role_output.hpp"

#include <mrkit/comm/chunked_messages.hpp>
#include <mrkit/comm/message_codec.hpp>

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace mrkit {

RoleOutput gather_role_output(const boost::mpi::communicator& comm, const RoleOutput& mine,
                              int root) {
  std::string bytes;
  for (const auto& [role, text] : mine) {
    append_piece(bytes, role);
    append_piece(bytes, text);
  }
  RoleOutput all;
  for (const std::string& part : gather_bytes(comm, bytes, root)) {
    PieceReader in(part);
    while (!in.done()) {
      std::string role(in.next());
      all[role] += in.next();
    }
  }
  return all;
}

int child_rank(int child, int ranks) {
  if (child < 1 || ranks < 1) throw std::invalid_argument("child_rank: children count from 1");
  if (ranks == 1) return mother_rank;
  return 1 + (child - 1) % (ranks - 1);
}

std::string course_json(std::string_view program, int ranks, std::string_view story) {
  nlohmann::json lines = nlohmann::json::array();
  std::size_t start = 0;
  while (start < story.size()) {
    std::size_t end = story.find('\n', start);
    if (end == std::string_view::npos) end = story.size();
    lines.push_back(std::string(story.substr(start, end - start)));
    start = end + 1;
  }
  const nlohmann::json j = {{"program", std::string(program)}, {"ranks", ranks}, {"lines", lines}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

int course_main(int argc, char** argv, std::string_view program, const std::string& description,
                const std::function<std::string(Runtime&)>& body,
                const std::function<void(CLI::App&)>& add_options) {
  return run(argc, argv, program, [&](Runtime& rt) {
    CLI::App app{description, std::string(program)};
    OutputOptions out;
    if (add_options) add_options(app);
    add_output_options(app, out, "text|json");
    if (auto code = parse_command_line(app, argc, argv, rt)) return *code;
    const std::string story = body(rt);
    if (!rt.is_mother()) return 0;
    if (out.format == OutputFormat::json) {
      emit(out, course_json(program, rt.size(), story));
    } else {
      emit(out, story);
    }
    return 0;
  });
}

}  // namespace mrkit
