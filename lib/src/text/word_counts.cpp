#include "mrkit/text/word_counts.hpp"

#include "mrkit/comm/byte_codec.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <tuple>

namespace mrkit {
namespace {

constexpr std::size_t initial_slots = 1024;

// Wire format of one entry: u64 length, u64 count, then the word's bytes.
void encode_entry(std::string& out, std::string_view word, std::uint64_t count) {
  ByteWriter writer(out);
  writer.put<std::uint64_t, std::uint64_t>(word.size(), count);
  writer.bytes(word);
}

}  // namespace

bool more_frequent(const WordCount& a, const WordCount& b) noexcept {
  if (a.count != b.count) return a.count > b.count;
  return a.word < b.word;
}

std::vector<WordCount> top_k(const WordCounts& table, std::uint64_t k) {
  if (k == 0 || k >= table.size()) {
    std::vector<WordCount> all = table.to_vector();
    keep_top_k(all, 0);
    return all;
  }
  // A heap of the k best seen so far, holding views into the table: its top is the worst.
  struct View {
    std::string_view word;
    std::uint64_t count;
  };
  auto better = [](const View& a, const View& b) {
    return a.count != b.count ? a.count > b.count : a.word < b.word;
  };
  std::vector<View> heap;
  heap.reserve(static_cast<std::size_t>(k));
  table.for_each([&](std::string_view w, std::uint64_t c, std::uint64_t) {
    const View v{w, c};
    if (heap.size() < k) {
      heap.push_back(v);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(v, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = v;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  });
  std::sort(heap.begin(), heap.end(), better);
  std::vector<WordCount> out;
  out.reserve(heap.size());
  for (const View& v : heap) out.push_back({std::string(v.word), v.count});
  return out;
}

void keep_top_k(std::vector<WordCount>& words, std::uint64_t k) {
  if (k == 0 || k >= words.size()) {
    std::sort(words.begin(), words.end(), more_frequent);
    return;
  }
  const auto middle = words.begin() + static_cast<std::ptrdiff_t>(k);
  std::partial_sort(words.begin(), middle, words.end(), more_frequent);
  words.erase(middle, words.end());
}

std::uint64_t WordCounts::hash(std::string_view word) noexcept {
  if (word.size() <= inline_bytes) return ShortKey::of(word.data(), word.size()).hash();
  return XXH3_64bits(word.data(), word.size());
}

std::uint64_t WordCounts::slot_hash(const Slot& s, std::string_view word) noexcept {
  if ((s.tag & 31) == long_tag) return XXH3_64bits(word.data(), word.size());
  return ShortKey{s.lo, s.hi, word.size()}.hash();
}

void WordCounts::insert_short(const ShortKey& key, std::string_view word, std::uint64_t count) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = key.hash() & mask;
  while (slots_[i].count != 0) i = (i + 1) & mask;  // the word is not in the table
  Slot& s = slots_[i];
  s.lo = key.lo;
  s.hi = key.hi;
  s.count = count;
  s.tag = (key.length + 1) | (static_cast<std::uint64_t>(arena_.size()) << 5);
  arena_.insert(arena_.end(), word.begin(), word.end());
  ++size_;
  total_ += count;
}

void WordCounts::add_long(std::string_view word, std::uint64_t count) {
  if (count == 0) return;
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const std::uint64_t h = XXH3_64bits(word.data(), word.size());
  const std::uint64_t tag = long_tag | (h << 5);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.count == 0) {
      s.lo = arena_.size();
      s.hi = word.size();
      s.count = count;
      s.tag = tag;
      arena_.insert(arena_.end(), word.begin(), word.end());
      ++size_;
      break;
    }
    if (s.tag == tag && s.hi == word.size() &&
        std::memcmp(arena_.data() + s.lo, word.data(), word.size()) == 0) {
      s.count += count;
      break;
    }
  }
  total_ += count;
}

void WordCounts::grow() {
  rehash(slots_.empty() ? initial_slots : slots_.size() * 2);
}

void WordCounts::rehash(std::size_t slots) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(slots, Slot{});
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.count == 0) continue;
    // A long word's tag keeps the low 59 bits of its hash: enough to place it.
    const std::uint64_t h =
        (s.tag & 31) == long_tag ? s.tag >> 5 : ShortKey{s.lo, s.hi, (s.tag & 31) - 1}.hash();
    std::size_t i = h & mask;
    while (slots_[i].count != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void WordCounts::reserve(std::size_t words, std::size_t key_bytes) {
  std::size_t slots = slots_.empty() ? initial_slots : slots_.size();
  while (slots < 2 * words) slots *= 2;
  if (slots > slots_.size()) rehash(slots);
  arena_.reserve(arena_.size() + key_bytes);
}

std::uint64_t WordCounts::count(std::string_view word) const noexcept {
  if (slots_.empty()) return 0;
  const std::size_t mask = slots_.size() - 1;
  if (word.size() <= inline_bytes) {
    const ShortKey key = ShortKey::of(word.data(), word.size());
    for (std::size_t i = key.hash() & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.lo == key.lo && s.hi == key.hi && (s.tag & 31) == key.length + 1) return s.count;
      if (s.count == 0) return 0;
    }
  }
  const std::uint64_t h = XXH3_64bits(word.data(), word.size());
  const std::uint64_t tag = long_tag | (h << 5);
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.count == 0) return 0;
    if (s.tag == tag && s.hi == word.size() &&
        std::memcmp(arena_.data() + s.lo, word.data(), word.size()) == 0) {
      return s.count;
    }
  }
}

std::size_t WordCounts::memory_bytes() const noexcept {
  return slots_.capacity() * sizeof(Slot) + arena_.capacity();
}

void WordCounts::merge(const WordCounts& other) {
  other.for_each([this](std::string_view w, std::uint64_t c, std::uint64_t) { add(w, c); });
}

std::vector<WordCount> WordCounts::to_vector() const {
  std::vector<WordCount> out;
  out.reserve(size_);
  for_each([&out](std::string_view w, std::uint64_t c, std::uint64_t) {
    out.push_back({std::string(w), c});
  });
  return out;
}

std::vector<std::string> WordCounts::encode_partitioned(int parts) const {
  std::vector<std::string> out(static_cast<std::size_t>(parts));
  for_each([&](std::string_view w, std::uint64_t c, std::uint64_t h) {
    encode_entry(out[static_cast<std::size_t>(owner(h, parts))], w, c);
  });
  return out;
}

std::string WordCounts::encode() const {
  std::string out;
  for_each([&out](std::string_view w, std::uint64_t c, std::uint64_t) { encode_entry(out, w, c); });
  return out;
}

void WordCounts::merge_encoded(std::string_view bytes) {
  // A first pass over the headers sizes the table once instead of growing it step by step.
  // (A torn entry ends the count; the second pass throws on it.)
  std::size_t entries = 0;
  std::size_t key_bytes = 0;
  for (ByteReader scan(bytes); scan.remaining() >= 16;) {
    const std::uint64_t length = std::get<0>(scan.get<std::uint64_t, std::uint64_t>());
    if (length > scan.remaining()) break;
    scan.skip(length);
    ++entries;
    key_bytes += static_cast<std::size_t>(length);
  }
  reserve(size_ + entries, key_bytes);
  ByteReader in(bytes, "truncated word-count buffer");
  while (!in.done()) {
    const auto [length, count] = in.get<std::uint64_t, std::uint64_t>();
    add(in.bytes(length), count);
  }
}

}  // namespace mrkit
