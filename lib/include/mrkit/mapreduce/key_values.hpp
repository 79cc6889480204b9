// A distributed table of (key, value): each rank holds the keys it owns (owner_rank of the key's
// hash), each key once. What reduce_by_key and group_by_key hand back.
//
//   auto counts = mrkit::reduce_by_key<std::string, std::uint64_t>(comm, tasks, map, plus);
//   for (const auto& [word, n] : counts.local()) ...  // this rank's part, any order
//   auto all = counts.gather();                        // on the root, sorted by key
//   auto top = counts.top_k(10, mrkit::by_value_descending);  // on the root, in that order
//   auto mine = counts.sorted(mrkit::by_value_descending);    // this rank's range of all
//
// Every function but local() is collective. Results never depend on the number of ranks, the
// schedule or the hash-table order: they are sorted, ties broken by key (sorted(): the ranges
// concatenated in rank order). (With an exact combine: sums of integers are exact, sums of
// floating point depend on their order.)
#pragma once

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/comm/reduce.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/mapreduce/detail/item_codec.hpp"
#include "mrkit/mapreduce/key_hash.hpp"

#include <boost/mpi/communicator.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mrkit {

// The local table of a rank: keys by their KeyHash, strings searchable by std::string_view.
template <class K, class V>
using KeyTable = std::unordered_map<K, V, KeyHash<K>, std::equal_to<>>;

// Orders for top_k and sorted(): on (key, value) pairs, ties broken by key.
inline constexpr auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
inline constexpr auto by_value_descending = [](const auto& a, const auto& b) {
  if (a.second != b.second) return b.second < a.second;
  return a.first < b.first;
};

namespace detail {

// Adds (key, value) to `table`, combining with the value already there.
template <class K, class V, class Combine, class Key, class Value>
void combine_into(KeyTable<K, V>& table, Key&& key, Value&& value, Combine& combine) {
  const auto found = table.find(key);
  if (found == table.end()) {
    table.emplace(K(std::forward<Key>(key)), V(std::forward<Value>(value)));
  } else {
    found->second = combine(std::move(found->second), std::forward<Value>(value));
  }
}

// The pairs of `pairs`, encoded one after the other.
template <class Pairs>
[[nodiscard]] std::string encode_pairs(const Pairs& pairs) {
  std::string bytes;
  ByteWriter out(bytes);
  for (const auto& [key, value] : pairs) {
    put_item(out, key);
    put_item(out, value);
  }
  return bytes;
}

template <class K, class V>
void decode_pairs(std::string_view bytes, std::vector<std::pair<K, V>>& into) {
  ByteReader in(bytes, "torn key-value message");
  while (!in.done()) {
    K key = get_item<K>(in);
    V value = get_item<V>(in);
    into.emplace_back(std::move(key), std::move(value));
  }
}

}  // namespace detail

// Sends every pair of `local` to the rank owning its key, where equal keys are combined:
// afterwards each rank holds exactly its own keys. One all-to-all, in pieces of at most 1 GiB
// (comm/chunked_messages.hpp); `local` is encoded, then freed, before the exchange. Collective.
template <class K, class V, class Combine>
[[nodiscard]] KeyTable<K, V> shuffle_by_key(const boost::mpi::communicator& comm,
                                            KeyTable<K, V> local, Combine combine) {
  const int ranks = comm.size();
  if (ranks == 1) return local;
  std::vector<std::string> outgoing(static_cast<std::size_t>(ranks));
  {
    std::vector<ByteWriter> writers;
    writers.reserve(outgoing.size());
    for (std::string& bytes : outgoing) writers.emplace_back(bytes);
    const KeyHash<K> hash;
    for (const auto& [key, value] : local) {
      ByteWriter& out = writers[static_cast<std::size_t>(owner_rank(hash(key), ranks))];
      detail::put_item(out, key);
      detail::put_item(out, value);
    }
  }
  local = KeyTable<K, V>{};  // the table or its encoding, never both plus the result
  std::vector<std::string> incoming = exchange_bytes(comm, outgoing);
  outgoing = {};
  KeyTable<K, V> mine;
  for (std::string& bytes : incoming) {
    ByteReader in(bytes, "torn key-value message");
    while (!in.done()) {
      K key = detail::get_item<K>(in);
      V value = detail::get_item<V>(in);
      detail::combine_into<K, V>(mine, std::move(key), std::move(value), combine);
    }
    std::string().swap(bytes);  // free as we go
  }
  return mine;
}

template <class K, class V>
class KeyValues {
 public:
  using Pair = std::pair<K, V>;

  KeyValues(const boost::mpi::communicator& comm, KeyTable<K, V> local)
      : comm_(comm), local_(std::move(local)) {}

  // This rank's keys and values, in no particular order. Not collective.
  [[nodiscard]] const KeyTable<K, V>& local() const noexcept { return local_; }
  [[nodiscard]] KeyTable<K, V>& local() noexcept { return local_; }

  // The number of distinct keys over all ranks, on every rank. Collective.
  [[nodiscard]] std::uint64_t size() const { return sum_all(comm_, local_.size()); }

  // Every pair on `root`, sorted by `before` (default: by key); other ranks get an empty
  // vector. All of it passes through the root: for results that fit its memory. Collective.
  template <class Before = decltype(by_key)>
  [[nodiscard]] std::vector<Pair> gather(int root = mother_rank, Before before = {}) const {
    return gather_pairs(local_, root, before);
  }

  // The first k pairs by `before` (a strict order; ties broken by key, as by_value_descending
  // does), on `root`, in that order; k = 0: all, sorted. Each rank sends only its own best k.
  // Collective.
  template <class Before>
  [[nodiscard]] std::vector<Pair> top_k(std::uint64_t k, Before before,
                                        int root = mother_rank) const {
    if (k == 0 || k >= local_.size()) return gather_pairs(local_, root, before, k);
    std::vector<Pair> best(local_.begin(), local_.end());
    std::partial_sort(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(k), best.end(),
                      before);
    best.resize(k);
    return gather_pairs(best, root, before, k);
  }

  // This rank's range of all pairs sorted by `before` (a strict total order, as by_key and
  // by_value_descending are): rank r holds the r-th range, so the ranges concatenated in rank
  // order are every pair sorted, the same sequence at every rank count. A sample sort, balanced
  // to about the mean per rank (sort_across_ranks in mapreduce/sorted_output.hpp, included at
  // the end of this header). Collective.
  template <class Before = decltype(by_key)>
  [[nodiscard]] std::vector<Pair> sorted(Before before = {}) const;

 private:
  template <class Pairs, class Before>
  [[nodiscard]] std::vector<Pair> gather_pairs(const Pairs& pairs, int root, Before before,
                                               std::uint64_t k = 0) const {
    const std::vector<std::string> parts = gather_bytes(comm_, detail::encode_pairs(pairs), root);
    std::vector<Pair> all;
    for (const std::string& bytes : parts) detail::decode_pairs<K, V>(bytes, all);
    std::sort(all.begin(), all.end(), before);
    if (k != 0 && all.size() > k) all.resize(k);
    return all;
  }

  boost::mpi::communicator comm_;
  KeyTable<K, V> local_;
};

}  // namespace mrkit

// KeyValues::sorted's definition and the sample sort it runs.
#include "mrkit/mapreduce/sorted_output.hpp"  // IWYU pragma: export
