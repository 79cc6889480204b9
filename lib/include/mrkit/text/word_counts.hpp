// A word -> count table built for many short keys: open addressing with linear probing; words of
// up to 16 bytes (nearly all) are kept inline in their slot as two zero-padded 64-bit halves, so
// a lookup compares two integers and touches one cache line; longer words live in an arena.
// Plus the order every output uses and top-K selection.
#pragma once

#include "mrkit/text/detail/word_slots.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

struct WordCount {
  std::string word;
  std::uint64_t count = 0;
  friend bool operator==(const WordCount&, const WordCount&) = default;
};

// The output order: count descending, then word ascending (bytewise).
[[nodiscard]] bool more_frequent(const WordCount& a, const WordCount& b) noexcept;

// Keeps the k first entries in output order (k = 0 keeps all), sorted.
void keep_top_k(std::vector<WordCount>& words, std::uint64_t k);

class WordCounts;
// The k first entries of a table in output order (k = 0: all), sorted; only those k words are
// copied out of the table.
[[nodiscard]] std::vector<WordCount> top_k(const WordCounts& table, std::uint64_t k);

class WordCounts {
 public:
  // Words of at most this many bytes are stored inline and take the fast path.
  static constexpr std::size_t inline_bytes = detail::inline_word_bytes;
  // add_padded() may read this many bytes from a word's first byte, whatever its length.
  static constexpr std::size_t read_padding = inline_bytes;

  [[nodiscard]] static std::uint64_t hash(std::string_view word) noexcept;

  void add(std::string_view word, std::uint64_t count = 1) {
    if (word.size() <= inline_bytes) {
      add_short(ShortKey::of(word.data(), word.size()), word, count);
    } else {
      add_long(word, count);
    }
  }
  // As add(word, 1), for a word followed in memory by at least `read_padding` readable bytes
  // (of any value): its key is then two masked loads, without a branch on its length.
  void add_padded(std::string_view word) {
    if (word.size() <= inline_bytes) {
      add_short(ShortKey::of_padded(word.data(), word.size()), word, 1);
    } else {
      add_long(word, 1);
    }
  }
  void merge(const WordCounts& other);
  // Makes room for `words` distinct words and `key_bytes` bytes of keys without rehashing.
  void reserve(std::size_t words, std::size_t key_bytes = 0);

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  [[nodiscard]] std::uint64_t count(std::string_view word) const noexcept;
  // Bytes held by the table (slots and key arena), to report memory use.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  // Calls f(word, count, hash(word)) for every entry, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.count == 0) continue;
      const std::string_view w = word_of(s);
      f(w, s.count, slot_hash(s, w));
    }
  }
  [[nodiscard]] std::vector<WordCount> to_vector() const;

  // Which of `parts` owners a word belongs to in a hash-partitioned exchange.
  [[nodiscard]] static int owner(std::uint64_t hash, int parts) noexcept {
    return static_cast<int>(((hash >> 32) * static_cast<std::uint64_t>(parts)) >> 32);
  }
  // Encodes the entries into one buffer per owner (see owner()), for an all-to-all exchange.
  [[nodiscard]] std::vector<std::string> encode_partitioned(int parts) const;
  [[nodiscard]] std::string encode() const;
  // Adds the entries of a buffer made by encode*(); throws std::runtime_error if it is malformed.
  void merge_encoded(std::string_view bytes);

 private:
  // The slot layout (text/detail/word_slots.hpp).
  using ShortKey = detail::ShortKey;
  using Slot = detail::WordSlot;
  static constexpr std::uint64_t long_tag = detail::long_word_tag;

  void add_short(const ShortKey& key, std::string_view word, std::uint64_t count) {
    if (count == 0) return;
    if (!slots_.empty()) {
      Slot* const slots = slots_.data();
      const std::size_t mask = slots_.size() - 1;
      const std::uint64_t tag_length = key.length + 1;
      for (std::size_t i = key.hash() & mask;; i = (i + 1) & mask) {
        Slot& s = slots[i];
        if (s.lo == key.lo && s.hi == key.hi && (s.tag & 31) == tag_length) {
          s.count += count;
          total_ += count;
          return;
        }
        if (s.count == 0) break;
      }
    }
    insert_short(key, word, count);
  }
  void insert_short(const ShortKey& key, std::string_view word, std::uint64_t count);
  void add_long(std::string_view word, std::uint64_t count);

  [[nodiscard]] std::string_view word_of(const Slot& s) const noexcept {
    if ((s.tag & 31) == long_tag) return {arena_.data() + s.lo, static_cast<std::size_t>(s.hi)};
    return {arena_.data() + (s.tag >> 5), static_cast<std::size_t>((s.tag & 31) - 1)};
  }
  [[nodiscard]] static std::uint64_t slot_hash(const Slot& s, std::string_view word) noexcept;
  void grow();
  void rehash(std::size_t slots);

  std::vector<Slot> slots_;
  std::vector<char> arena_;
  std::size_t size_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace mrkit
