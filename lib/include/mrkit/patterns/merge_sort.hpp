// The course's merge-sort figure on ranks, for signed 64-bit keys: the mother's keys are halved
// down the ranks (divide_and_conquer), each rank sorts its share with std::sort, and sorted
// halves are merged on the way back, the two ranks holding them each merging half of the result
// (and merges of different subtrees at the same time).
// Also what a sorting program needs around it: generated keys, raw little-endian key files, and
// an order-independent summary that shows the output is a permutation of the input.
#pragma once

#include "mrkit/patterns/divide_and_conquer.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

using Key = std::int64_t;

// Key i is output i + 1 of the splitmix64 generator started at `seed`, read as a signed number:
//   state += 0x9e3779b97f4a7c15; z = state; z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9;
//   z = (z ^ z >> 27) * 0x94d049bb133111eb; key = z ^ z >> 31
// (easy to reproduce in any language; the tests do it in Python).
[[nodiscard]] std::vector<Key> generate_keys(std::uint64_t count, std::uint64_t seed);

// Equal for any two orderings of the same keys; different, with overwhelming probability, for
// different multisets of keys (two independent 64-bit hash sums and a hash xor).
struct KeySummary {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;      // the keys as unsigned numbers, wrapping
  std::uint64_t mix_sum = 0;  // a 64-bit hash of each key, wrapping sum
  std::uint64_t mix_xor = 0;  // the same hashes, xor-ed
  friend bool operator==(const KeySummary&, const KeySummary&) = default;
  // "count N, sum 0x..., checksum 0x...-0x..."
  [[nodiscard]] std::string text() const;
};

[[nodiscard]] KeySummary summarize_keys(std::span<const Key> keys);

// The index of the first key smaller than the key before it, or nothing if sorted.
[[nodiscard]] std::optional<std::size_t> first_unsorted(std::span<const Key> keys);

// "[3 9 10]", or for more than `shown` keys "[3 9 10 ... 82] (1000 keys)".
[[nodiscard]] std::string describe_keys(std::span<const Key> keys, std::size_t shown = 16);

struct MergeSortOptions {
  // 0: each rank sorts its whole share with std::sort. N > 0: a rank keeps halving its share
  // down to N keys and merges back (the course's figure, for --trace; slower).
  std::uint64_t leaf_keys = 0;
  // Describe problems and solutions in the tree (costs a little; only for small inputs).
  bool describe = true;
  // Where the halves are on two ranks, both merge half of the result (a "merge path" split
  // found by binary search across the two ranks); false: the right half travels to the left,
  // which merges alone.
  bool merge_together = true;
};

// Sorts the keys held by rank 0 of `comm` (others pass an empty vector) with all ranks
// (collective); returns them sorted on rank 0 and empty elsewhere. With `tree` given (on every
// rank or on none), rank 0 also gets the divide-and-conquer tree.
[[nodiscard]] std::vector<Key> merge_sort(const boost::mpi::communicator& comm,
                                          std::vector<Key> keys,
                                          const MergeSortOptions& options = {},
                                          DivideTree* tree = nullptr);

// Reads a raw file of little-endian signed 64-bit keys. A missing or unreadable file, or one
// whose size is not a multiple of 8 bytes, throws InputError naming the path.
[[nodiscard]] std::vector<Key> read_key_file(const std::string& path);

// The keys as the bytes of such a file (little-endian; converted in place on a big-endian host).
[[nodiscard]] std::string_view key_file_bytes(std::vector<Key>& keys);

}  // namespace mrkit
