// Typed map-reduce over tasks: a user's map emits (key, value) pairs, an associative and
// commutative combine merges the values of one key. Word count:
//
//   auto counts = mrkit::reduce_by_key<std::string, std::uint64_t>(
//       comm, texts.size(),
//       [&](std::uint64_t task, auto& emit) {
//         mrkit::for_each_word(texts[task], [&](std::string_view w) { emit(w, 1); });
//       },
//       std::plus<>{});
//   for (const auto& [word, n] : counts.top_k(10, mrkit::by_value_descending)) ...  // on the root
//
// How it runs (as Thrill's ReduceByKey): tasks 0..n-1 are spread over the ranks by the
// scheduler (static blocks or the mother's dynamic queue), each exactly once; every emit is
// combined at once into the rank's own hash table (pre-reduction: a word seen a million times
// travels once); then one all-to-all sends each key to the rank owning it (owner_rank of its
// KeyHash), where equal keys are combined again (shuffle_by_key). The result is a KeyValues:
// each rank holds its keys. group_by_key keeps every value of a key instead, sorted; map_only
// (mapreduce/map_only.hpp) keeps records in task order.
//
// Memory (JobOptions::memory_bytes, tmpdir, force_spill): after each task, a rank's table over
// half of its budget is written to the job's scratch directory as a run sorted by (owner rank,
// key) and cleared (mapreduce/detail/table_spiller.hpp). If any rank spilled, the shuffle merges
// each rank's runs (equal keys combined) and sends them to their owners in rounds of at most a
// quarter of the budget per rank, never all at once. Bounded: the table (up to half the budget
// plus what one task adds), merge buffers and one round. Not bounded yet: the result, which
// each owner still holds in memory (a KeyValues).
//
// Keys: numbers, std::string, vectors of numbers, or any type with Boost.Serialization, operator==
// and operator< (for sorted results). Values: the same, copyable. Every function is collective,
// with the same tasks on every rank; an exception in a map on any rank ends the job
// (core/runtime.hpp's run()).
#pragma once

#include "mrkit/mapreduce/detail/table_spiller.hpp"
#include "mrkit/mapreduce/key_values.hpp"
#include "mrkit/mapreduce/map_phase.hpp"

#include <boost/mpi/communicator.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mrkit {

// What a map calls for each pair: emit(key, value). A std::string key accepts any
// std::string_view, copied only when the key is new to this rank.
template <class K, class V, class Combine>
class Emitter {
 public:
  Emitter(KeyTable<K, V>& table, Combine& combine) noexcept : table_(&table), combine_(&combine) {}

  template <class Key, class Value>
  void operator()(Key&& key, Value&& value) {
    ++emitted_;
    detail::combine_into<K, V>(*table_, std::forward<Key>(key), std::forward<Value>(value),
                               *combine_);
  }

  [[nodiscard]] std::uint64_t emitted() const noexcept { return emitted_; }

 private:
  KeyTable<K, V>* table_;
  Combine* combine_;
  std::uint64_t emitted_ = 0;
};

namespace detail {

// Adds every entry of `from` to `into` with `combine`; `from` is left empty.
template <class K, class T, class Combine>
void merge_tables(KeyTable<K, T>& into, KeyTable<K, T>& from, Combine& combine) {
  if (into.empty()) {
    std::swap(into, from);
    return;
  }
  for (auto& entry : from) {
    combine_into<K, T>(into, K(entry.first), std::move(entry.second), combine);
  }
  from = KeyTable<K, T>{};
}

template <class K, class T, class Combine>
void merge_encoded_table(KeyTable<K, T>& into, std::string_view bytes, Combine& combine) {
  ByteReader in(bytes, "truncated checkpoint record");
  while (!in.done()) {
    K key = get_item<K>(in);
    T value = get_item<T>(in);
    combine_into<K, T>(into, std::move(key), std::move(value), combine);
  }
}

// The accumulator operations of run_map_phase for a KeyTable whose values merge with `combine`;
// after each task the table is kept under the memory budget by `spiller`.
template <class K, class T, class Combine>
struct KeyTableOps {
  Combine& combine;
  TableSpiller<K, T>* spiller = nullptr;
  void settle(KeyTable<K, T>& table) {
    if (spiller != nullptr) spiller->settle(table);
  }
  void merge(KeyTable<K, T>& into, KeyTable<K, T>& from) { merge_tables(into, from, combine); }
  [[nodiscard]] std::string encode(const KeyTable<K, T>& table) const {
    return encode_pairs(table);
  }
  void merge_encoded(KeyTable<K, T>& into, std::string_view bytes) {
    merge_encoded_table<K, T>(into, bytes, combine);
  }
};

// The shuffle of a job whose tables the spiller kept: from disk in bounded rounds if any rank
// spilled, else the one all-to-all of shuffle_by_key. Collective.
template <class K, class T, class Combine>
[[nodiscard]] KeyTable<K, T> shuffle_spilled_or_not(const boost::mpi::communicator& comm,
                                                    TableSpiller<K, T>& spiller,
                                                    KeyTable<K, T> local, Combine& combine) {
  if (spiller.any_spilled(comm)) return spiller.spilled_shuffle(comm, std::move(local), combine);
  return shuffle_by_key<K, T>(comm, std::move(local), combine);
}

// Runs `fn` as waiting time of the job's timer, if any.
template <class Fn>
decltype(auto) timed_wait(const JobOptions& options, Fn&& fn) {
  if (options.timer == nullptr) return std::forward<Fn>(fn)();
  return options.timer->measure(TimeBucket::wait, std::forward<Fn>(fn));
}

}  // namespace detail

