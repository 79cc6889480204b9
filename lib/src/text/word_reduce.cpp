#include "mrkit/text/word_reduce.hpp"

#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/core/tags.hpp"

#include <algorithm>
#include <stdexcept>

namespace mrkit {

WordCounts exchange_word_counts(const boost::mpi::communicator& comm, WordCounts local) {
  if (comm.size() == 1) return local;  // already the whole partition
  std::vector<std::string> outgoing = local.encode_partitioned(comm.size());
  local = WordCounts{};  // the table or its encoding, never both plus the result
  std::vector<std::string> incoming = exchange_bytes(comm, outgoing);
  outgoing = {};
  WordCounts mine;
  for (std::string& bytes : incoming) {
    mine.merge_encoded(bytes);
    std::string().swap(bytes);  // free as we go
  }
  return mine;
}

WordCounts tree_merge_word_counts(const boost::mpi::communicator& comm, WordCounts local,
                                  int root) {
  const int p = comm.size();
  const int me = (comm.rank() - root + p) % p;  // position relative to the root
  for (int step = 1; step < p; step *= 2) {
    if (me % (2 * step) != 0) {
      send_bytes(comm, (me - step + root) % p, tags::word_table_reduce, local.encode());
      return {};
    }
    if (me + step < p)
      local.merge_encoded(recv_bytes(comm, (me + step + root) % p, tags::word_table_reduce));
  }
  return local;
}

std::vector<WordCount> gather_top_k(const boost::mpi::communicator& comm,
                                    const WordCounts& partition, std::uint64_t k, int root) {
  // Keys are disjoint across partitions, so each partition's own top k holds every global
  // top-k word it owns: the root merges at most k * P candidates.
  std::vector<WordCount> mine = top_k(partition, k);
  WordCounts candidates;
  for (const WordCount& w : mine) candidates.add(w.word, w.count);
  mine.clear();
  std::vector<std::string> all = gather_bytes(comm, candidates.encode(), root);
  if (comm.rank() != root) return {};
  WordCounts merged;
  for (const std::string& bytes : all) merged.merge_encoded(bytes);
  std::vector<WordCount> top = merged.to_vector();
  keep_top_k(top, k);
  return top;
}

}  // namespace mrkit
