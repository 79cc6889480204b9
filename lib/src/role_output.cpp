#include "mrkit/role_output.hpp"

#include "mrkit/chunked_messages.hpp"
#include "mrkit/message_codec.hpp"

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

}  // namespace mrkit
