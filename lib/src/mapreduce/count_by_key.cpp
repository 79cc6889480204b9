#include "mrkit/mapreduce/count_by_key.hpp"

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/mapreduce/detail/item_codec.hpp"
#include "mrkit/mapreduce/key_hash.hpp"

#include <vector>

namespace mrkit::detail {

void WordCountsOps::merge(WordCounts& into, WordCounts& from) {
  if (into.empty()) {
    std::swap(into, from);
  } else {
    into.merge(from);
  }
  from = WordCounts{};
}

KeyTable<std::string, std::uint64_t> shuffle_counts(const boost::mpi::communicator& comm,
                                                    WordCounts local) {
  const int ranks = comm.size();
  KeyTable<std::string, std::uint64_t> mine;
  if (ranks == 1) {
    mine.reserve(local.size());
    local.for_each([&](std::string_view w, std::uint64_t n, std::uint64_t) { mine.emplace(w, n); });
    return mine;
  }
  // The same encoding as shuffle_by_key's, so that keys land where KeyHash places them.
  std::vector<std::string> outgoing(static_cast<std::size_t>(ranks));
  {
    std::vector<ByteWriter> writers;
    writers.reserve(outgoing.size());
    for (std::string& bytes : outgoing) writers.emplace_back(bytes);
    local.for_each([&](std::string_view w, std::uint64_t n, std::uint64_t) {
      ByteWriter& out = writers[static_cast<std::size_t>(owner_rank(hash_bytes(w), ranks))];
      out.piece(w);  // as put_item<std::string>, put_item<std::uint64_t>
      out.put(n);
    });
  }
  local = WordCounts{};  // the table or its encoding, never both plus the result
  std::vector<std::string> incoming = exchange_bytes(comm, outgoing);
  outgoing = {};
  for (std::string& bytes : incoming) {
    ByteReader in(bytes, "torn key-value message");
    while (!in.done()) {
      std::string key = get_item<std::string>(in);
      const auto n = get_item<std::uint64_t>(in);
      mine[std::move(key)] += n;
    }
    std::string().swap(bytes);  // free as we go
  }
  return mine;
}

}  // namespace mrkit::detail
