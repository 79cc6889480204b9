// Block and cyclic splits of an index range [0, n) into `parts` parts.
#pragma once

#include <cstdint>
#include <stdexcept>

namespace mrkit {

struct IndexRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  [[nodiscard]] constexpr std::uint64_t size() const noexcept { return end - begin; }
  [[nodiscard]] constexpr bool empty() const noexcept { return begin == end; }
  friend constexpr bool operator==(const IndexRange&, const IndexRange&) = default;
};

namespace detail {
constexpr void check_parts(int parts, int part) {
  if (parts <= 0) throw std::invalid_argument("the number of parts must be positive");
  if (part < 0 || part >= parts) throw std::invalid_argument("part index out of range");
}
}  // namespace detail

// Contiguous split: part p gets [p*n/P + min(p, n%P) ...); the first n % parts parts hold one
// more element than the others, so sizes differ by at most one.
[[nodiscard]] constexpr IndexRange block_range(std::uint64_t n, int parts, int part) {
  detail::check_parts(parts, part);
  const auto p = static_cast<std::uint64_t>(parts);
  const auto i = static_cast<std::uint64_t>(part);
  const std::uint64_t base = n / p;
  const std::uint64_t extra = n % p;
  const std::uint64_t begin = i * base + (i < extra ? i : extra);
  return {begin, begin + base + (i < extra ? 1 : 0)};
}

// The part that owns index `index` in the block split of [0, n).
[[nodiscard]] constexpr int block_owner(std::uint64_t n, int parts, std::uint64_t index) {
  if (parts <= 0) throw std::invalid_argument("the number of parts must be positive");
  if (index >= n) throw std::out_of_range("index past the end of the range");
  const auto p = static_cast<std::uint64_t>(parts);
  const std::uint64_t base = n / p;
  const std::uint64_t extra = n % p;
  const std::uint64_t big = extra * (base + 1);  // indices held by the larger parts
  if (index < big) return static_cast<int>(index / (base + 1));
  return static_cast<int>(extra + (index - big) / base);
}

// Cyclic (round-robin) split: part p gets p, p + P, p + 2P, ...
[[nodiscard]] constexpr std::uint64_t cyclic_count(std::uint64_t n, int parts, int part) {
  detail::check_parts(parts, part);
  const auto p = static_cast<std::uint64_t>(parts);
  const auto i = static_cast<std::uint64_t>(part);
  return n / p + (i < n % p ? 1 : 0);
}

[[nodiscard]] constexpr std::uint64_t cyclic_index(int parts, int part, std::uint64_t k) {
  return k * static_cast<std::uint64_t>(parts) + static_cast<std::uint64_t>(part);
}

[[nodiscard]] constexpr int cyclic_owner(int parts, std::uint64_t index) {
  return static_cast<int>(index % static_cast<std::uint64_t>(parts));
}

}  // namespace mrkit
