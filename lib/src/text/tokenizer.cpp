#include "mrkit/text/tokenizer.hpp"

namespace mrkit {

std::uint64_t count_word_starts(std::string_view bytes, bool space_before) noexcept {
  const std::size_t n = bytes.size();
  if (n == 0) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::uint64_t count = (space_before && !is_space(p[0])) ? 1 : 0;
  // Branch-free so the compiler vectorises it: a word starts where space meets non-space.
  std::uint64_t starts = 0;
  for (std::size_t i = 1; i < n; ++i) {
    starts += static_cast<std::uint64_t>(is_space(p[i - 1]) & !is_space(p[i]));
  }
  return count + starts;
}

void to_lower_ascii(std::span<char> bytes) noexcept {
  for (char& c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    c = static_cast<char>(u + (static_cast<unsigned char>(u - 'A') < 26 ? 32 : 0));
  }
}

}  // namespace mrkit
