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
// Keys: numbers, std::string, vectors of numbers, or any type with Boost.Serialization, operator==
// and operator< (for sorted results). Values: the same, copyable. Every function is collective,
// with the same tasks on every rank; an exception in a map on any rank ends the job
// (core/runtime.hpp's run()).
#pragma once

#include "mrkit/mapreduce/key_values.hpp"
#include "mrkit/mapreduce/task_yield.hpp"
#include "mrkit/tasks/scheduler.hpp"

#include <boost/mpi/communicator.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mrkit {

// How the tasks of a job run (tasks/scheduler.hpp).
struct JobOptions {
  Schedule schedule = Schedule::dynamic;
  DynamicOptions dynamic;  // the task time limit: a straggler warning
  Progress progress;       // on the mother: tasks done of all
  StopWhen stop;           // ends the job early (the tasks not run are not counted)
};

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

// map(task, emit) for every task, combined per key with combine(V, V) -> V, on all ranks.
template <class K, class V, class Map, class Combine>
[[nodiscard]] KeyValues<K, V> reduce_by_key(const boost::mpi::communicator& comm,
                                            std::uint64_t tasks, Map&& map, Combine combine,
                                            const JobOptions& options = {}) {
  KeyTable<K, V> local;
  Emitter<K, V, Combine> emit(local, combine);
  (void)run_tasks(
      comm, options.schedule, tasks,
      [&](std::uint64_t task, const Yield& yield) {
        const TaskYieldScope scope(yield);
        map(task, emit);
      },
      options.progress, options.dynamic, options.stop);
  return KeyValues<K, V>(comm, shuffle_by_key<K, V>(comm, std::move(local), combine));
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
  KeyTable<K, Values> local;
  auto emit = [&local](auto&& key, auto&& value) {
    const auto found = local.find(key);
    if (found == local.end()) {
      local.emplace(K(std::forward<decltype(key)>(key)),
                    Values{V(std::forward<decltype(value)>(value))});
    } else {
      found->second.emplace_back(std::forward<decltype(value)>(value));
    }
  };
  (void)run_tasks(
      comm, options.schedule, tasks,
      [&](std::uint64_t task, const Yield& yield) {
        const TaskYieldScope scope(yield);
        map(task, emit);
      },
      options.progress, options.dynamic, options.stop);
  KeyTable<K, Values> mine = shuffle_by_key<K, Values>(comm, std::move(local), append);
  for (auto& entry : mine) std::sort(entry.second.begin(), entry.second.end());
  return KeyValues<K, Values>(comm, std::move(mine));
}

}  // namespace mrkit
