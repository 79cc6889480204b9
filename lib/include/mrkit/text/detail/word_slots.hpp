// Private to the library: the slot layout of mrkit::WordCounts (text/word_counts.hpp), inline so
// that the table's hot path (add, add_padded) compiles to a few loads and compares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mrkit::detail {

// Words of at most this many bytes are stored inline in their slot.
inline constexpr std::size_t inline_word_bytes = 16;

// 64x64 -> 128-bit multiply, folded: the mixing step of wyhash.
inline std::uint64_t wy_mix(std::uint64_t a, std::uint64_t b) noexcept {
  __extension__ using uint128 = unsigned __int128;  // GCC and Clang on 64-bit targets
  const uint128 r = static_cast<uint128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

// A word of at most 16 bytes as two little-endian halves, zero past its end, and its length.
struct ShortKey {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::uint64_t length = 0;

  // Reads only the n bytes of the word (no padding needed), with overlapping loads rather than
  // a copy of n bytes: a copy of variable length into a buffer costs a call and a stalled load
  // (store forwarding fails), which made add() 2x slower than add_padded() per word.
  static ShortKey of(const char* p, std::size_t n) noexcept {
    if (n >= 8) {  // 8..16: lo whole; hi from the last 8 bytes, shifted past the overlap
      const std::uint64_t hi = n == 8 ? 0 : load8(p + n - 8) >> (8 * (16 - n));
      return {load8(p), hi, n};
    }
    if (n >= 4) {  // 4..7: two overlapping 4-byte loads
      const std::uint64_t lo =
          load4(p) | (static_cast<std::uint64_t>(load4(p + n - 4)) << (8 * (n - 4)));
      return {lo, 0, n};
    }
    if (n == 0) return {0, 0, 0};
    // 1..3: the first, middle and last bytes (some the same byte)
    const auto byte = [p](std::size_t i) {
      return static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    };
    return {byte(0) | byte(n >> 1) | byte(n - 1), 0, n};
  }
  static std::uint64_t load8(const char* p) noexcept {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);
    return v;
  }
  static std::uint32_t load4(const char* p) noexcept {
    std::uint32_t v = 0;
    std::memcpy(&v, p, 4);
    return v;
  }
  static ShortKey of_padded(const char* p, std::size_t n) noexcept {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    std::memcpy(&lo, p, 8);
    std::memcpy(&hi, p + 8, 8);
    return {lo & low_bytes(n), hi & low_bytes(n < 8 ? 0 : n - 8), n};
  }
  // A mask of the k (at most 8) low bytes.
  static constexpr std::uint64_t low_bytes(std::size_t k) noexcept {
    return k >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * k)) - 1;
  }
  static ShortKey from_bytes(const char* bytes, std::size_t n) noexcept {
    ShortKey k;
    std::memcpy(&k.lo, bytes, 8);
    std::memcpy(&k.hi, bytes + 8, 8);
    k.length = n;
    return k;
  }
  // wyhash's mixing of the two halves and the length.
  [[nodiscard]] std::uint64_t hash() const noexcept {
    constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL;
    constexpr std::uint64_t k1 = 0xe7037ed1a0b428dbULL;
    constexpr std::uint64_t k2 = 0x8ebc6af09c88c6e3ULL;
    return wy_mix(wy_mix(lo ^ k1, hi ^ k2 ^ length) ^ k0, length ^ k1);
  }
};

// 32 bytes. Short word: lo/hi are its key; tag = length + 1 | arena offset << 5.
// Long word: lo = arena offset, hi = length; tag = long_word_tag | hash << 5. Empty: count == 0.
struct WordSlot {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::uint64_t count = 0;
  std::uint64_t tag = 0;
};
inline constexpr std::uint64_t long_word_tag = 31;

}  // namespace mrkit::detail
