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
#include "mrkit/tasks/checkpointed_tasks.hpp"
#include "mrkit/tasks/rank_stats.hpp"
#include "mrkit/tasks/scheduler.hpp"

#include <boost/mpi/communicator.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace mrkit {

// How the tasks of a job run (tasks/scheduler.hpp), and what makes it resumable.
struct JobOptions {
  Schedule schedule = Schedule::dynamic;
  // A task time limit: a straggler warning; with `reissue` (dynamic schedule), a straggling
  // task is also run again on an idle rank and the first copy to finish counts. Each task then
  // maps into a table of its own, merged when its copy commits.
  DynamicOptions dynamic;
  Progress progress;  // on the mother: tasks (or checkpoint records) done of all
  StopWhen stop;      // ends the job early (the tasks not run are not counted)
  // A directory shared by all ranks where finished tasks are recorded (their pre-reduced
  // pairs, one file and one fsync per record of consecutive tasks); a re-run of the same job
  // resumes from it, at any rank count, and merges what earlier runs finished. Empty: none.
  // The tasks must be numbered the same way at every rank count (a FileSource built with
  // same_tasks_at_every_rank_count).
  std::string checkpoint_dir;
  // What makes two runs the same job (the program, the options that change results, and the
  // input: FileSource::fingerprint()). A checkpoint of another job is refused (InputError).
  std::string fingerprint;
  // Optional: the job's compute, wait and tasks are added to it (for --stats).
  RankTimer* timer = nullptr;
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

// The map phase of every keyed job: runs map_into(task, table) for every task over the ranks
// and returns this rank's table of pre-reduced (key, T), where T values are merged with
// `combine`. Without a checkpoint or re-issue, every task maps straight into the rank's table;
// otherwise each record (or copy of a task) maps into a table of its own, saved to the
// checkpoint and merged when it commits, and the mother merges what earlier runs finished.
template <class K, class T, class MapInto, class Combine>
[[nodiscard]] KeyTable<K, T> map_phase(const boost::mpi::communicator& comm, std::uint64_t tasks,
                                       MapInto& map_into, Combine& combine,
                                       const JobOptions& options, std::string_view job_kind) {
  const bool checkpointing = !options.checkpoint_dir.empty();
  const bool reissue = options.dynamic.reissue && options.dynamic.task_time_limit > 0;
  const std::uint64_t per_record = checkpointing ? tasks_per_record(0, 0, tasks) : 1;
  const CheckpointedTasks checkpointed(comm, options.checkpoint_dir,
                                       std::string(job_kind) + "\nkey " + typeid(K).name() +
                                           "\nvalue " + typeid(T).name() + "\ntasks_per_record " +
                                           std::to_string(per_record) + "\n" + options.fingerprint,
                                       tasks, per_record);
  KeyTable<K, T> local;
  const auto run_record = [&](std::uint64_t record, const Yield& yield, KeyTable<K, T>& into) {
    const TaskYieldScope scope(yield);
    for (std::uint64_t t = checkpointed.first_task(record); t < checkpointed.end_task(record);
         ++t) {
      map_into(t, into);
    }
  };
  ScheduleStats stats;
  if (reissue) {
    stats = checkpointed.run_pure(
        options.schedule,
        [&](std::uint64_t record, const Yield& yield) -> Commit {
          auto mine = std::make_shared<KeyTable<K, T>>();
          run_record(record, yield, *mine);
          return [&, record, mine] {
            if (checkpointed.enabled()) checkpointed.save(record, encode_pairs(*mine));
            merge_tables(local, *mine, combine);
          };
        },
        options.progress, options.dynamic, options.stop);
  } else if (checkpointed.enabled()) {
    stats = checkpointed.run(
        options.schedule,
        [&](std::uint64_t record, const Yield& yield) {
          KeyTable<K, T> mine;
          run_record(record, yield, mine);
          checkpointed.save(record, encode_pairs(mine));
          merge_tables(local, mine, combine);
        },
        options.progress, options.dynamic, options.stop);
  } else {
    stats = run_tasks(
        comm, options.schedule, tasks,
        [&](std::uint64_t task, const Yield& yield) {
          const TaskYieldScope scope(yield);
          map_into(task, local);
        },
        options.progress, options.dynamic, options.stop);
  }
  checkpointed.merge_finished([&](std::uint64_t, std::string_view payload) {
    merge_encoded_table<K, T>(local, payload, combine);
  });
  if (options.timer != nullptr) options.timer->add(stats);
  return local;
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
  KeyTable<K, V> local =
      detail::map_phase<K, V>(comm, tasks, map_into, combine, options, "reduce_by_key");
  return detail::timed_wait(options, [&] {
    return KeyValues<K, V>(comm, shuffle_by_key<K, V>(comm, std::move(local), combine));
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
  KeyTable<K, Values> local =
      detail::map_phase<K, Values>(comm, tasks, map_into, append, options, "group_by_key");
  return detail::timed_wait(options, [&] {
    KeyTable<K, Values> mine = shuffle_by_key<K, Values>(comm, std::move(local), append);
    for (auto& entry : mine) std::sort(entry.second.begin(), entry.second.end());
    return KeyValues<K, Values>(comm, std::move(mine));
  });
}

}  // namespace mrkit
