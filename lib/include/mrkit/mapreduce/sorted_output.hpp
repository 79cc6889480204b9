// Sorted results across ranks and their output as part files: sort_across_ranks (a sample
// sort), KeyValues::sorted, write_parts and write_sorted_parts.
//
//   auto counts = mrkit::reduce_by_key<std::string, std::uint64_t>(comm, tasks, map, plus);
//   mrkit::write_sorted_parts(comm, "out", counts, mrkit::by_value_descending,
//       [](const auto& p) { return p.first + '\t' + std::to_string(p.second) + '\n'; });
//   // out/part-00000 ... out/part-(P-1), then out/_SUCCESS; `cat out/part-*` is the sorted
//   // table, byte for byte the same at every rank count, schedule and split size.
//
// Every function is collective.
#pragma once

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/comm/reduce.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/mapreduce/detail/item_codec.hpp"
#include "mrkit/mapreduce/key_values.hpp"

#include <boost/mpi/communicator.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mrkit {

namespace detail {

// Sample points per rank and per rank of the job: the sample sort draws about
// sample_factor * P * P points in all (see sort_across_ranks).
inline constexpr std::uint64_t sample_factor = 4;

// Merges the sorted runs [bounds[i], bounds[i+1]) of `items` into one sorted sequence, pairwise
// (log2 of the number of runs passes).
template <class T, class Before>
void merge_runs(std::vector<T>& items, std::vector<std::size_t> bounds, Before& before) {
  while (bounds.size() > 2) {
    std::vector<std::size_t> merged{bounds.front()};
    for (std::size_t i = 0; i + 2 < bounds.size(); i += 2) {
      const auto at = [&](std::size_t b) {
        return items.begin() + static_cast<std::ptrdiff_t>(bounds[b]);
      };
      std::inplace_merge(at(i), at(i + 1), at(i + 2), before);
      merged.push_back(bounds[i + 2]);
    }
    if (bounds.size() % 2 == 0) merged.push_back(bounds.back());  // an odd run out: kept
    bounds = std::move(merged);
  }
}

// The P - 1 splitters, as positions in the sorted sample of all ranks: splitter i (1..P-1) is
// the sample point with j_i = round(floor(i * N / P) / step) points up to and including it, so
// that about i * N / P pairs come before it; at most `samples`. j_i = 0 (fewer pairs than
// ranks): no splitter, range i - 1 is empty.
[[nodiscard]] inline std::vector<std::uint64_t> splitter_ranks(std::uint64_t total,
                                                               std::uint64_t step,
                                                               std::uint64_t samples, int ranks) {
  const auto p = static_cast<std::uint64_t>(ranks);
  std::vector<std::uint64_t> at;
  for (std::uint64_t i = 1; i < p; ++i) {
    // floor(i * N / P) without overflow: i * (N / P) + i * (N % P) / P, and i * (N % P) < P^2.
    const std::uint64_t target = i * (total / p) + i * (total % p) / p;
    at.push_back(std::min(samples, target / step + (target % step >= (step + 1) / 2 ? 1 : 0)));
  }
  return at;
}

}  // namespace detail

