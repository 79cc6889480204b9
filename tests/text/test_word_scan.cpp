#include <mrkit/text/tokenizer.hpp>
#include <mrkit/text/word_counts.hpp>
#include <mrkit/text/word_scan.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <string>

namespace {

mrkit::ReadAt memory_reader(const std::string& data) {
  return [&data](std::uint64_t offset, std::span<char> into) -> std::size_t {
    if (offset >= data.size()) return 0;
    const std::size_t n = std::min<std::size_t>(into.size(), data.size() - offset);
    std::memcpy(into.data(), data.data() + offset, n);
    return n;
  };
}

std::map<std::string, std::uint64_t> reference_counts(const std::string& s, bool fold) {
  std::map<std::string, std::uint64_t> counts;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) ++counts[cur];
    cur.clear();
  };
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      flush();
    } else {
      if (fold && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      cur += c;
    }
  }
  flush();
  return counts;
}

std::map<std::string, std::uint64_t> as_map(const mrkit::WordCounts& t) {
  std::map<std::string, std::uint64_t> m;
  t.for_each([&](std::string_view w, std::uint64_t c, std::uint64_t) { m[std::string(w)] = c; });
  return m;
}

std::uint64_t total(const std::map<std::string, std::uint64_t>& m) {
  std::uint64_t n = 0;
  for (const auto& [w, c] : m) n += c;
  return n;
}

// Scans `data` cut at the given points, returns (words counted, merged table).
std::pair<std::uint64_t, mrkit::WordCounts> scan_cut(const std::string& data,
                                                     const std::vector<std::uint64_t>& cuts,
                                                     std::size_t buffer, bool table, bool fold) {
  mrkit::ScanOptions opt;
  opt.buffer_bytes = buffer;
  opt.ignore_case = fold;
  std::vector<char> buf;
  mrkit::WordCounts counts;
  std::uint64_t words = 0;
  std::uint64_t begin = 0;
  auto points = cuts;
  points.push_back(data.size());
  for (const std::uint64_t end : points) {
    words += mrkit::scan_words(memory_reader(data), data.size(), {begin, end}, opt,
                               table ? &counts : nullptr, buf)
                 .words;
    begin = end;
  }
  return {words, std::move(counts)};
}

std::string random_text(std::mt19937_64& rng, std::size_t n) {
  static const std::string alphabet = "   \t\n\r\v\faAbBcC\0\xc3\xa9";
  std::string s(n, ' ');
  for (auto& c : s) c = alphabet[rng() % alphabet.size()];
  return s;
}

}  // namespace

TEST(WordScan, EverySingleCutCountsEachWordOnce) {
  std::mt19937_64 rng(1);
  for (int round = 0; round < 20; ++round) {
    const std::string s = random_text(rng, 1 + rng() % 120);
    const auto expected = reference_counts(s, false);
    for (std::uint64_t cut = 0; cut <= s.size(); ++cut) {
      for (const std::size_t buffer : {1UL, 2UL, 3UL, 64UL}) {
        const auto [words, table] = scan_cut(s, {cut}, buffer, true, false);
        ASSERT_EQ(words, total(expected)) << "cut " << cut << " buffer " << buffer;
        ASSERT_EQ(as_map(table), expected) << "cut " << cut << " buffer " << buffer;
        const auto [count_only, unused] = scan_cut(s, {cut}, buffer, false, false);
        ASSERT_EQ(count_only, total(expected)) << "cut " << cut << " buffer " << buffer;
      }
    }
  }
}

TEST(WordScan, ManyRandomCutsWithCaseFolding) {
  std::mt19937_64 rng(2);
  for (int round = 0; round < 200; ++round) {
    const std::string s = random_text(rng, rng() % 400);
    std::vector<std::uint64_t> cuts;
    for (std::uint64_t at = rng() % 9; at < s.size(); at += 1 + rng() % 9) cuts.push_back(at);
    const bool fold = round % 2 == 0;
    const auto expected = reference_counts(s, fold);
    const auto [words, table] = scan_cut(s, cuts, 1 + rng() % 16, true, fold);
    ASSERT_EQ(words, total(expected)) << "round " << round;
    ASSERT_EQ(as_map(table), expected) << "round " << round;
  }
}

TEST(WordScan, HugeWordSpanningManySplits) {
  const std::string word(100000, 'w');
  const std::string s = "head " + word + " tail";
  std::vector<std::uint64_t> cuts;
  for (std::uint64_t at = 3; at < s.size(); at += 997) cuts.push_back(at);
  const auto [words, table] = scan_cut(s, cuts, 4096, true, false);
  EXPECT_EQ(words, 3U);
  EXPECT_EQ(table.count(word), 1U);
  EXPECT_EQ(table.count("head"), 1U);
  EXPECT_EQ(table.count("tail"), 1U);
  EXPECT_EQ(table.size(), 3U);
}

