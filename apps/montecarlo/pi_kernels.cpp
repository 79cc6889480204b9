#include "pi_kernels.hpp"

#include <mrkit/core/detail/simd_variants.hpp>
#include <mrkit/random/detail/philox_lanes.hpp>

#include <algorithm>

namespace mrkit {
namespace {

[[gnu::always_inline]] inline bool in_quarter_disc(std::uint32_t wx, std::uint32_t wy) noexcept {
  // Exact conversions; this file is built with -ffp-contract=off, so no level fuses the
  // multiply-adds and every SIMD level counts the same points.
  const double x = (static_cast<double>(static_cast<std::int32_t>(wx >> 1)) + 0.5) * 0x1.0p-31;
  const double y = (static_cast<double>(static_cast<std::int32_t>(wy >> 1)) + 0.5) * 0x1.0p-31;
  return x * x + y * y < 1.0;
}

[[gnu::always_inline]] inline void disc_hits_body(PhiloxKey key, std::uint64_t task,
                                                  std::uint64_t first_block, std::uint64_t blocks,
                                                  std::uint64_t* hits) {
  using detail::philox_chunk;
  alignas(64) std::uint64_t w[4][philox_chunk];
  std::uint64_t h = 0;
  for (std::uint64_t done = 0; done < blocks; done += philox_chunk) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(philox_chunk, blocks - done));
    detail::philox_blocks(key, task, first_block + done, n, w[0], w[1], w[2], w[3]);
    for (std::size_t i = 0; i < n; ++i) {
      h += in_quarter_disc(static_cast<std::uint32_t>(w[0][i]), static_cast<std::uint32_t>(w[1][i]))
               ? 1U
               : 0U;
      h += in_quarter_disc(static_cast<std::uint32_t>(w[2][i]), static_cast<std::uint32_t>(w[3][i]))
               ? 1U
               : 0U;
    }
  }
  *hits = h;
}

MRKIT_SIMD_KERNEL(disc_hits,
                  (PhiloxKey key, std::uint64_t task, std::uint64_t first_block,
                   std::uint64_t blocks, std::uint64_t* hits),
                  (key, task, first_block, blocks, hits))

}  // namespace

std::uint64_t quarter_disc_hits(RandomStream& stream, std::uint64_t points) {
  std::uint64_t hits = 0;
  std::uint64_t left = points;
  if (stream.position() % 4 == 0 && left >= 2) {
    const std::uint64_t blocks = left / 2;  // two points per block
    std::uint64_t bulk = 0;
    disc_hits(stream.key(), stream.task(), stream.position() / 4, blocks, &bulk);
    hits += bulk;
    stream.seek(stream.position() + 4 * blocks);
    left -= 2 * blocks;
  }
  for (; left > 0; --left) {
    const std::uint32_t x = stream();
    hits += in_quarter_disc(x, stream()) ? 1U : 0U;
  }
  return hits;
}

Moments arctan_integrand(RandomStream& stream, std::uint64_t samples) {
  constexpr std::size_t batch = 1024;
  double xs[batch];
  Moments moments;
  for (std::uint64_t done = 0; done < samples; done += batch) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, samples - done));
    stream.fill_uniform(std::span<double>(xs, n));
    for (std::size_t i = 0; i < n; ++i) xs[i] = 4.0 / (1.0 + xs[i] * xs[i]);
    moments.add(std::span<const double>(xs, n));
  }
  return moments;
}

}  // namespace mrkit
