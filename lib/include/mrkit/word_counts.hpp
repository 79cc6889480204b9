// A word -> count table built for many short keys: open addressing, the hash kept beside each
// entry, the key bytes in one arena. Plus the order every output uses and top-K selection.
#pragma once

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
  [[nodiscard]] static std::uint64_t hash(std::string_view word) noexcept;

  void add(std::string_view word, std::uint64_t count = 1);
  void add_hashed(std::string_view word, std::uint64_t hash, std::uint64_t count);
  void merge(const WordCounts& other);
  // Makes room for `words` distinct words and `key_bytes` bytes of keys without rehashing.
  void reserve(std::size_t words, std::size_t key_bytes = 0);

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  [[nodiscard]] std::uint64_t count(std::string_view word) const noexcept;
  // Bytes held by the table (slots and key arena), to report memory use.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.count != 0) f(std::string_view(arena_.data() + s.offset, s.length), s.count, s.hash);
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
  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t count = 0;  // 0 marks an empty slot
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };
  void grow();
  void rehash(std::size_t slots);

  std::vector<Slot> slots_;
  std::vector<char> arena_;
  std::size_t size_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace mrkit
