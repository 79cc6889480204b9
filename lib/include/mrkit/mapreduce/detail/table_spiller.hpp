// Private to the engine: a rank's combine table kept under its memory budget. After each task
// the map phase calls settle(table); a table over its share of the budget (or any table, with
// JobOptions::force_spill) is written to the job's scratch directory as a run sorted by (owner
// rank, key) and cleared. finish() then merges the runs (equal keys combined) and streams each
// owner's keys to it in bounded rounds, where they are combined again. A failed spill (a full
// disk) is kept until finish(), where all ranks agree on it: every rank then leaves by the same
// CollectiveError (exit 1) and its ScratchDir is removed on the way out. Runs are merged as
// they pile up (merge_fanout runs of one level into one of the next, equal keys combined), so a
// rank holds at most merge_fanout runs per level open and rereads each pair about
// log_fanout(runs) times.
#pragma once

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/io/scratch_dir.hpp"
#include "mrkit/mapreduce/detail/item_codec.hpp"
#include "mrkit/mapreduce/key_hash.hpp"
#include "mrkit/mapreduce/key_values.hpp"
#include "mrkit/mapreduce/map_phase.hpp"
#include "mrkit/mapreduce/memory_budget.hpp"
#include "mrkit/mapreduce/spill_runs.hpp"

#include <boost/mpi/collectives/all_reduce.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/operations.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace mrkit::detail {

// Heap bytes an item owns beyond its sizeof (strings past the small-string buffer, vectors).
template <class T>
[[nodiscard]] std::size_t heap_bytes(const T& item) noexcept {
  if constexpr (std::is_same_v<T, std::string>) {
    return item.capacity() > 15 ? item.capacity() + 1 : 0;
  } else if constexpr (is_vector<T>::value) {
    std::size_t n = item.capacity() * sizeof(typename T::value_type);
    if constexpr (std::is_same_v<typename T::value_type, std::string> ||
                  is_vector<typename T::value_type>::value) {
      for (const auto& each : item) n += heap_bytes(each);
    }
    return n;
  } else {
    return 0;
  }
}

// What a std::unordered_map node costs beyond its pair: the next pointer, the cached hash and
// the allocator's header, as glibc's malloc and libstdc++ lay them out.
inline constexpr std::size_t table_node_overhead = 32;

template <class K, class V>
[[nodiscard]] std::size_t table_bytes_lower_bound(const KeyTable<K, V>& table) noexcept {
  return table.bucket_count() * sizeof(void*) +
         table.size() * (sizeof(typename KeyTable<K, V>::value_type) + table_node_overhead);
}

// The estimated bytes a table holds: its nodes and buckets, and its keys' and values' heap.
template <class K, class V>
[[nodiscard]] std::size_t table_bytes(const KeyTable<K, V>& table) noexcept {
  std::size_t n = table_bytes_lower_bound(table);
  for (const auto& [key, value] : table) n += heap_bytes(key) + heap_bytes(value);
  return n;
}

// Runs of one level merged into one run of the next.
inline constexpr std::size_t merge_fanout = 16;

template <class K, class V>
class TableSpiller {
 public:
  // Collective: the budget (UsageError below the minimum, on every rank alike) and the scratch
  // directory (a one-line error, exit 1, if any rank cannot create it). `combine` merges the
  // values of a key when runs are merged.
  TableSpiller(const boost::mpi::communicator& comm, const JobOptions& options,
               std::function<V(V, V)> combine)
      : combine_(std::move(combine)),
        ranks_(comm.size()),
        budget_(resolve_memory_budget(comm, options.memory_bytes)),
        force_(options.force_spill),
        stats_(options.spill_stats) {
    std::string error;
    try {
      scratch_.emplace(options.tmpdir);
    } catch (const std::exception& e) {
      error = e.what();
    }
    agree(comm, error.empty(), error, ExitCode::failure);
    if (stats_ != nullptr) stats_->budget_bytes = budget_;
  }

  [[nodiscard]] std::uint64_t budget() const noexcept { return budget_; }
  // The combine table's share: half the budget (the rest for merge buffers and exchange rounds).
  [[nodiscard]] std::uint64_t table_share() const noexcept { return budget_ / 2; }

  // Whether a table of `bytes` should be spilled now: over its share, or always when forced
  // (not after a failed spill).
  [[nodiscard]] bool wants_spill(std::size_t bytes) const noexcept {
    return error_.empty() && (force_ || bytes >= table_share());
  }

