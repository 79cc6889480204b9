#include "mrkit/mapreduce/count_by_key.hpp"

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/mapreduce/detail/item_codec.hpp"
#include "mrkit/mapreduce/key_hash.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
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

void spill_word_counts(CountSpiller& spiller, WordCounts& table, int ranks) {
  using Entry = std::pair<std::string_view, std::uint64_t>;
  std::vector<std::pair<int, Entry>> order;
  order.reserve(table.size());
  table.for_each([&](std::string_view w, std::uint64_t n, std::uint64_t) {
    order.emplace_back(owner_rank(hash_bytes(w), ranks), Entry{w, n});
  });
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second.first < b.second.first;
  });
  spiller.write_run(
      order, [](const Entry& e) { return e.first; }, [](const Entry& e) { return e.second; });
  table = WordCounts{};
}

KeyTable<std::string, std::uint64_t> shuffle_counts_spilled_or_not(
    const boost::mpi::communicator& comm, CountSpiller& spiller, WordCounts local) {
  if (!spiller.any_spilled(comm)) return shuffle_counts(comm, std::move(local));
  if (!local.empty()) spill_word_counts(spiller, local, comm.size());
  local = WordCounts{};
  auto plus = [](std::uint64_t a, std::uint64_t b) { return a + b; };
  return spiller.spilled_shuffle(comm, KeyTable<std::string, std::uint64_t>{}, plus);
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
