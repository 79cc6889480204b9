// numpy's legacy per-seed draw, `np.random.seed(s); np.random.randint(low, high)`, bit for bit:
// for one seed, or for a run of consecutive seeds at once (the course's carre(seed) example).
#pragma once

#include <cstdint>
#include <span>

namespace mrkit {

// What numpy's legacy RandomState does (numpy 1.17 and later, and before):
//  - np.random.seed(s), s in [0, 2^32): MT19937 seeded by init_genrand, as std::mt19937(s);
//  - randint(low, high): with r = high - low - 1 and mask the smallest 2^k - 1 >= r, it draws
//    32-bit outputs x until (x & mask) <= r and returns low + (x & mask) ("masked rejection").
// The first output only needs state words 0, 1 and 397 (each redraw one word more), so the fast
// paths stop seeding there instead of filling all 624 words.
class NumpyRandint {
 public:
  // Throws std::invalid_argument unless low < high and high - low <= 2^32 (wider ranges make
  // numpy draw 64-bit outputs, which this class does not reproduce).
  NumpyRandint(std::int64_t low, std::int64_t high);

  [[nodiscard]] std::int64_t low() const noexcept { return low_; }
  [[nodiscard]] std::int64_t high() const noexcept { return high_; }
  // How many values it can draw: high - low.
  [[nodiscard]] std::uint64_t values() const noexcept;

  // The draw for `seed` as an offset from low(): the value is low() + offset.
  // Reference: a whole std::mt19937 (624 words seeded, then twisted). Slow and plainly right.
  [[nodiscard]] std::uint32_t reference_offset(std::uint32_t seed) const;
  // One seed, seeding only the words its outputs need.
  [[nodiscard]] std::uint32_t offset(std::uint32_t seed) const noexcept;
  // Seeds first_seed, first_seed + 1, ..., first_seed + out.size() - 1, many at once (SIMD).
  // Throws std::out_of_range if the last seed would pass 2^32 - 1.
  void offsets(std::uint32_t first_seed, std::span<std::uint32_t> out) const;

  // np.random.seed(seed); np.random.randint(low, high).
  [[nodiscard]] std::int64_t operator()(std::uint32_t seed) const noexcept {
    return low_ + static_cast<std::int64_t>(offset(seed));
  }

 private:
  std::int64_t low_;
  std::int64_t high_;
  std::uint32_t range_;  // high - low - 1: the largest offset
  std::uint32_t mask_;   // the smallest 2^k - 1 >= range_
};

}  // namespace mrkit