// map(task, emit) for every task, combined per key with combine(V, V) -> V, on all ranks.
template <class K, class V, class Map, class Combine>
[[nodiscard]] KeyValues<K, V> reduce_by_key(const boost::mpi::communicator& comm,
                                            std::uint64_t tasks, Map&& map, Combine combine,
                                            const JobOptions& options = {}) {
  auto map_into = [&](std::uint64_t task, KeyTable<K, V>& table) {
    Emitter<K, V, Combine> emit(table, combine);
    map(task, emit);
  };
  detail::TableSpiller<K, V> spiller(
      comm, options, [&combine](V a, V b) { return combine(std::move(a), std::move(b)); });
  detail::KeyTableOps<K, V, Combine> ops{combine, &spiller};
  KeyTable<K, V> local =
      run_map_phase<KeyTable<K, V>>(comm, tasks, map_into, ops, options, "reduce_by_key").local;
  return detail::timed_wait(options, [&] {
    return KeyValues<K, V>(
        comm, detail::shuffle_spilled_or_not<K, V>(comm, spiller, std::move(local), combine));
  });
}

// Every value emitted for a key, together: a KeyValues<K, std::vector<V>> whose vectors are
// sorted (so that they do not depend on which rank ran which task). An inverted index:
//   group_by_key<std::string, Posting>(comm, files.size(),
//       [&](std::uint64_t f, auto& emit) { ... emit(word, Posting{f, n}); });
template <class K, class V, class Map>
[[nodiscard]] KeyValues<K, std::vector<V>> group_by_key(const boost::mpi::communicator& comm,
                                                        std::uint64_t tasks, Map&& map,
                                                        const JobOptions& options = {}) {
  using Values = std::vector<V>;
  auto append = [](Values a, Values b) {
    if (a.size() < b.size()) std::swap(a, b);
    a.insert(a.end(), std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()));
    return a;
  };
  auto map_into = [&](std::uint64_t task, KeyTable<K, Values>& table) {
    auto emit = [&table](auto&& key, auto&& value) {
      const auto found = table.find(key);
      if (found == table.end()) {
        table.emplace(K(std::forward<decltype(key)>(key)),
                      Values{V(std::forward<decltype(value)>(value))});
      } else {
        found->second.emplace_back(std::forward<decltype(value)>(value));
      }
    };
    map(task, emit);
  };
  detail::TableSpiller<K, Values> spiller(comm, options, append);
  detail::KeyTableOps<K, Values, decltype(append)> ops{append, &spiller};
  KeyTable<K, Values> local =
      run_map_phase<KeyTable<K, Values>>(comm, tasks, map_into, ops, options, "group_by_key").local;
  return detail::timed_wait(options, [&] {
    KeyTable<K, Values> mine =
        detail::shuffle_spilled_or_not<K, Values>(comm, spiller, std::move(local), append);
    for (auto& entry : mine) std::sort(entry.second.begin(), entry.second.end());
    return KeyValues<K, Values>(comm, std::move(mine));
  });
}

}  // namespace mrkit
