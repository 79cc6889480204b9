#include "mrkit/comm/reduce.hpp"

#include "mrkit/core/detail/mpi_check.hpp"

#include "mrkit/comm/chunked_messages.hpp"

#include <mpi.h>

#include <algorithm>
#include <stdexcept>

namespace mrkit {

std::uint64_t sum_all(const boost::mpi::communicator& comm, std::uint64_t local) {
  std::uint64_t total = 0;
  detail::check(MPI_Allreduce(&local, &total, 1, MPI_UINT64_T, MPI_SUM, comm), "MPI_Allreduce");
  return total;
}

void sum_to_root(const boost::mpi::communicator& comm, std::span<std::uint64_t> values, int root) {
  const std::size_t piece = std::max<std::size_t>(1, max_message_bytes() / sizeof(std::uint64_t));
  for (std::size_t at = 0; at < values.size(); at += piece) {
    const int count = static_cast<int>(std::min(piece, values.size() - at));
    std::uint64_t* data = values.data() + at;
    const int rc = comm.rank() == root
                       ? MPI_Reduce(MPI_IN_PLACE, data, count, MPI_UINT64_T, MPI_SUM, root, comm)
                       : MPI_Reduce(data, nullptr, count, MPI_UINT64_T, MPI_SUM, root, comm);
    detail::check(rc, "MPI_Reduce");
  }
}

}  // namespace mrkit
