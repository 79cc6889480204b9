#include "mrkit/comm/message_codec.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mrkit::detail {

void recv_bytes_into(const boost::mpi::communicator& comm, int source, int tag,
                     const std::function<char*(std::size_t bytes)>& allocate) {
  std::uint64_t size = 0;
  if (MPI_Recv(&size, 1, MPI_UINT64_T, source, tag, comm, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Recv failed receiving a value");
  }
  char* data = allocate(static_cast<std::size_t>(size));
  const std::size_t piece = max_message_bytes();
  std::vector<MPI_Request> requests;
  for (std::size_t at = 0; at < size; at += piece) {
    const int count =
        static_cast<int>(std::min<std::size_t>(piece, static_cast<std::size_t>(size) - at));
    MPI_Request r{};
    if (MPI_Irecv(data + at, count, MPI_BYTE, source, tag, comm, &r) != MPI_SUCCESS) {
      throw std::runtime_error("MPI_Irecv failed receiving a value");
    }
    requests.push_back(r);
  }
  if (!requests.empty() && MPI_Waitall(static_cast<int>(requests.size()), requests.data(),
                                       MPI_STATUSES_IGNORE) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Waitall failed receiving a value");
  }
}

}  // namespace mrkit::detail
