#include <mrkit/text/word_counts.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

namespace {

std::string word_of(std::uint64_t i) {
  return "w" + std::to_string(i * 2654435761ULL % 100000);
}

}  // namespace

TEST(WordCounts, MatchesAnOrderedMapReference) {
  std::mt19937_64 rng(3);
  mrkit::WordCounts table;
  std::map<std::string, std::uint64_t> ref;
  for (int i = 0; i < 200000; ++i) {
    const std::string w = word_of(rng() % 20000);
    table.add(w);
    ++ref[w];
  }
  table.add("", 2);  // the empty key is a key like any other
  ref[""] += 2;
  EXPECT_EQ(table.size(), ref.size());
  std::uint64_t total = 0;
  for (const auto& [w, c] : ref) {
    EXPECT_EQ(table.count(w), c) << w;
    total += c;
  }
  EXPECT_EQ(table.total(), total);
  EXPECT_EQ(table.count("absent"), 0U);
}

TEST(WordCounts, EncodeMergeRoundTripAndPartitions) {
  mrkit::WordCounts a;
  for (int i = 0; i < 5000; ++i)
    a.add(word_of(static_cast<std::uint64_t>(i % 777)), 1 + static_cast<std::uint64_t>(i % 3));
  mrkit::WordCounts b;
  b.merge_encoded(a.encode());
  EXPECT_EQ(b.to_vector().size(), a.size());
  for (const auto& w : a.to_vector()) EXPECT_EQ(b.count(w.word), w.count);

  const int parts = 5;
  const auto buffers = a.encode_partitioned(parts);
  ASSERT_EQ(buffers.size(), 5U);
  mrkit::WordCounts merged;
  for (int p = 0; p < parts; ++p) {
    mrkit::WordCounts part;
    part.merge_encoded(buffers[static_cast<std::size_t>(p)]);
    part.for_each([&](std::string_view, std::uint64_t, std::uint64_t h) {
      EXPECT_EQ(mrkit::WordCounts::owner(h, parts), p);
    });
    merged.merge(part);
  }
  EXPECT_EQ(merged.size(), a.size());
  EXPECT_EQ(merged.total(), a.total());
}

TEST(WordCounts, MalformedBufferIsRejected) {
  mrkit::WordCounts a;
  a.add("hello", 3);
  std::string bytes = a.encode();
  bytes.pop_back();
  mrkit::WordCounts b;
  EXPECT_THROW(b.merge_encoded(bytes), std::runtime_error);
  EXPECT_THROW(b.merge_encoded(std::string(5, 'x')), std::runtime_error);
}

TEST(WordCounts, TopKOrdersByCountThenBytes) {
  std::vector<mrkit::WordCount> words = {{"b", 5}, {"a", 5}, {"\xc3\xa9", 9},
                                         {"Z", 5}, {"c", 1}, {"aa", 7}};
  auto all = words;
  mrkit::keep_top_k(all, 0);
  const std::vector<mrkit::WordCount> expected = {{"\xc3\xa9", 9}, {"aa", 7}, {"Z", 5},
                                                  {"a", 5},        {"b", 5},  {"c", 1}};
  EXPECT_EQ(all, expected);
  auto three = words;
  mrkit::keep_top_k(three, 3);
  EXPECT_EQ(three, std::vector<mrkit::WordCount>(expected.begin(), expected.begin() + 3));
  auto many = words;
  mrkit::keep_top_k(many, 100);
  EXPECT_EQ(many, expected);
}

TEST(WordCounts, TopKOfATableMatchesSortingEverything) {
  std::mt19937_64 rng(8);
  mrkit::WordCounts table;
  for (int i = 0; i < 20000; ++i) table.add(word_of(rng() % 3000), 1 + rng() % 4);
  std::vector<mrkit::WordCount> all = table.to_vector();
  mrkit::keep_top_k(all, 0);
  for (const std::uint64_t k : {1ULL, 2ULL, 10ULL, 999ULL, 2999ULL, 3000ULL, 5000ULL, 0ULL}) {
    const auto top = mrkit::top_k(table, k);
    const std::size_t n = k == 0 ? all.size() : std::min<std::size_t>(k, all.size());
    EXPECT_EQ(top, std::vector<mrkit::WordCount>(all.begin(), all.begin() + n)) << "k=" << k;
  }
}

TEST(WordCounts, ReserveKeepsEveryEntry) {
  mrkit::WordCounts table;
  for (int i = 0; i < 3000; ++i) table.add(word_of(static_cast<std::uint64_t>(i)), 2);
  const auto before = table.size();
  table.reserve(100000, 1 << 20);
  EXPECT_EQ(table.size(), before);
  for (int i = 0; i < 3000; ++i) EXPECT_EQ(table.count(word_of(static_cast<std::uint64_t>(i))), 2U);
}

// Keys of every length around the inline limit (16 bytes), with NUL, white space and high
// bytes, added with and without read padding, must behave as an ordered map of strings: inline
// keys, arena keys and the growth between them may not mix words up.
TEST(WordCounts, KeysOfEveryLengthMatchAReferenceWithAndWithoutPadding) {
  std::mt19937_64 rng(21);
  const std::string alphabet("ab\0 \xff", 5);
  std::vector<std::string> vocabulary;
  for (int i = 0; i < 4000; ++i) {
    std::string w(rng() % 41, 'a');  // lengths 0..40
    for (char& c : w) c = alphabet[rng() % alphabet.size()];
    vocabulary.push_back(w);
  }
  mrkit::WordCounts plain;
  mrkit::WordCounts padded;
  mrkit::WordCounts mixed;  // each word once by add, once by add_padded: the same key
  std::map<std::string, std::uint64_t> ref;
  std::string buffer;
  for (int i = 0; i < 60000; ++i) {
    const std::string& w = vocabulary[rng() % vocabulary.size()];
    plain.add(w);
    // The word, then padding of arbitrary bytes that must not leak into the key.
    buffer = w;
    for (std::size_t k = 0; k < mrkit::WordCounts::read_padding; ++k)
      buffer.push_back(static_cast<char>(rng()));
    padded.add_padded(std::string_view(buffer.data(), w.size()));
    mixed.add(w);
    mixed.add_padded(std::string_view(buffer.data(), w.size()));
    ++ref[w];
  }
  ASSERT_EQ(mixed.size(), ref.size());
  for (const auto& [w, c] : ref) EXPECT_EQ(mixed.count(w), 2 * c) << "length " << w.size();
  for (const mrkit::WordCounts* t : {&plain, &padded}) {
    ASSERT_EQ(t->size(), ref.size());
    std::uint64_t total = 0;
    for (const auto& [w, c] : ref) {
      EXPECT_EQ(t->count(w), c) << "length " << w.size();
      total += c;
    }
    EXPECT_EQ(t->total(), total);
    std::map<std::string, std::uint64_t> seen;
    t->for_each([&](std::string_view w, std::uint64_t c, std::uint64_t h) {
      seen[std::string(w)] = c;
      EXPECT_EQ(h, mrkit::WordCounts::hash(w)) << "length " << w.size();
    });
    EXPECT_EQ(seen, ref);
  }
  // Prefixes and extensions of a present word are other words.
  mrkit::WordCounts t;
  t.add("abcdefghijklmnop");  // 16 bytes: inline
  EXPECT_EQ(t.count("abcdefghijklmno"), 0U);
  EXPECT_EQ(t.count("abcdefghijklmnopq"), 0U);
  EXPECT_EQ(t.count(std::string_view("abcdefghijklmno\0", 16)), 0U);
  EXPECT_EQ(t.count("abcdefghijklmnop"), 1U);
}
