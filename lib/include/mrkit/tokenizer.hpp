// What a word is: a maximal run of bytes that are not ASCII white space, exactly as Python's
// bytes.split(). White space is space, \t, \n, \v, \f and \r; every other byte (NUL, other
// control characters, UTF-8 sequences such as U+00A0) is part of a word.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace mrkit {

[[nodiscard]] constexpr bool is_space(unsigned char c) noexcept {
  return c == ' ' || static_cast<unsigned char>(c - '\t') < 5;  // \t \n \v \f \r
}
[[nodiscard]] constexpr bool is_space(char c) noexcept {
  return is_space(static_cast<unsigned char>(c));
}

// Number of words that begin in `bytes`: positions holding a word byte preceded by white space.
// `space_before` says whether the byte just before `bytes` was white space (true at a file start).
[[nodiscard]] std::uint64_t count_word_starts(std::string_view bytes, bool space_before) noexcept;

// Folds ASCII A-Z to a-z in place; every other byte is left as it is.
void to_lower_ascii(std::span<char> bytes) noexcept;

// Calls f(word) for each word of `text`, in order.
template <class F>
void for_each_word(std::string_view text, F&& f) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    while (i < n && is_space(text[i])) ++i;
    const std::size_t start = i;
    while (i < n && !is_space(text[i])) ++i;
    if (i > start) f(text.substr(start, i - start));
  }
}

}  // namespace mrkit
