#include "mrkit/random/random_streams.hpp"

#include "mrkit/core/detail/simd_variants.hpp"
#include "mrkit/random/detail/philox_lanes.hpp"

#include <algorithm>

namespace mrkit {
namespace {

[[gnu::always_inline]] inline void fill_blocks_body(PhiloxKey key, std::uint64_t task,
                                                    std::uint64_t first_block, std::size_t blocks,
                                                    std::uint32_t* out) {
  using detail::philox_chunk;
  alignas(64) std::uint64_t w[4][philox_chunk];
  for (std::size_t done = 0; done < blocks; done += philox_chunk) {
    const std::size_t n = std::min(philox_chunk, blocks - done);
    detail::philox_blocks(key, task, first_block + done, n, w[0], w[1], w[2], w[3]);
    std::uint32_t* o = out + 4 * done;
    for (std::size_t i = 0; i < n; ++i) {
      o[4 * i] = static_cast<std::uint32_t>(w[0][i]);
      o[4 * i + 1] = static_cast<std::uint32_t>(w[1][i]);
      o[4 * i + 2] = static_cast<std::uint32_t>(w[2][i]);
      o[4 * i + 3] = static_cast<std::uint32_t>(w[3][i]);
    }
  }
}

MRKIT_SIMD_KERNEL(fill_blocks,
                  (PhiloxKey key, std::uint64_t task, std::uint64_t first_block, std::size_t blocks,
                   std::uint32_t* out),
                  (key, task, first_block, blocks, out))

}  // namespace

void RandomStream::fill(std::span<std::uint32_t> out) {
  std::size_t at = 0;
  while (at < out.size() && (position_ & 3U) != 0) out[at++] = (*this)();
  const std::size_t blocks = (out.size() - at) / 4;
  if (blocks > 0) {
    fill_blocks(key_, task_, position_ >> 2, blocks, out.data() + at);
    at += 4 * blocks;
    position_ += 4 * blocks;
  }
  while (at < out.size()) out[at++] = (*this)();
}

void RandomStream::fill_uniform(std::span<double> out) {
  constexpr std::size_t piece = 512;
  std::uint32_t words[2 * piece];
  for (std::size_t done = 0; done < out.size(); done += piece) {
    const std::size_t n = std::min(piece, out.size() - done);
    fill(std::span<std::uint32_t>(words, 2 * n));
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t x = words[2 * i] | (std::uint64_t{words[2 * i + 1]} << 32);
      out[done + i] = static_cast<double>(x >> 11) * 0x1.0p-53;
    }
  }
}

}  // namespace mrkit
