// dcsort's keys around the sort: generated keys, raw little-endian key files, and an
// order-independent summary that shows the output is a permutation of the input.
#pragma once

#include <mrkit/patterns/merge_sort.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

// Key i is output i + 1 of the splitmix64 generator started at `seed`, read as a signed number:
//   state += 0x9e3779b97f4a7c15; z = state; z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9;
//   z = (z ^ z >> 27) * 0x94d049bb133111eb; key = z ^ z >> 31
// (easy to reproduce in any language; the tests do it in Python).
// `first` skips that many outputs (the generator jumps there at once), so each rank can make
// its own block of one long sequence.
[[nodiscard]] std::vector<Key> generate_keys(std::uint64_t count, std::uint64_t seed,
                                             std::uint64_t first = 0);

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
  // The summary of both parts' keys together (so ranks can summarise their parts alone).
  KeySummary& operator+=(const KeySummary& other) noexcept {
    count += other.count;
    sum += other.sum;
    mix_sum += other.mix_sum;
    mix_xor ^= other.mix_xor;
    return *this;
  }
};

[[nodiscard]] KeySummary summarize_keys(std::span<const Key> keys);

// The index of the first key smaller than the key before it, or nothing if sorted.
[[nodiscard]] std::optional<std::size_t> first_unsorted(std::span<const Key> keys);

// Reads a raw file of little-endian signed 64-bit keys. A missing or unreadable file, or one
// whose size is not a multiple of 8 bytes, throws InputError naming the path.
[[nodiscard]] std::vector<Key> read_key_file(const std::string& path);

// What a key file holds, checked as read_key_file checks it: its number of keys, and whether
// its listed size is its content (a regular file on disk), so that ranks can read parts of it.
struct KeyFileInfo {
  std::uint64_t keys = 0;
  bool readable_in_parts = false;
};
[[nodiscard]] KeyFileInfo inspect_key_file(const std::string& path);

// Keys [first, first + count) of a key file whose listed size is its content (pread).
[[nodiscard]] std::vector<Key> read_key_file_part(const std::string& path, std::uint64_t first,
                                                  std::uint64_t count);

// The keys as the bytes of such a file (little-endian; converted in place on a big-endian host).
[[nodiscard]] std::string_view key_file_bytes(std::vector<Key>& keys);

}  // namespace mrkit