TEST(WordScan, EdgeCaseFiles) {
  const std::vector<std::pair<std::string, std::uint64_t>> cases = {
      {"", 0},
      {" \n\t \r\n", 0},
      {"no final newline", 3},
      {"windows\r\nline ends\r\n", 3},
      {std::string("nul\0inside word\0", 17), 2},
      {"caf\xc3\xa9 na\xc3\xafve \xc3\xa9t\xc3\xa9\n", 3},
      {"a\xc2\xa0"
       "b c",
       2},  // no-break space joins
      {"\v\fx\vy\f", 2},
  };
  for (const auto& [text, expected] : cases) {
    for (std::uint64_t cut = 0; cut <= text.size(); ++cut) {
      EXPECT_EQ(scan_cut(text, {cut}, 3, false, false).first, expected) << "cut " << cut;
      EXPECT_EQ(scan_cut(text, {cut}, 3, true, false).second.total(), expected) << "cut " << cut;
    }
  }
}

TEST(WordScan, FileThatShrankIsReadToItsActualEnd) {
  const std::string actual = "one two three";
  mrkit::ScanOptions opt;
  std::vector<char> buf;
  mrkit::WordCounts table;
  // Planned as 100 bytes, the file now holds 13.
  const auto r = mrkit::scan_words(memory_reader(actual), 100, {0, 100}, opt, &table, buf);
  EXPECT_EQ(r.words, 3U);
  EXPECT_EQ(table.size(), 3U);
  EXPECT_TRUE(r.size_changed);
  const auto past = mrkit::scan_words(memory_reader(actual), 100, {50, 100}, opt, nullptr, buf);
  EXPECT_EQ(past.words, 0U);
  EXPECT_TRUE(past.size_changed);
}

// Listed at 9 bytes ("one two t"), the file has grown: only the listed bytes count, at every
// cut and buffer size, and the growth is seen by the range that reaches the listed end.
TEST(WordScan, FileThatGrewIsCountedToItsListedSize) {
  const std::string actual = "one two three four";
  const std::uint64_t listed = 9;
  for (std::size_t buffer_bytes : {1, 2, 4, 64}) {
    for (std::uint64_t cut = 0; cut <= listed; ++cut) {
      mrkit::ScanOptions opt;
      opt.buffer_bytes = buffer_bytes;
      std::vector<char> buf;
      mrkit::WordCounts table;
      const auto a = mrkit::scan_words(memory_reader(actual), listed, {0, cut}, opt, &table, buf);
      const auto b =
          mrkit::scan_words(memory_reader(actual), listed, {cut, listed}, opt, &table, buf);
      EXPECT_EQ(a.words + b.words, 3U) << "cut " << cut << " buffer " << buffer_bytes;
      EXPECT_EQ(table.count("t"), 1U) << "cut " << cut << " buffer " << buffer_bytes;
      EXPECT_EQ(table.count("three"), 0U);
      EXPECT_TRUE(a.size_changed || b.size_changed) << "cut " << cut;
    }
  }
  // The same file at its real size: no change seen.
  mrkit::ScanOptions opt;
  std::vector<char> buf;
  const auto r = mrkit::scan_words(memory_reader(actual), actual.size(), {0, actual.size()}, opt,
                                   nullptr, buf);
  EXPECT_EQ(r.words, 4U);
  EXPECT_FALSE(r.size_changed);
}

TEST(WordScan, CallsBackAfterEachBuffer) {
  const std::string s(1000, 'x');
  mrkit::ScanOptions opt;
  opt.buffer_bytes = 100;
  std::vector<char> buf;
  int calls = 0;
  (void)mrkit::scan_words(memory_reader(s), s.size(), {0, s.size()}, opt, nullptr, buf,
                          [&] { ++calls; });
  EXPECT_EQ(calls, 10);
}

TEST(WordScan, WholeFileInMemoryCountsAsScanningIt) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 300; ++round) {
    const std::string s = random_text(rng, rng() % 300);
    const bool fold = round % 2 == 0;
    const auto expected = reference_counts(s, fold);
    for (const bool tabulate : {true, false}) {
      std::vector<char> bytes(s.begin(), s.end());
      bytes.resize(s.size() + mrkit::WordCounts::read_padding, 'x');  // padding is not counted
      mrkit::ScanOptions opt;
      opt.ignore_case = fold;
      mrkit::WordCounts table;
      const mrkit::ScanResult r =
          mrkit::scan_bytes({bytes.data(), s.size()}, opt, tabulate ? &table : nullptr);
      ASSERT_EQ(r.words, total(expected)) << "round " << round;
      ASSERT_EQ(r.bytes_read, s.size());
      if (tabulate) {
        ASSERT_EQ(as_map(table), expected) << "round " << round;
      }
    }
  }
}
