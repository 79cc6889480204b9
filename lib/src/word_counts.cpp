#include "mrkit/word_counts.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace mrkit {
namespace {

constexpr std::size_t initial_slots = 1024;

std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

std::uint32_t load4(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Most words are short: equal lengths are compared with a few overlapping loads inside the
// two keys (never past them), where a call to memcmp would cost more than the comparison.
[[gnu::always_inline]] inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      if (load8(a + i) != load8(b + i)) return false;
    }
    return load8(a + n - 8) == load8(b + n - 8);
  }
  if (n >= 4) return load4(a) == load4(b) && load4(a + n - 4) == load4(b + n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// 64x64 -> 128-bit multiply, folded: the mixing step of wyhash.
__extension__ typedef unsigned __int128 uint128;  // GCC and Clang on 64-bit targets

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  const uint128 r = static_cast<uint128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

// Words of up to 16 bytes (nearly all) are hashed inline from two overlapping loads with
// wyhash's mixing; longer ones by XXH3. Both are fixed functions of the bytes, so every rank
// computes the same hash for the same word.
[[gnu::always_inline]] inline std::uint64_t word_hash(const char* p, std::size_t n) {
  if (n > 16) return XXH3_64bits(p, n);
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (n >= 8) {
    a = load8(p);
    b = load8(p + n - 8);
  } else if (n >= 4) {
    a = load4(p);
    b = load4(p + n - 4);
  } else if (n > 0) {
    a = (static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
        (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n >> 1])) << 8) |
        static_cast<unsigned char>(p[n - 1]);
  }
  constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL;
  constexpr std::uint64_t k1 = 0xe7037ed1a0b428dbULL;
  constexpr std::uint64_t k2 = 0x8ebc6af09c88c6e3ULL;
  return mix(mix(a ^ k1, b ^ k2 ^ n) ^ k0, n ^ k1);
}

void put_u64(std::string& out, std::uint64_t v) {
  char bytes[8];
  std::memcpy(bytes, &v, 8);
  out.append(bytes, 8);
}

std::uint64_t get_u64(std::string_view in, std::size_t at) {
  std::uint64_t v = 0;
  std::memcpy(&v, in.data() + at, 8);
  return v;
}

// Wire format of one entry: u64 length, u64 count, then the word's bytes (host byte order:
// all ranks of one job share an architecture).
void encode_entry(std::string& out, std::string_view word, std::uint64_t count) {
  put_u64(out, word.size());
  put_u64(out, count);
  out.append(word);
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
  return word_hash(word.data(), word.size());
}

void WordCounts::add(std::string_view word, std::uint64_t count) {
  const std::uint64_t h = word_hash(word.data(), word.size());
  // Fast path, the common case once the vocabulary has been seen: the word is there.
  if (count != 0 && !slots_.empty()) {
    Slot* const slots = slots_.data();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask; slots[i].count != 0; i = (i + 1) & mask) {
      Slot& s = slots[i];
      if (s.hash == h && s.length == word.size() &&
          same_bytes(arena_.data() + s.offset, word.data(), word.size())) {
        s.count += count;
        total_ += count;
        return;
      }
    }
  }
  add_hashed(word, h, count);
}

void WordCounts::add_hashed(std::string_view word, std::uint64_t h, std::uint64_t count) {
  if (count == 0) return;
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.count == 0) {
      s.hash = h;
      s.count = count;
      s.offset = arena_.size();
      s.length = word.size();
      arena_.insert(arena_.end(), word.begin(), word.end());
      ++size_;
      break;
    }
    if (s.hash == h && s.length == word.size() &&
        same_bytes(arena_.data() + s.offset, word.data(), word.size())) {
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
    std::size_t i = s.hash & mask;
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
  const std::uint64_t h = word_hash(word.data(), word.size());
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.count == 0) return 0;
    if (s.hash == h && s.length == word.size() &&
        same_bytes(arena_.data() + s.offset, word.data(), word.size())) {
      return s.count;
    }
  }
}

std::size_t WordCounts::memory_bytes() const noexcept {
  return slots_.capacity() * sizeof(Slot) + arena_.capacity();
}

void WordCounts::merge(const WordCounts& other) {
  other.for_each(
      [this](std::string_view w, std::uint64_t c, std::uint64_t h) { add_hashed(w, h, c); });
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
  std::size_t entries = 0;
  std::size_t key_bytes = 0;
  for (std::size_t at = 0; bytes.size() - at >= 16;) {
    const std::uint64_t length = get_u64(bytes, at);
    if (length > bytes.size() - at - 16) break;
    ++entries;
    key_bytes += static_cast<std::size_t>(length);
    at += 16 + static_cast<std::size_t>(length);
  }
  reserve(size_ + entries, key_bytes);
  std::size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 16) throw std::runtime_error("truncated word-count buffer");
    const std::uint64_t length = get_u64(bytes, at);
    const std::uint64_t count = get_u64(bytes, at + 8);
    at += 16;
    if (length > bytes.size() - at) throw std::runtime_error("truncated word-count buffer");
    add(bytes.substr(at, static_cast<std::size_t>(length)), count);
    at += static_cast<std::size_t>(length);
  }
}

}  // namespace mrkit
