// The word n-grams of a FileSource task: N consecutive words of one file, joined by one space.
// An n-gram belongs to the task where its FIRST word begins, so every n-gram is counted exactly
// once at every split: a task maps the words that begin in it (FileSource::for_each_word) and,
// for its last N-1 words of a file, reads the following words of that file past its end.
#pragma once

#include <mrkit/mapreduce/file_source.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit::apps {

// f(gram): the gram's bytes, valid only during the call.
using GramFunction = std::function<void(std::string_view gram)>;

// The last n words seen, and the n-grams they make.
class GramWindow {
 public:
  explicit GramWindow(std::size_t n) : n_(n) {}
  // Adds a word; when the window holds n words, calls f with them joined by ' ', drops the
  // first and returns true.
  bool push(std::string_view word, const GramFunction& f);
  // Words waiting for the words after them (at most n - 1).
  [[nodiscard]] std::size_t waiting() const noexcept { return count_; }
  void clear() noexcept { start_ = count_ = 0; }

 private:
  std::size_t n_;
  std::vector<std::string> ring_;  // grows to n slots as words arrive
  std::size_t start_ = 0;
  std::size_t count_ = 0;
  std::string gram_;
};

// Calls f for every n-gram that begins in task `task` of `source` (n >= 1), in file order,
// then offset order; with `ignore_case`, ASCII letters folded to lower case. Reads ahead
// through the same file past the task's end, in small blocks, only as far as its last n-grams
// need. `read_ahead_bytes`, if given, is increased by the bytes read ahead. Throws
// std::runtime_error naming the file when it cannot be read.
void for_each_ngram(const FileSource& source, std::uint64_t task, std::size_t n, bool ignore_case,
                    const GramFunction& f, std::uint64_t* read_ahead_bytes = nullptr);

}  // namespace mrkit::apps