// Sorts the pairs of all ranks by `before`, a strict weak order that is total on the pairs
// (no two pairs equivalent: by_key, by_value_descending, or any order that breaks ties by the
// key when keys are unique). Returns this rank's range: rank r holds the r-th range, so the
// ranges concatenated in rank order are all pairs sorted, the same sequence at every rank
// count whatever each rank held. (With equivalent pairs the sequence is still sorted, but the
// order among equivalents may depend on the ranks.)
//
// A sample sort by regular sampling: each rank sorts its pairs and takes every step-th one,
// step = max(1, floor(N / (4 P^2))) for N pairs on P ranks (so about 4 P^2 points in all, from
// each rank in proportion to what it holds); the root sorts the points, picks P - 1 splitters
// at the multiples of N / P and broadcasts them; one all-to-all moves each pair to its range;
// each rank merges the P sorted runs it received. Balance: a range holds at most
// N / P + (P + 1) * step pairs, about 1 + (P + 1) / (4 P) times the mean (1.375x at 2 ranks,
// 1.31x at 4, towards 1.25x for many), and exactly ceil(N / P) or fewer when N < 4 P^2, however
// unevenly the pairs were spread over the ranks before. Memory: the root holds the sample
// (about 4 P^2 pairs); every rank its pairs, their encoding, then the received ones. All
// transfers go in pieces of at most 1 GiB (comm/chunked_messages.hpp). Collective.
template <class K, class V, class Before>
[[nodiscard]] std::vector<std::pair<K, V>> sort_across_ranks(const boost::mpi::communicator& comm,
                                                             std::vector<std::pair<K, V>> local,
                                                             Before before) {
  using Pair = std::pair<K, V>;
  std::sort(local.begin(), local.end(), before);
  const int ranks = comm.size();
  if (ranks == 1) return local;
  const std::uint64_t total = sum_all(comm, local.size());
  if (total == 0) return local;
  const auto p = static_cast<std::uint64_t>(ranks);
  const std::uint64_t step = std::max<std::uint64_t>(1, total / (detail::sample_factor * p * p));

  // Every step-th pair (positions step - 1, 2 step - 1, ...) to the root.
  std::string sample;
  {
    ByteWriter out(sample);
    for (std::size_t at = step - 1; at < local.size(); at += step) {
      detail::put_item(out, local[at].first);
      detail::put_item(out, local[at].second);
    }
  }
  const std::vector<std::string> samples = gather_bytes(comm, sample, mother_rank);
  // The splitters, on the root: the count of missing ones (j_i = 0), then the others.
  std::string splitters;
  if (comm.rank() == mother_rank) {
    std::vector<Pair> points;
    for (const std::string& bytes : samples) detail::decode_pairs<K, V>(bytes, points);
    std::sort(points.begin(), points.end(), before);
    const std::vector<std::uint64_t> at = detail::splitter_ranks(total, step, points.size(), ranks);
    ByteWriter out(splitters);
    out.u64(static_cast<std::uint64_t>(std::count(at.begin(), at.end(), 0U)));
    for (const std::uint64_t j : at) {
      if (j == 0) continue;
      detail::put_item(out, points[j - 1].first);
      detail::put_item(out, points[j - 1].second);
    }
  }
  broadcast_bytes(comm, splitters, mother_rank);

  // Range r of this rank's pairs: [bound[r], bound[r + 1]); a pair equivalent to splitter i
  // goes to range i - 1, with the splitter itself.
  std::vector<std::size_t> bound(static_cast<std::size_t>(ranks) + 1, 0);
  {
    ByteReader in(splitters, "torn splitter message");
    const std::uint64_t missing = in.u64();
    std::vector<Pair> cuts;
    detail::decode_pairs<K, V>(in.rest(), cuts);
    for (std::size_t i = 0; i < cuts.size(); ++i) {
      const auto cut = std::upper_bound(local.begin(), local.end(), cuts[i], before);
      bound[static_cast<std::size_t>(missing) + i + 1] =
          static_cast<std::size_t>(cut - local.begin());
    }
    bound.back() = local.size();
  }
  std::vector<std::string> outgoing(static_cast<std::size_t>(ranks));
  for (std::size_t r = 0; r < outgoing.size(); ++r) {
    outgoing[r] = detail::encode_pairs(
        std::span<const Pair>(local.data() + bound[r], bound[r + 1] - bound[r]));
  }
  local = std::vector<Pair>{};  // the pairs or their encoding, never both plus the result
  std::vector<std::string> incoming = exchange_bytes(comm, outgoing);
  outgoing = {};
  std::vector<Pair> mine;
  std::vector<std::size_t> runs{0};
  for (std::string& bytes : incoming) {
    detail::decode_pairs<K, V>(bytes, mine);
    std::string().swap(bytes);  // free as we go
    runs.push_back(mine.size());
  }
  detail::merge_runs(mine, std::move(runs), before);
  return mine;
}

template <class K, class V>
template <class Before>
std::vector<std::pair<K, V>> KeyValues<K, V>::sorted(Before before) const {
  return sort_across_ranks(comm_, std::vector<Pair>(local_.begin(), local_.end()), before);
}

// Writes `my_bytes` as DIR/part-NNNNN (NNNNN: this rank, at least 5 digits), one part per rank,
// then the empty marker DIR/_SUCCESS, in this order:
// 1. the mother creates DIR if missing (its parent must exist) and removes what an earlier run
//    left there under the names this writes, part-<digits> and _SUCCESS (nothing else: other
//    files stay), the marker first;
// 2. every rank writes its part atomically (io/atomic_file.hpp: a temporary file beside it,
//    every write, fsync, close and rename checked);
// 3. when every part is in place, the mother writes _SUCCESS atomically and fsyncs DIR.
// So a reader who finds _SUCCESS finds every part of this run complete, and nothing from an
// earlier one. DIR must be one directory that every rank sees (a shared file system when the
// ranks are on several hosts). A failure in any step on any rank throws the same one-line
// CollectiveError (ExitCode::failure) on every rank, naming the rank, its host and the path,
// and leaves no _SUCCESS. Collective.
void write_parts(const boost::mpi::communicator& comm, const std::string& dir,
                 std::string_view my_bytes);

// Sorts `pairs` across ranks by `before` (KeyValues::sorted) and writes this rank's range as
// its part (write_parts), each pair as the text format(pair) returns (e.g. one TSV line). The
// parts concatenated in name order (`cat DIR/part-*`) are then every pair in that order, byte
// for byte the same at every rank count, schedule and split size, for a total order and a
// format that depends on the pair alone. An exception from `format` on any rank becomes one
// CollectiveError on every rank (naming the rank and host), before anything is written.
// Collective.
template <class K, class V, class Before, class Format>
void write_sorted_parts(const boost::mpi::communicator& comm, const std::string& dir,
                        const KeyValues<K, V>& pairs, Before before, Format format) {
  std::string bytes;
  std::string failure;
  {
    const std::vector<std::pair<K, V>> mine = pairs.sorted(before);
    try {
      for (const auto& pair : mine) bytes += format(pair);
    } catch (const std::exception& e) {
      failure = "error on rank " + std::to_string(comm.rank()) + " (" + Runtime::host() +
                ") formatting its part of " + dir + ": " + e.what();
    }
  }
  agree(comm, failure.empty(), failure);
  write_parts(comm, dir, bytes);
}

}  // namespace mrkit
