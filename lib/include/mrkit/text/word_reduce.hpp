// Word tables across ranks: a hash-partitioned all-to-all for big vocabularies, a binomial tree
// for small ones, and a global top-K. Every transfer goes through chunked_messages, so no single
// message exceeds 1 GiB.
#pragma once

#include "mrkit/text/word_counts.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <vector>

namespace mrkit {

// Hash-partitioned merge: rank r ends with the complete counts of exactly the words that
// WordCounts::owner() assigns to r. Memory per rank stays near vocabulary / P: `local` is
// encoded, then freed, before the exchange (pass it with std::move to give its memory back).
[[nodiscard]] WordCounts exchange_word_counts(const boost::mpi::communicator& comm,
                                              WordCounts local);

// Binomial-tree merge: `root` ends with the complete table, others with an empty one.
[[nodiscard]] WordCounts tree_merge_word_counts(const boost::mpi::communicator& comm,
                                                WordCounts local, int root);

// From partitions made by exchange_word_counts (disjoint keys), the k most frequent words in
// output order on `root` (k = 0: all of them). Other ranks get an empty vector.
[[nodiscard]] std::vector<WordCount> gather_top_k(const boost::mpi::communicator& comm,
                                                  const WordCounts& partition, std::uint64_t k,
                                                  int root);

}  // namespace mrkit
