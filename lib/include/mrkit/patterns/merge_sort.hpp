// The course's merge-sort figure on ranks, for signed 64-bit keys: the mother's keys are halved
// down the ranks (divide_and_conquer), each rank sorts its share with std::sort, and sorted
// halves are merged on the way back, the two ranks holding them each merging half of the result
// (and merges of different subtrees at the same time).
#pragma once

#include "mrkit/patterns/divide_and_conquer.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mrkit {

using Key = std::int64_t;

// "[3 9 10]", or for more than `shown` keys "[3 9 10 ... 82] (1000 keys)".
[[nodiscard]] std::string describe_keys(std::span<const Key> keys, std::size_t shown = 16);

struct MergeSortOptions {
  // 0: each rank sorts its whole share with std::sort. N > 0: a rank keeps halving its share
  // down to N keys and merges back (the course's figure, for --trace; slower).
  std::uint64_t leaf_keys = 0;
  // Describe problems and solutions in the tree (costs a little; only for small inputs).
  bool describe = true;
  // Where the halves are on two ranks, both merge half of the result (a "merge path" split
  // found by binary search across the two ranks); false: the right half travels to the left,
  // which merges alone.
  bool merge_together = true;
};

// Sorts the keys held by rank 0 of `comm` (others pass an empty vector) with all ranks
// (collective); returns them sorted on rank 0 and empty elsewhere. With `tree` given (on every
// rank or on none), rank 0 also gets the divide-and-conquer tree.
[[nodiscard]] std::vector<Key> merge_sort(const boost::mpi::communicator& comm,
                                          std::vector<Key> keys,
                                          const MergeSortOptions& options = {},
                                          DivideTree* tree = nullptr);

}  // namespace mrkit
