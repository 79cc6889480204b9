// Where a key lives: one 64-bit hash per key, the same on every rank, that picks the rank owning
// the key (its high bits) and the key's bucket in that rank's tables (its low bits).
//
//   strings            XXH3 of their bytes
//   integers, floats   a 64-bit mix of their value (-0.0 as 0.0)
//   types with std::hash<K>          a 64-bit mix of std::hash<K>
//   anything else (Boost.Serialization)  XXH3 of the key's encoded bytes (comm/message_codec.hpp)
//
// Every rank of a job runs the same program, so std::hash agrees across ranks; no result depends
// on the hash otherwise (outputs are ordered by key or value, never by table order).
#pragma once

#include "mrkit/comm/message_codec.hpp"

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

namespace mrkit {

// XXH3-64 of `bytes`, seed 0: the same on every machine.
[[nodiscard]] std::uint64_t hash_bytes(std::string_view bytes) noexcept;

namespace detail {

// splitmix64's finaliser: every input bit moves every output bit.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

template <class K>
concept std_hashable = requires(const K& k) {
  { std::hash<K>{}(k) } -> std::convertible_to<std::size_t>;
};

}  // namespace detail

// The hash of a key (see above). Transparent for strings: a table of std::string keys can be
// searched with a std::string_view, with no copy.
template <class K>
struct KeyHash {
  [[nodiscard]] std::uint64_t operator()(const K& key) const {
    if constexpr (std::is_integral_v<K>) {
      return detail::mix64(static_cast<std::uint64_t>(key));
    } else if constexpr (std::is_floating_point_v<K>) {
      const double d = key == 0 ? 0.0 : static_cast<double>(key);
      return detail::mix64(std::bit_cast<std::uint64_t>(d));
    } else if constexpr (detail::std_hashable<K>) {
      return detail::mix64(static_cast<std::uint64_t>(std::hash<K>{}(key)));
    } else {
      return hash_bytes(encode(key));
    }
  }
};

template <>
struct KeyHash<std::string> {
  using is_transparent = void;
  [[nodiscard]] std::uint64_t operator()(std::string_view key) const noexcept {
    return hash_bytes(key);
  }
};

// The rank (of `ranks`) that owns a key of this hash: its high bits, scaled (Lemire's
// multiply-shift), so that the low bits stay free for the owner's own tables.
[[nodiscard]] inline int owner_rank(std::uint64_t hash, int ranks) noexcept {
  __extension__ using uint128 = unsigned __int128;  // GCC and Clang on 64-bit targets
  return static_cast<int>((static_cast<uint128>(hash) * static_cast<std::uint64_t>(ranks)) >> 64);
}

}  // namespace mrkit