  // After a task: spills `table` if it is over its share (or always, when forced).
  void settle(KeyTable<K, V>& table) {
    if (table.empty() || !error_.empty()) return;
    if (!force_) {
      if (table_bytes_lower_bound(table) < table_share() / 4 &&
          table_bytes_lower_bound(table) + table.size() * 64 < table_share()) {
        return;  // clearly small: no walk over it
      }
      if (table_bytes(table) < table_share()) return;
    }
    spill(table);
  }

  // Writes `table` as a run sorted by (owner rank, key) and clears it; a failure is kept for
  // finish().
  void spill(KeyTable<K, V>& table) {
    if (!error_.empty()) return;
    using Entry = typename KeyTable<K, V>::value_type;
    std::vector<std::pair<int, const Entry*>> order;
    order.reserve(table.size());
    const KeyHash<K> hash;
    for (const Entry& entry : table)
      order.emplace_back(owner_rank(hash(entry.first), ranks_), &entry);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return a.second->first < b.second->first;
    });
    write_run(
        order, [](const Entry* e) -> const K& { return e->first; },
        [](const Entry* e) -> const V& { return e->second; });
    table = KeyTable<K, V>{};
  }

  // Writes entries already sorted by (owner, key): (owner, pointer) pairs and how to get the key
  // and value of a pointer. A failure is kept for finish().
  template <class Order, class KeyOf, class ValueOf>
  void write_run(const Order& order, KeyOf key_of, ValueOf value_of) {
    if (!error_.empty()) return;
    try {
      SpillRunWriter<K, V> out(*scratch_, write_buffer_bytes());
      int section = 0;
      for (const auto& [owner, entry] : order) {
        for (; section < owner; ++section) out.next_section();
        out.add(key_of(entry), value_of(entry));
      }
      runs_.push_back(out.finish(static_cast<std::size_t>(ranks_)));
      levels_.push_back(0);
      spilled_bytes_ += runs_.back().bytes();
      ++runs_written_;
      merge_full_levels();
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }

  // While merge_fanout runs share a level, merges them into one run of the next level.
  void merge_full_levels() {
    for (std::size_t level = 0;; ++level) {
      std::vector<std::size_t> same;
      for (std::size_t i = 0; i < runs_.size(); ++i) {
        if (levels_[i] == level) same.push_back(i);
      }
      if (same.size() < merge_fanout) return;
      std::vector<SpillRun> inputs;
      for (const std::size_t i : same) inputs.push_back(runs_[i]);
      SpillRun merged = merge_runs(inputs);
      std::vector<SpillRun> runs;
      std::vector<std::size_t> levels;
      for (std::size_t i = 0; i < runs_.size(); ++i) {
        if (levels_[i] == level) continue;
        runs.push_back(std::move(runs_[i]));
        levels.push_back(levels_[i]);
      }
      runs.push_back(std::move(merged));
      levels.push_back(level + 1);
      runs_ = std::move(runs);
      levels_ = std::move(levels);
      for (const SpillRun& run : inputs) std::filesystem::remove(run.path);
    }
  }

  // One run with the pairs of `inputs`, section by section, equal keys combined.
  [[nodiscard]] SpillRun merge_runs(const std::vector<SpillRun>& inputs) {
    const auto buffer = static_cast<std::size_t>(std::clamp<std::uint64_t>(
        budget_ / 4 / std::max<std::size_t>(inputs.size(), 1), 4096, std::uint64_t{1} << 20));
    std::vector<std::shared_ptr<const SpillFileReader>> files;
    for (const SpillRun& run : inputs)
      files.push_back(std::make_shared<const SpillFileReader>(run.path));
    SpillRunWriter<K, V> out(*scratch_, write_buffer_bytes());
    K key{};
    V value{};
    for (std::size_t d = 0; d < static_cast<std::size_t>(ranks_); ++d) {
      std::vector<RunCursor<K, V>> section;
      for (std::size_t r = 0; r < inputs.size(); ++r) {
        section.emplace_back(files[r], inputs[r].bounds[d], inputs[r].bounds[d + 1], buffer);
      }
      RunMerge<K, V, std::function<V(V, V)>> merge(std::move(section), combine_);
      while (merge.next(key, value)) out.add(key, value);
      read_bytes_ += merge.bytes_read();
      out.next_section();
    }
    SpillRun merged = out.finish(static_cast<std::size_t>(ranks_));
    spilled_bytes_ += merged.bytes();
    return merged;
  }

  // Collective. Whether any rank spilled (then every rank must finish through spilled_shuffle).
  [[nodiscard]] bool any_spilled(const boost::mpi::communicator& comm) const {
    const bool mine = !runs_.empty() || !error_.empty();
    return boost::mpi::all_reduce(comm, mine, std::logical_or<>());
  }

  // Collective, after any_spilled(): spills what `local` still holds, agrees on errors, then
  // sends each owner its keys, merged from the runs, in rounds of at most a quarter of the
  // budget per rank, and combines them there.
  template <class Combine>
  [[nodiscard]] KeyTable<K, V> spilled_shuffle(const boost::mpi::communicator& comm,
                                               KeyTable<K, V> local, Combine& combine) {
    if (!local.empty()) spill(local);
    agree(comm, error_.empty(), error_, ExitCode::failure);
    return exchange_runs(comm, combine);
  }

  // Collective: the rounds of spilled_shuffle once every table is on disk and errors agreed.
  template <class Combine>
  [[nodiscard]] KeyTable<K, V> exchange_runs(const boost::mpi::communicator& comm,
                                             Combine& combine) {
    const auto ranks = static_cast<std::size_t>(ranks_);
    const std::uint64_t quarter = budget_ / 4;
    const std::size_t piece =
        static_cast<std::size_t>(std::max<std::uint64_t>(quarter / ranks, 4096));
    const std::size_t cursors = std::max<std::size_t>(runs_.size() * ranks, 1);
    const std::size_t read_buffer = static_cast<std::size_t>(
        std::clamp<std::uint64_t>(quarter / cursors, 4096, std::uint64_t{1} << 20));
    std::vector<std::shared_ptr<const SpillFileReader>> files;
    files.reserve(runs_.size());
    for (const SpillRun& run : runs_)
      files.push_back(std::make_shared<const SpillFileReader>(run.path));
    std::vector<RunMerge<K, V, Combine>> merges;
    merges.reserve(ranks);
    for (std::size_t d = 0; d < ranks; ++d) {
      std::vector<RunCursor<K, V>> section;
      section.reserve(runs_.size());
      for (std::size_t r = 0; r < runs_.size(); ++r) {
        section.emplace_back(files[r], runs_[r].bounds[d], runs_[r].bounds[d + 1], read_buffer);
      }
      merges.emplace_back(std::move(section), combine);
    }
    std::vector<bool> done(ranks, false);
    KeyTable<K, V> mine;
    K key{};
    V value{};
    for (;;) {
      std::vector<std::string> outgoing(ranks);
      bool more = false;
      for (std::size_t d = 0; d < ranks; ++d) {
        ByteWriter out(outgoing[d]);
        while (!done[d] && outgoing[d].size() < piece) {
          if (!merges[d].next(key, value)) {
            done[d] = true;
            break;
          }
          put_item(out, key);
          put_item(out, value);
        }
        more = more || !done[d];
      }
      std::vector<std::string> incoming = exchange_bytes(comm, outgoing);
      outgoing = {};
      for (std::string& bytes : incoming) {
        ByteReader in(bytes, "torn key-value message");
        while (!in.done()) {
          K k = get_item<K>(in);
          V v = get_item<V>(in);
          combine_into<K, V>(mine, std::move(k), std::move(v), combine);
        }
        std::string().swap(bytes);
      }
      ++rounds_;
      if (!boost::mpi::all_reduce(comm, more, std::logical_or<>())) break;
    }
    for (const auto& m : merges) read_bytes_ += m.bytes_read();
    if (stats_ != nullptr) {
      stats_->spilled_bytes += spilled_bytes_;
      stats_->read_bytes += read_bytes_;
      stats_->runs += runs_written_;
      stats_->rounds += rounds_;
    }
    return mine;
  }

 private:
  [[nodiscard]] std::size_t write_buffer_bytes() const noexcept {
    return static_cast<std::size_t>(
        std::clamp<std::uint64_t>(budget_ / 16, 4096, std::uint64_t{1} << 20));
  }

  std::function<V(V, V)> combine_;
  int ranks_;
  std::uint64_t budget_;
  bool force_;
  SpillStats* stats_;
  std::optional<ScratchDir> scratch_;
  std::vector<SpillRun> runs_;
  std::vector<std::size_t> levels_;  // of each run: 0 written from a table, L + 1 merged from L
  std::uint64_t runs_written_ = 0;
  std::string error_;
  std::uint64_t spilled_bytes_ = 0;
  std::uint64_t read_bytes_ = 0;
  std::uint64_t rounds_ = 0;
};

}  // namespace mrkit::detail
