// Private to libmrkit: Philox4x32-10 over consecutive blocks, shaped for the vectoriser.
#pragma once

#include "mrkit/random/random_streams.hpp"

#include <cstddef>
#include <cstdint>

namespace mrkit::detail {

// How many blocks the bulk kernels compute per step (their scratch arrays stay in L1).
inline constexpr std::size_t philox_chunk = 256;

// Blocks first_block .. first_block + n - 1 (n <= philox_chunk) of (key, task): word j of block
// first_block + i goes to w<j>[i]. Each 32-bit word sits in a 64-bit lane, so each product is a
// single 32x32->64 lane multiply and no lane ever crosses another.
[[gnu::always_inline]] inline void philox_blocks(PhiloxKey key, std::uint64_t task,
                                                 std::uint64_t first_block, std::size_t n,
                                                 std::uint64_t* w0, std::uint64_t* w1,
                                                 std::uint64_t* w2, std::uint64_t* w3) {
  constexpr std::uint64_t low32 = 0xffffffffU;
  std::uint64_t k0[10];
  std::uint64_t k1[10];
  for (std::uint32_t r = 0; r < 10; ++r) {
    k0[r] = static_cast<std::uint32_t>(key[0] + r * 0x9E3779B9U);
    k1[r] = static_cast<std::uint32_t>(key[1] + r * 0xBB67AE85U);
  }
  const std::uint64_t t0 = task & low32;
  const std::uint64_t t1 = task >> 32;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t b = first_block + i;
    std::uint64_t c0 = b & low32;
    std::uint64_t c1 = b >> 32;
    std::uint64_t c2 = t0;
    std::uint64_t c3 = t1;
#pragma GCC unroll 10
    for (int r = 0; r < 10; ++r) {
      const std::uint64_t p0 = std::uint64_t{0xD2511F53U} * c0;
      const std::uint64_t p1 = std::uint64_t{0xCD9E8D57U} * c2;
      c0 = (p1 >> 32) ^ c1 ^ k0[r];
      c1 = p1 & low32;
      c2 = (p0 >> 32) ^ c3 ^ k1[r];
      c3 = p0 & low32;
    }
    w0[i] = c0;
    w1[i] = c1;
    w2[i] = c2;
    w3[i] = c3;
  }
}

}  // namespace mrkit::detail
