// Integer reductions across ranks. Long arrays go through chunked_messages, so no single
// message exceeds 1 GiB.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace mrkit {

// The sum over all ranks, on every rank.
[[nodiscard]] std::uint64_t sum_all(const boost::mpi::communicator& comm, std::uint64_t local);

// Element-wise sums of equal-length arrays into `values` on `root` (other ranks' arrays are
// left unspecified). Long arrays travel in pieces of at most 1 GiB.
void sum_to_root(const boost::mpi::communicator& comm, std::span<std::uint64_t> values, int root);

}  // namespace mrkit
