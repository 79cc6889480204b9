#include "mrkit/random/numpy_seeds.hpp"

#include "mrkit/core/detail/simd_variants.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

namespace mrkit {
namespace {

// MT19937 (Matsumoto and Nishimura, 1998) as init_genrand and genrand_int32 define it.
constexpr std::size_t state_words = 624;  // n
constexpr std::size_t shift = 397;        // m: output k reads words k, k + 1 and k + m
constexpr std::uint32_t seed_multiplier = 1812433253U;

[[gnu::always_inline]] inline std::uint32_t next_seed_word(std::uint32_t previous,
                                                           std::uint32_t index) noexcept {
  return seed_multiplier * (previous ^ (previous >> 30)) + index;
}

// Output k < n - m of a freshly seeded generator, from state words k, k + 1 and k + m.
[[gnu::always_inline]] inline std::uint32_t first_twist_output(std::uint32_t word_k,
                                                               std::uint32_t word_k1,
                                                               std::uint32_t word_km) noexcept {
  const std::uint32_t y = (word_k & 0x80000000U) | (word_k1 & 0x7fffffffU);
  std::uint32_t x = word_km ^ (y >> 1) ^ ((y & 1U) != 0 ? 0x9908b0dfU : 0U);
  x ^= x >> 11;
  x ^= (x << 7) & 0x9d2c5680U;
  x ^= (x << 15) & 0xefc60000U;
  x ^= x >> 18;
  return x;
}

// The SIMD path: `lanes` consecutive seeds side by side, the first `draws` outputs of each.
// A seed whose `draws` outputs are all rejected (under 0.04% for randint(0, 10)) is marked
// not found and left to the scalar path.
constexpr std::size_t lanes = 128;
constexpr std::size_t draws = 8;

[[gnu::always_inline]] inline void first_draws_body(std::uint32_t first_seed, std::uint32_t mask,
                                                    std::uint32_t range, std::uint32_t* offset,
                                                    std::uint32_t* found) {
  std::uint32_t x[lanes];
  std::uint32_t low[draws + 1][lanes];  // state words 0 .. draws
  std::uint32_t high[draws][lanes];     // state words m .. m + draws - 1
  for (std::size_t l = 0; l < lanes; ++l) {
    x[l] = first_seed + static_cast<std::uint32_t>(l);
    low[0][l] = x[l];
  }
  for (std::uint32_t i = 1; i <= draws; ++i) {
    for (std::size_t l = 0; l < lanes; ++l) {
      x[l] = next_seed_word(x[l], i);
      low[i][l] = x[l];
    }
  }
  for (std::uint32_t i = draws + 1; i < shift; ++i) {
    for (std::size_t l = 0; l < lanes; ++l) x[l] = next_seed_word(x[l], i);
  }
  for (std::uint32_t i = shift; i < shift + draws; ++i) {
    for (std::size_t l = 0; l < lanes; ++l) {
      x[l] = next_seed_word(x[l], i);
      high[i - shift][l] = x[l];
    }
  }
  // From the last draw back to the first, so the first accepted draw is the one kept. Local
  // arrays: the vectoriser need not fear that `offset` and `found` overlap.
  std::uint32_t value[lanes];
  std::uint32_t accepted[lanes];
  for (std::size_t l = 0; l < lanes; ++l) {
    value[l] = 0;
    accepted[l] = 0;
  }
  for (std::size_t k = draws; k-- > 0;) {
    for (std::size_t l = 0; l < lanes; ++l) {
      const std::uint32_t v = first_twist_output(low[k][l], low[k + 1][l], high[k][l]) & mask;
      const bool accept = v <= range;
      value[l] = accept ? v : value[l];
      accepted[l] = accept ? 1U : accepted[l];
    }
  }
  std::memcpy(offset, value, sizeof value);
  std::memcpy(found, accepted, sizeof accepted);
}

MRKIT_SIMD_KERNEL(first_draws,
                  (std::uint32_t first_seed, std::uint32_t mask, std::uint32_t range,
                   std::uint32_t* offset, std::uint32_t* found),
                  (first_seed, mask, range, offset, found))

}  // namespace

NumpyRandint::NumpyRandint(std::int64_t low, std::int64_t high) : low_(low), high_(high) {
  if (low >= high) {
    throw std::invalid_argument("randint: low (" + std::to_string(low) +
                                ") must be less than high (" + std::to_string(high) + ")");
  }
  const auto span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  if (span > (std::uint64_t{1} << 32)) {
    throw std::invalid_argument("randint: high - low must be at most 2^32");
  }
  range_ = static_cast<std::uint32_t>(span - 1);
  std::uint32_t mask = range_;
  for (int s = 1; s < 32; s *= 2) mask |= mask >> s;
  mask_ = mask;
}

std::uint64_t NumpyRandint::values() const noexcept {
  return static_cast<std::uint64_t>(range_) + 1;
}

std::uint32_t NumpyRandint::reference_offset(std::uint32_t seed) const {
  std::mt19937 generator(seed);
  for (;;) {
    const auto v = static_cast<std::uint32_t>(generator()) & mask_;
    if (v <= range_) return v;
  }
}

std::uint32_t NumpyRandint::offset(std::uint32_t seed) const noexcept {
  std::array<std::uint32_t, state_words> mt;  // words 0 .. made - 1 are set
  mt[0] = seed;
  std::size_t made = 1;
  for (std::size_t k = 0; k + shift < state_words; ++k) {
    for (; made <= k + shift; ++made) {
      mt[made] = next_seed_word(mt[made - 1], static_cast<std::uint32_t>(made));
    }
    const std::uint32_t v = first_twist_output(mt[k], mt[k + 1], mt[k + shift]) & mask_;
    if (v <= range_) return v;
  }
  // 227 rejections in a row (each under 1/2 likely): never seen, but handled exactly.
  return reference_offset(seed);
}

void NumpyRandint::offsets(std::uint32_t first_seed, std::span<std::uint32_t> out) const {
  const std::uint64_t seeds_left = (std::uint64_t{1} << 32) - first_seed;
  if (out.size() > seeds_left) {
    throw std::out_of_range("randint: seeds from " + std::to_string(first_seed) + " on, " +
                            std::to_string(out.size()) + " of them, would pass 2^32 - 1");
  }
  std::array<std::uint32_t, lanes> offset{};
  std::array<std::uint32_t, lanes> found{};
  for (std::size_t done = 0; done < out.size(); done += lanes) {
    // Lanes past the last seed wrap around harmlessly and are not used.
    const auto seed = static_cast<std::uint32_t>(first_seed + done);
    first_draws(seed, mask_, range_, offset.data(), found.data());
    const std::size_t n = std::min(lanes, out.size() - done);
    for (std::size_t l = 0; l < n; ++l) {
      out[done + l] =
          found[l] != 0 ? offset[l] : this->offset(seed + static_cast<std::uint32_t>(l));
    }
  }
}

}  // namespace mrkit
