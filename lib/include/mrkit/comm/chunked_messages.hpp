// Byte transfers of any size between ranks. MPI counts are int, so every payload travels in
// pieces of at most max_message_bytes() (1 GiB by default); sizes travel as 64-bit integers.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

[[nodiscard]] std::size_t max_message_bytes() noexcept;
// Lowers the piece size (tests use a few bytes to exercise the splitting); 0 restores 1 GiB.
void set_max_message_bytes(std::size_t bytes) noexcept;

void send_bytes(const boost::mpi::communicator& comm, int dest, int tag, std::string_view bytes);
[[nodiscard]] std::string recv_bytes(const boost::mpi::communicator& comm, int source, int tag);

// The root's `bytes` reach every rank (others pass anything; their value is replaced).
void broadcast_bytes(const boost::mpi::communicator& comm, std::string& bytes, int root);

// All-to-all: outgoing[r] goes to rank r; returns incoming[r] from rank r.
[[nodiscard]] std::vector<std::string> exchange_bytes(const boost::mpi::communicator& comm,
                                                      const std::vector<std::string>& outgoing);

// Every rank's `bytes` reach the root, in rank order (other ranks get an empty vector).
[[nodiscard]] std::vector<std::string> gather_bytes(const boost::mpi::communicator& comm,
                                                    std::string_view bytes, int root);

}  // namespace mrkit
