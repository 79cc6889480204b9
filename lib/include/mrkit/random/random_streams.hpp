// Counter-based random numbers for Monte Carlo over MPI: Philox4x32-10 (Salmon et al., "Parallel
// random numbers: as easy as 1, 2, 3", SC'11), keyed by (seed, stream) and counted by (task,
// draw). A task's numbers are a pure function of those four, so any rank can compute any task's
// numbers and results never depend on the rank count.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace mrkit {

using PhiloxCounter = std::array<std::uint32_t, 4>;
using PhiloxKey = std::array<std::uint32_t, 2>;

// The Philox4x32 bijection with `Rounds` rounds, as Random123's philox4x32_R(Rounds, ctr, key).
template <int Rounds = 10>
[[nodiscard]] constexpr PhiloxCounter philox4x32(PhiloxCounter ctr, PhiloxKey key) noexcept {
  for (int round = 0; round < Rounds; ++round) {
    if (round > 0) {
      key[0] += 0x9E3779B9U;  // the golden ratio
      key[1] += 0xBB67AE85U;  // sqrt(3) - 1
    }
    const std::uint64_t p0 = std::uint64_t{0xD2511F53U} * ctr[0];
    const std::uint64_t p1 = std::uint64_t{0xCD9E8D57U} * ctr[2];
    ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<std::uint32_t>(p1),
           static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<std::uint32_t>(p0)};
  }
  return ctr;
}

// The random words of one task. Block b of the stream is
//   philox4x32<10>({b mod 2^32, b / 2^32, task mod 2^32, task / 2^32}, {seed, stream})
// and its four words are words 4b .. 4b + 3. The stream reads them in order (a C++
// UniformRandomBitGenerator, so std:: distributions work too), in bulk with fill(), or any block
// directly with block(). Streams with another seed, stream number or task share no blocks.
class RandomStream {
 public:
  using result_type = std::uint32_t;

  RandomStream(std::uint32_t seed, std::uint32_t stream, std::uint64_t task) noexcept
      : key_{seed, stream}, task_(task) {}

  [[nodiscard]] PhiloxKey key() const noexcept { return key_; }
  [[nodiscard]] std::uint64_t task() const noexcept { return task_; }

  // Block `index` of the stream, computed on its own.
  [[nodiscard]] PhiloxCounter block(std::uint64_t index) const noexcept {
    return philox4x32<10>(
        {static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32),
         static_cast<std::uint32_t>(task_), static_cast<std::uint32_t>(task_ >> 32)},
        key_);
  }

  // The next word.
  result_type operator()() noexcept {
    if ((position_ & 3U) == 0) buffer_ = block(position_ >> 2);
    return buffer_[position_++ & 3U];
  }
  // The next two words, the first in the low half.
  std::uint64_t next_u64() noexcept {
    const std::uint64_t low = (*this)();
    return low | (std::uint64_t{(*this)()} << 32);
  }
  // Uniform on [0, 1) with 53 random bits: (next_u64() >> 11) * 2^-53.
  double next_double() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // The next out.size() words, as many calls of operator() would give, many blocks at once.
  void fill(std::span<std::uint32_t> out);
  // The next out.size() uniforms, as many calls of next_double() would give.
  void fill_uniform(std::span<double> out);

  // How many words have been drawn; seek() moves there (blocks are random access).
  [[nodiscard]] std::uint64_t position() const noexcept { return position_; }
  void seek(std::uint64_t word) noexcept {
    position_ = word;
    if ((position_ & 3U) != 0) buffer_ = block(position_ >> 2);
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return UINT32_MAX; }

 private:
  PhiloxKey key_;
  std::uint64_t task_;
  std::uint64_t position_ = 0;  // the next word
  PhiloxCounter buffer_{};      // block position_ / 4, when position_ is not a multiple of 4
};

}  // namespace mrkit
