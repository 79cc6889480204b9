// Counting string keys, the engine's specialisation of reduce_by_key<std::string, uint64_t>
// with a sum: each rank's table during the map is the word table of text/word_counts.hpp
// (open addressing, short keys inline, no allocation per key), not a std::unordered_map, so a
// word count written on the public API runs near wordcount's speed. A word count:
//
//   mrkit::FileSource source(comm, paths);
//   auto counts = mrkit::count_by_key(comm, source.tasks(), [&](std::uint64_t task, auto& emit) {
//     source.for_each_word(task, [&](const mrkit::Record& w) { emit(w.bytes); });
//   });
//   for (const auto& [word, n] : counts.top_k(10, mrkit::by_value_descending)) ...  // root
//
// emit(key) counts one, emit(key, n) counts n; a key counted 0 times in all is not a result.
// The result is a KeyValues<std::string, std::uint64_t> like reduce_by_key's (each key on the
// rank owner_rank(KeyHash) names), with the same JobOptions (checkpoint, re-issue, progress,
// and the memory budget: a word table over half of it is spilled as reduce_by_key's tables are).
#pragma once

#include "mrkit/mapreduce/detail/table_spiller.hpp"
#include "mrkit/mapreduce/key_values.hpp"
#include "mrkit/mapreduce/map_phase.hpp"
#include "mrkit/text/word_counts.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace mrkit {

// What a count_by_key map calls: emit(key) or emit(key, n).
class CountEmitter {
 public:
  explicit CountEmitter(WordCounts& table) noexcept : table_(&table) {}
  void operator()(std::string_view key, std::uint64_t n = 1) { table_->add(key, n); }

 private:
  WordCounts* table_;
};

namespace detail {

// The map phase's accumulator operations for a word table.
struct WordCountsOps {
  static void merge(WordCounts& into, WordCounts& from);
  [[nodiscard]] static std::string encode(const WordCounts& table) { return table.encode(); }
  static void merge_encoded(WordCounts& into, std::string_view bytes) { into.merge_encoded(bytes); }
};

using CountSpiller = TableSpiller<std::string, std::uint64_t>;

// Writes `table` as a run sorted by (owner, key) and clears it (a failure is kept by `spiller`).
void spill_word_counts(CountSpiller& spiller, WordCounts& table, int ranks);

// WordCountsOps that keep the table under the budget after each task.
struct SpillingWordCountsOps : WordCountsOps {
  CountSpiller* spiller;
  int ranks;
  void settle(WordCounts& table) const {
    if (!table.empty() && spiller->wants_spill(table.memory_bytes())) {
      spill_word_counts(*spiller, table, ranks);
    }
  }
};

// The shuffle of count_by_key: from the runs in bounded rounds if any rank spilled (what
// `local` holds is spilled first), else shuffle_counts. Collective.
[[nodiscard]] KeyTable<std::string, std::uint64_t> shuffle_counts_spilled_or_not(
    const boost::mpi::communicator& comm, CountSpiller& spiller, WordCounts local);

// Sends every key of `local` to its owner (owner_rank of KeyHash<std::string>), where equal
// keys are added: the table of the keys this rank owns. Collective; `local` is freed first.
[[nodiscard]] KeyTable<std::string, std::uint64_t> shuffle_counts(
    const boost::mpi::communicator& comm, WordCounts local);

}  // namespace detail

template <class Map>
[[nodiscard]] KeyValues<std::string, std::uint64_t> count_by_key(
    const boost::mpi::communicator& comm, std::uint64_t tasks, Map&& map,
    const JobOptions& options = {}) {
  auto map_into = [&](std::uint64_t task, WordCounts& table) {
    CountEmitter emit(table);
    map(task, emit);
  };
  detail::CountSpiller spiller(comm, options,
                               [](std::uint64_t a, std::uint64_t b) { return a + b; });
  detail::SpillingWordCountsOps ops{{}, &spiller, comm.size()};
  WordCounts local = std::move(
      run_map_phase<WordCounts>(comm, tasks, map_into, ops, options, "count_by_key").local);
  if (options.timer != nullptr) options.timer->note_data_bytes(local.memory_bytes());
  const auto shuffle = [&] {
    return KeyValues<std::string, std::uint64_t>(
        comm, detail::shuffle_counts_spilled_or_not(comm, spiller, std::move(local)));
  };
  if (options.timer == nullptr) return shuffle();
  return options.timer->measure(TimeBucket::wait, shuffle);
}

}  // namespace mrkit
