// libFuzzer target: the split-and-merge word count equals a one-pass reference for any input,
// any set of split points and any buffer size, with and without tabulating and case folding.
#include <mrkit/text/tokenizer.hpp>
#include <mrkit/text/word_counts.hpp>
#include <mrkit/text/word_scan.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "mismatch: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  // Header: buffer size, flags, number of cuts; then the cut points; the rest is the text.
  const std::size_t buffer = 1 + data[0] % 64;
  const bool fold = (data[1] & 1) != 0;
  const std::size_t cuts_wanted = data[2] % 16;
  std::size_t at = 3;
  std::vector<std::uint8_t> cut_bytes;
  for (std::size_t k = 0; k < cuts_wanted && at < size; ++k) cut_bytes.push_back(data[at++]);
  const std::string text(reinterpret_cast<const char*>(data + at), size - at);

  std::vector<std::uint64_t> cuts;
  for (const std::uint8_t b : cut_bytes) cuts.push_back(text.empty() ? 0 : b % (text.size() + 1));
  std::sort(cuts.begin(), cuts.end());
  cuts.push_back(text.size());

  // Reference: one pass, as Python's bytes.split() defines words.
  std::map<std::string, std::uint64_t> expected;
  std::uint64_t expected_words = 0;
  std::string folded = text;
  if (fold) mrkit::to_lower_ascii(folded);
  mrkit::for_each_word(folded, [&](std::string_view w) {
    ++expected[std::string(w)];
    ++expected_words;
  });

  const mrkit::ReadAt read = [&text](std::uint64_t offset, std::span<char> into) -> std::size_t {
    if (offset >= text.size()) return 0;
    const std::size_t n = std::min<std::size_t>(into.size(), text.size() - offset);
    std::memcpy(into.data(), text.data() + offset, n);
    return n;
  };
  mrkit::ScanOptions opt;
  opt.buffer_bytes = buffer;
  opt.ignore_case = fold;
  std::vector<char> buf;
  mrkit::WordCounts table;
  std::uint64_t counted = 0;
  std::uint64_t tabulated = 0;
  std::uint64_t begin = 0;
  for (const std::uint64_t end : cuts) {
    counted += mrkit::scan_words(read, text.size(), {begin, end}, opt, nullptr, buf).words;
    tabulated += mrkit::scan_words(read, text.size(), {begin, end}, opt, &table, buf).words;
    begin = end;
  }
  check(counted == expected_words, "count-only scan");
  check(tabulated == expected_words, "tabulating scan");
  check(table.size() == expected.size(), "distinct words");
  for (const auto& [w, c] : expected) check(table.count(w) == c, "a word's count");
  // The SIMD block walk against the scalar definition, at every alignment of a 64-byte block.
  std::uint64_t blocks = 0;
  const std::size_t open =
      mrkit::for_each_complete_word(text, [&](std::size_t, std::size_t) { ++blocks; });
  check(blocks + (open < text.size() ? 1 : 0) == mrkit::count_word_starts(text, true),
        "block walk");
  return 0;
}
