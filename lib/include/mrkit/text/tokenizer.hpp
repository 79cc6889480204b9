// What a word is: a maximal run of bytes that are not ASCII white space, exactly as Python's
// bytes.split(). White space is space, \t, \n, \v, \f and \r; every other byte (NUL, other
// control characters, UTF-8 sequences such as U+00A0) is part of a word.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Bit i is set when byte p[i] (0 <= i < 64) is white space. Reads exactly 64 bytes.
[[nodiscard]] inline std::uint64_t space_mask64(const char* p) noexcept {
#if defined(__SSE2__)
  std::uint64_t mask = 0;
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i four = _mm_set1_epi8(4);
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const __m128i t = _mm_sub_epi8(v, tab);  // \t..\r become 0..4 (unsigned)
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(t, four), t);
    const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, space), control);
    mask |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(hit)))
            << (16 * k);
  }
  return mask;
#else
  std::uint64_t mask = 0;
  for (int i = 0; i < 64; ++i) mask |= static_cast<std::uint64_t>(is_space(p[i])) << i;
  return mask;
#endif
}

// Calls f(offset, length) for each word that begins and ends inside `text`, in order, taking
// the byte before `text` as white space; returns the offset at which an unfinished last word
// (one that runs to the end of `text`) begins, or text.size() if there is none.
// Works on 64-byte blocks: a bit mask of white space, then one step per word boundary.
template <class F>
std::size_t for_each_complete_word(std::string_view text, F&& f) {
  const char* p = text.data();
  const std::size_t n = text.size();
  std::uint64_t prev_space = 1;  // bit 0: was the byte before this block white space?
  std::size_t open = n;          // start of the word in progress, n if none
  for (std::size_t base = 0; base < n; base += 64) {
    const std::size_t len = n - base < 64 ? n - base : 64;
    std::uint64_t space;
    if (len == 64) {
      space = space_mask64(p + base);
    } else {
      space = ~std::uint64_t{0} << len;  // past the end: treat as space, events masked below
      for (std::size_t i = 0; i < len; ++i)
        space |= static_cast<std::uint64_t>(is_space(p[base + i])) << i;
    }
    const std::uint64_t before = (space << 1) | prev_space;  // bit i: byte i-1 is space
    const std::uint64_t valid = len == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
    const std::uint64_t starts = ~space & before & valid;
    const std::uint64_t ends = space & ~before & valid;  // first space after a word
    prev_space = space >> 63;
    std::uint64_t events = starts | ends;
    while (events != 0) {
      const int bit = __builtin_ctzll(events);
      events &= events - 1;
      const std::size_t at = base + static_cast<std::size_t>(bit);
      if ((starts >> bit) & 1) {
        open = at;
      } else {
        f(open, at - open);
        open = n;
      }
    }
  }
  return open;
}

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
