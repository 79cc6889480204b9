#include "mrkit/comm/chunked_messages.hpp"

#include "mrkit/core/detail/mpi_check.hpp"
#include "mrkit/core/tags.hpp"

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>

namespace mrkit {
namespace {

constexpr std::size_t one_gib = std::size_t{1} << 30;
std::atomic<std::size_t> g_max_bytes{one_gib};

using detail::check;

// Posts non-blocking sends (or receives) of `size` bytes at `data` in pieces; MPI keeps pieces
// between one pair on one tag in order, so the receiver's pieces line up with the sender's.
void post_pieces(bool send, char* data, std::size_t size, int peer, int tag, MPI_Comm comm,
                 std::vector<MPI_Request>& requests) {
  const std::size_t piece = max_message_bytes();
  for (std::size_t at = 0; at < size; at += piece) {
    const int count = static_cast<int>(std::min(piece, size - at));
    MPI_Request r{};
    if (send) {
      check(MPI_Isend(data + at, count, MPI_BYTE, peer, tag, comm, &r), "MPI_Isend");
    } else {
      check(MPI_Irecv(data + at, count, MPI_BYTE, peer, tag, comm, &r), "MPI_Irecv");
    }
    requests.push_back(r);
  }
}

void wait_all(std::vector<MPI_Request>& requests) {
  if (requests.empty()) return;
  check(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE),
        "MPI_Waitall");
  requests.clear();
}

}  // namespace

std::size_t max_message_bytes() noexcept {
  return g_max_bytes.load();
}

void set_max_message_bytes(std::size_t bytes) noexcept {
  g_max_bytes.store(bytes == 0 ? one_gib : std::min(bytes, one_gib));
}

void send_bytes(const boost::mpi::communicator& comm, int dest, int tag, std::string_view bytes) {
  std::uint64_t size = bytes.size();
  check(MPI_Send(&size, 1, MPI_UINT64_T, dest, tag, comm), "MPI_Send");
  std::vector<MPI_Request> requests;
  post_pieces(true, const_cast<char*>(bytes.data()), bytes.size(), dest, tag, comm, requests);
  wait_all(requests);
}

std::string recv_bytes(const boost::mpi::communicator& comm, int source, int tag) {
  std::uint64_t size = 0;
  check(MPI_Recv(&size, 1, MPI_UINT64_T, source, tag, comm, MPI_STATUS_IGNORE), "MPI_Recv");
  std::string bytes(static_cast<std::size_t>(size), '\0');
  std::vector<MPI_Request> requests;
  post_pieces(false, bytes.data(), bytes.size(), source, tag, comm, requests);
  wait_all(requests);
  return bytes;
}

void broadcast_bytes(const boost::mpi::communicator& comm, std::string& bytes, int root) {
  std::uint64_t size = bytes.size();
  check(MPI_Bcast(&size, 1, MPI_UINT64_T, root, comm), "MPI_Bcast");
  if (comm.rank() != root) bytes.assign(static_cast<std::size_t>(size), '\0');
  const std::size_t piece = max_message_bytes();
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    const int count = static_cast<int>(std::min(piece, bytes.size() - at));
    check(MPI_Bcast(bytes.data() + at, count, MPI_BYTE, root, comm), "MPI_Bcast");
  }
}

std::vector<std::string> exchange_bytes(const boost::mpi::communicator& comm,
                                        const std::vector<std::string>& outgoing) {
  const auto p = static_cast<std::size_t>(comm.size());
  const auto me = static_cast<std::size_t>(comm.rank());
  if (outgoing.size() != p) throw std::invalid_argument("exchange_bytes needs one buffer per rank");
  std::vector<std::uint64_t> send_sizes(p);
  std::vector<std::uint64_t> recv_sizes(p);
  for (std::size_t r = 0; r < p; ++r) send_sizes[r] = outgoing[r].size();
  check(MPI_Alltoall(send_sizes.data(), 1, MPI_UINT64_T, recv_sizes.data(), 1, MPI_UINT64_T, comm),
        "MPI_Alltoall");
  std::vector<std::string> incoming(p);
  std::vector<MPI_Request> requests;
  for (std::size_t r = 0; r < p; ++r) {
    if (r == me) continue;
    incoming[r].assign(static_cast<std::size_t>(recv_sizes[r]), '\0');
    post_pieces(false, incoming[r].data(), incoming[r].size(), static_cast<int>(r),
                tags::exchange_pieces, comm, requests);
  }
  for (std::size_t r = 0; r < p; ++r) {
    if (r == me) continue;
    post_pieces(true, const_cast<char*>(outgoing[r].data()), outgoing[r].size(),
                static_cast<int>(r), tags::exchange_pieces, comm, requests);
  }
  incoming[me] = outgoing[me];
  wait_all(requests);
  return incoming;
}

std::vector<std::string> gather_bytes(const boost::mpi::communicator& comm, std::string_view bytes,
                                      int root) {
  const auto p = static_cast<std::size_t>(comm.size());
  std::uint64_t size = bytes.size();
  std::vector<std::uint64_t> sizes(comm.rank() == root ? p : 0);
  check(MPI_Gather(&size, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, root, comm),
        "MPI_Gather");
  std::vector<MPI_Request> requests;
  std::vector<std::string> all;
  if (comm.rank() == root) {
    all.resize(p);
    for (std::size_t r = 0; r < p; ++r) {
      if (static_cast<int>(r) == root) {
        all[r] = std::string(bytes);
        continue;
      }
      all[r].assign(static_cast<std::size_t>(sizes[r]), '\0');
      post_pieces(false, all[r].data(), all[r].size(), static_cast<int>(r), tags::gather_pieces,
                  comm, requests);
    }
  } else {
    post_pieces(true, const_cast<char*>(bytes.data()), bytes.size(), root, tags::gather_pieces,
                comm, requests);
  }
  wait_all(requests);
  return all;
}

}  // namespace mrkit
