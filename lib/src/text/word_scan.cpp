#include "mrkit/text/word_scan.hpp"

#include "mrkit/text/tokenizer.hpp"
#include "mrkit/text/word_counts.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

namespace mrkit {
namespace {

// Tabulates the words of consecutive buffers, carrying a word cut by a buffer boundary.
class Tabulator {
 public:
  Tabulator(WordCounts& table, bool skip_first) : table_(table), skipping_(skip_first) {}

  // Feeds one buffer; returns the number of words completed and added.
  std::uint64_t feed(std::string_view c) {
    std::uint64_t added = 0;
    std::size_t i = 0;
    const std::size_t n = c.size();
    if (skipping_) {  // the tail of a word owned by the range before ours
      while (i < n && !is_space(c[i])) ++i;
      if (i == n) return 0;
      skipping_ = false;
    }
    if (!carry_.empty()) {
      std::size_t j = i;
      while (j < n && !is_space(c[j])) ++j;
      carry_.append(c.data() + i, j - i);
      if (j == n) return 0;
      table_.add(carry_);
      carry_.clear();
      ++added;
      i = j;
    }
    // Here c[i] is white space (or i == n): the rest starts after a space.
    const std::string_view rest = c.substr(i);
    // The scan buffer has WordCounts::read_padding bytes beyond every chunk: see scan_words.
    const std::size_t open = for_each_complete_word(rest, [&](std::size_t at, std::size_t len) {
      table_.add_padded(rest.substr(at, len));
      ++added;
    });
    if (open < rest.size()) carry_.assign(rest.substr(open));
    return added;
  }

  [[nodiscard]] bool in_owned_word() const noexcept { return !carry_.empty(); }

  // Appends the read-ahead of the last owned word; returns true once the word has ended.
  bool extend(std::string_view c) {
    std::size_t j = 0;
    while (j < c.size() && !is_space(c[j])) ++j;
    carry_.append(c.data(), j);
    return j < c.size();
  }

  std::uint64_t finish() {
    if (carry_.empty()) return 0;
    table_.add(carry_);
    carry_.clear();
    return 1;
  }

 private:
  WordCounts& table_;
  bool skipping_;
  std::string carry_;
};

}  // namespace

ScanResult scan_words(const ReadAt& read_at, std::uint64_t file_size, IndexRange range,
                      const ScanOptions& options, WordCounts* table, std::vector<char>& buffer,
                      const std::function<void()>& after_each_buffer) {
  ScanResult result;
  range.end = std::min(range.end, file_size);
  if (range.begin >= range.end) return result;
  if (options.buffer_bytes == 0) throw std::invalid_argument("scan buffer size must be positive");
  // Padding past the last byte a read may fill, for WordCounts::add_padded.
  buffer.resize(options.buffer_bytes + WordCounts::read_padding);
  const std::size_t capacity = options.buffer_bytes;

  bool space_before = true;
  if (range.begin > 0) {
    char before = ' ';
    if (read_at(range.begin - 1, {&before, 1}) == 0) {  // the file shrank
      result.size_changed = true;
      return result;
    }
    space_before = is_space(before);
    ++result.bytes_read;
  }

  std::optional<Tabulator> tab;
  if (table != nullptr) tab.emplace(*table, !space_before);

  // Reads `want` bytes at `at`; the read that reaches the end of the file asks for one more
  // byte (into the padding) to see whether the file grew.
  const auto read_chunk = [&](std::uint64_t at, std::size_t want) {
    const bool to_end = at + want == file_size;
    std::size_t got = read_at(at, {buffer.data(), want + (to_end ? 1 : 0)});
    if (got > want) {
      result.size_changed = true;  // grew: count the listed bytes only
      got = want;
    } else if (got < want) {
      result.size_changed = true;  // shrank: count what is there
    }
    return got;
  };

  std::uint64_t pos = range.begin;
  while (pos < range.end) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, range.end - pos));
    const std::size_t got = read_chunk(pos, want);
    if (got == 0) break;  // the file shrank while we read it
    std::span<char> chunk(buffer.data(), got);
    result.bytes_read += got;
    if (tab) {
      if (options.ignore_case) to_lower_ascii(chunk);
      result.words += tab->feed({chunk.data(), chunk.size()});
    } else {
      result.words += count_word_starts({chunk.data(), chunk.size()}, space_before);
      space_before = is_space(chunk.back());
    }
    pos += got;
    if (after_each_buffer) after_each_buffer();
    if (got < want) break;
  }

  if (tab && tab->in_owned_word()) {
    // Read ahead to the end of the last word we own, up to the end of the file.
    // Words are short: start small and double, so finishing one word costs little I/O.
    bool ended = false;
    std::size_t step = 256;
    while (!ended && pos < file_size) {
      step = std::min(step * 2, capacity);
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(step, file_size - pos));
      const std::size_t got = read_chunk(pos, want);
      if (got == 0) break;
      std::span<char> chunk(buffer.data(), got);
      result.bytes_read += got;
      if (options.ignore_case) to_lower_ascii(chunk);
      ended = tab->extend({chunk.data(), chunk.size()});
      pos += got;
      if (after_each_buffer) after_each_buffer();
      if (got < want) break;
    }
    result.words += tab->finish();
  }
  return result;
}

ScanResult scan_bytes(std::span<char> bytes, const ScanOptions& options, WordCounts* table) {
  ScanResult result;
  result.bytes_read = bytes.size();
  if (bytes.empty()) return result;
  if (table == nullptr) {
    result.words = count_word_starts({bytes.data(), bytes.size()}, true);
    return result;
  }
  if (options.ignore_case) to_lower_ascii(bytes);
  Tabulator tab(*table, false);
  result.words = tab.feed({bytes.data(), bytes.size()});
  result.words += tab.finish();
  return result;
}

ReadAt pread_reader(int fd, std::string path) {
  return [fd, path = std::move(path)](std::uint64_t offset, std::span<char> into) -> std::size_t {
    std::size_t done = 0;
    while (done < into.size()) {
      const ssize_t n =
          ::pread(fd, into.data() + done, into.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
      }
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    return done;
  };
}

ReadAt memory_reader(std::string_view bytes) {
  return [bytes](std::uint64_t offset, std::span<char> into) -> std::size_t {
    if (offset >= bytes.size()) return 0;
    const std::size_t n = std::min(into.size(), bytes.size() - static_cast<std::size_t>(offset));
    std::memcpy(into.data(), bytes.data() + offset, n);
    return n;
  };
}

}  // namespace mrkit
