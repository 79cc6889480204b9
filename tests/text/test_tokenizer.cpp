#include <mrkit/text/tokenizer.hpp>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

// Python's bytes.split() separators, written out independently of the implementation.
bool python_space(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == 0x0c;
}

std::vector<std::string> reference_split(const std::string& s) {
  std::vector<std::string> words;
  std::string cur;
  for (const char c : s) {
    if (python_space(static_cast<unsigned char>(c))) {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) words.push_back(cur);
  return words;
}

std::string random_text(std::mt19937_64& rng, std::size_t n) {
  // Bias towards separators and letters, with every byte value possible.
  static const std::string alphabet = "  \t\n\r\v\fabcXYZ\0\xc3\xa9\xa0\x85";
  std::string s(n, ' ');
  for (auto& c : s) {
    c = (rng() % 4 == 0) ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
  }
  return s;
}

}  // namespace

TEST(Tokenizer, SpaceClassMatchesPythonBytesSplit) {
  for (int c = 0; c < 256; ++c) {
    EXPECT_EQ(mrkit::is_space(static_cast<unsigned char>(c)), python_space(c)) << "byte " << c;
  }
}

TEST(Tokenizer, NonAsciiSpacesAndControlsArePartOfWords) {
  const std::string nbsp =
      "a\xc2\xa0"
      "b";  // U+00A0 is not a separator for bytes.split()
  EXPECT_EQ(mrkit::count_word_starts(nbsp, true), 1U);
  const std::string nul = std::string("x\0y z", 5);
  EXPECT_EQ(mrkit::count_word_starts(nul, true), 2U);
  EXPECT_EQ(mrkit::count_word_starts(std::string("\x1c\x1d\x1e\x1f"), true), 1U);
}

TEST(Tokenizer, EdgeCases) {
  EXPECT_EQ(mrkit::count_word_starts("", true), 0U);
  EXPECT_EQ(mrkit::count_word_starts(" \t\n\r\v\f ", true), 0U);
  EXPECT_EQ(mrkit::count_word_starts("no final newline", true), 3U);
  EXPECT_EQ(mrkit::count_word_starts("crlf\r\nline\r\n", true), 2U);
  EXPECT_EQ(mrkit::count_word_starts("word", false), 0U);  // continues a word begun before
  EXPECT_EQ(mrkit::count_word_starts("word next", false), 1U);
}

TEST(Tokenizer, CountMatchesReferenceOnRandomBuffers) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 500; ++round) {
    const std::string s = random_text(rng, rng() % 300);
    const auto expected = reference_split(s).size();
    EXPECT_EQ(mrkit::count_word_starts(s, true), expected) << "round " << round;
    std::vector<std::string> got;
    mrkit::for_each_word(s, [&](std::string_view w) { got.emplace_back(w); });
    EXPECT_EQ(got, reference_split(s)) << "round " << round;
  }
}

TEST(Tokenizer, CountIsAdditiveAtEveryCut) {
  std::mt19937_64 rng(7);
  const std::string s = random_text(rng, 200);
  const auto total = mrkit::count_word_starts(s, true);
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    const bool before = cut == 0 || mrkit::is_space(s[cut - 1]);
    const auto left = mrkit::count_word_starts(std::string_view(s).substr(0, cut), true);
    const auto right = mrkit::count_word_starts(std::string_view(s).substr(cut), before);
    EXPECT_EQ(left + right, total) << "cut at " << cut;
  }
}

TEST(Tokenizer, LowerCaseFoldsAsciiOnly) {
  std::string s;
  for (int c = 0; c < 256; ++c) s += static_cast<char>(c);
  mrkit::to_lower_ascii(s);
  for (int c = 0; c < 256; ++c) {
    const int expected = (c >= 'A' && c <= 'Z') ? c + 32 : c;
    EXPECT_EQ(static_cast<unsigned char>(s[static_cast<std::size_t>(c)]), expected) << "byte " << c;
  }
}
