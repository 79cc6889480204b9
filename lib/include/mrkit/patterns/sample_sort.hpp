// A sample sort of signed 64-bit keys spread over all ranks: no rank holds more than its share.
//
//   std::vector<mrkit::Key> mine = ...;                 // any keys, any number per rank
//   mine = mrkit::sample_sort(comm, std::move(mine));   // rank r holds the r-th range
//   // the ranges concatenated in rank order are all keys sorted, whatever each rank held.
//
// merge_sort.hpp (the course's figure) sorts keys the mother holds; this one starts and ends
// with the keys on every rank, for inputs that no single rank should hold.
#pragma once

#include "mrkit/patterns/merge_sort.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace mrkit {

struct SampleSortStats {
  std::uint64_t keys = 0;     // all ranks' keys
  std::uint64_t largest = 0;  // the most keys a rank holds after the sort
  std::uint64_t samples = 0;  // sample points sent to the root
};

// Sorts the keys of all ranks (collective). Returns this rank's range: rank r holds the r-th,
// so the ranges in rank order are all keys sorted, the same sequence at every rank count.
//
// Regular sampling: each rank sorts its keys and sends every step-th one to the root, with its
// rank and position, step = max(1, floor(N / (4 P^2))) for N keys on P ranks; the root picks
// P - 1 splitters at the multiples of N / P and broadcasts them; non-blocking sends and receives
// (in pieces of at most 1 GiB) move each key straight from the rank's keys into the array of the
// rank that owns its range; each rank merges the P sorted runs it received.
// Equal keys are told apart by (rank, position) before the sort, a total order, so the ranges
// stay balanced however many keys are equal (all equal included): a rank ends with at most
// N / P + (P + 1) * step keys, about 1 + (P + 1) / (4 P) times the mean (1.375x at 2 ranks,
// 1.31x at 4, towards 1.25x), and at most ceil(N / P) when N < 4 P^2. Memory per rank: its keys
// and the keys received, then those and a buffer to merge them; the root also holds the sample
// (about 4 P^2 keys).
[[nodiscard]] std::vector<Key> sample_sort(const boost::mpi::communicator& comm,
                                           std::vector<Key> keys, SampleSortStats* stats = nullptr);

// The budget and scratch space of sample_sort_on_disk.
struct DiskSortOptions {
  // Per rank: the run buffer takes half, the exchange pieces and the merge buffers share the
  // rest. At least 64 KiB.
  std::uint64_t memory_bytes = std::uint64_t{64} << 20;
  // Parent of the scratch directory (io/scratch_dir.hpp); empty: $TMPDIR, else /tmp.
  std::string tmpdir;
};

struct DiskSortStats {
  std::uint64_t keys = 0;           // all ranks' keys
  std::uint64_t largest = 0;        // the most keys a rank holds after the sort
  std::uint64_t runs = 0;           // sorted runs written, all ranks
  std::uint64_t bytes_spilled = 0;  // written to scratch files, all ranks (runs and received)
};

// The sample sort of keys that do not fit in memory (collective). Each rank's keys come from
// `read` (it fills the span it is given and returns how many keys it put there; 0 at the end);
// then `place(first, count)` tells the rank where its range starts in the whole sorted sequence
// and how long it is, and `write` receives the range, in order, in blocks.
//
// Memory per rank stays within about `memory_bytes` (plus the callbacks' own): runs of
// memory_bytes / 2 are sorted and written to the scratch directory; every step-th key of each
// run is sent to the root with (rank, run, position), step = max(1, floor(N / (4 P^2 m))) for
// the most runs m of a rank (at most 16: about 4 P^2 m points in all), which picks the
// splitters; keys travel in rounds of all-to-all pieces of memory_bytes / (8 P) per destination,
// each rank writing what it receives as runs of its own; each rank merges its runs (a heap, one
// buffer per run) into `write`. Equal keys are told apart by (rank, run, position), so ranges
// stay balanced whatever the skew: a rank ends with at most N / P + (R + 1) * step keys, R the
// runs of all ranks (about 1.25x the mean when runs are even across ranks). The scratch directory
// is removed on return and on every error. An error on any rank (no space left, an unreadable
// input) throws the same CollectiveError on every rank.
void sample_sort_on_disk(const boost::mpi::communicator& comm,
                         const std::function<std::size_t(std::span<Key>)>& read,
                         const std::function<void(std::uint64_t, std::uint64_t)>& place,
                         const std::function<void(std::span<const Key>)>& write,
                         const DiskSortOptions& options = {}, DiskSortStats* stats = nullptr);

namespace detail {

// The position in `sorted` (this rank's sorted keys, `rank` its rank) where the keys that come
// before or at the splitter (key, splitter_rank, index) end, in the order (key, rank, position).
[[nodiscard]] std::size_t cut_at_splitter(std::span<const Key> sorted, int rank, Key key,
                                          int splitter_rank, std::uint64_t index);

// Merges the sorted runs [bounds[i], bounds[i + 1]) of `keys` into one sorted sequence.
void merge_sorted_runs(std::vector<Key>& keys, std::vector<std::size_t> bounds);

}  // namespace detail

}  // namespace mrkit
