// Text that several ranks write for one story, gathered on the mother by role ("p1", "p2", ...),
// so a program prints the course's cell in the course's order at every run, whatever order the
// ranks happened to run in. Also who plays which of the course's child processes.
#pragma once

#include "mrkit/runtime.hpp"

#include <boost/mpi/communicator.hpp>

#include <map>
#include <string>

namespace mrkit {

using RoleOutput = std::map<std::string, std::string>;

// Collective: every rank's roles on `root` (text of a role written by several ranks is joined in
// rank order); other ranks get an empty map.
[[nodiscard]] RoleOutput gather_role_output(const boost::mpi::communicator& comm,
                                            const RoleOutput& mine, int root = mother_rank);

// The rank that plays the course's child process number `child` (1, 2, ...): the ranks other than
// the mother in turn, or the mother herself when she is alone.
[[nodiscard]] int child_rank(int child, int ranks);

}  // namespace mrkit
