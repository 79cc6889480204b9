#include "mrkit/comm/message_codec.hpp"

#include "mrkit/core/detail/mpi_check.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mrkit::detail {

void recv_bytes_into(const boost::mpi::communicator& comm, int source, int tag,
                     const std::function<char*(std::size_t bytes)>& allocate) {
  std::uint64_t size = 0;
  check(MPI_Recv(&size, 1, MPI_UINT64_T, source, tag, comm, MPI_STATUS_IGNORE), "MPI_Recv");
  char* data = allocate(static_cast<std::size_t>(size));
  const std::size_t piece = max_message_bytes();
  std::vector<MPI_Request> requests;
  for (std::size_t at = 0; at < size; at += piece) {
    const int count =
        static_cast<int>(std::min<std::size_t>(piece, static_cast<std::size_t>(size) - at));
    MPI_Request r{};
    check(MPI_Irecv(data + at, count, MPI_BYTE, source, tag, comm, &r), "MPI_Irecv");
    requests.push_back(r);
  }
  if (!requests.empty()) {
    check(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE),
          "MPI_Waitall");
  }
}

}  // namespace mrkit::detail
