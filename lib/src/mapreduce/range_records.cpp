#include "mrkit/mapreduce/range_records.hpp"

#include "mrkit/text/tokenizer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace mrkit {

namespace {

// Reads a range's blocks: whole blocks up to `end`, then steps of 512 bytes, doubling up to a
// block, to finish the last record (records are short: finishing one costs little).
class BlockReader {
 public:
  BlockReader(const ReadAt& read, std::string_view name, std::uint64_t file_size, std::uint64_t end,
              const RangeReadOptions& options)
      : read_(read),
        name_(name),
        size_(file_size),
        end_(end),
        block_(std::max<std::size_t>(options.block_bytes, 1)),
        after_block_(options.after_block) {}

  // The block that begins at `at`; empty at the end of the file.
  std::span<char> next(std::uint64_t at) {
    if (at >= size_) return {};
    std::uint64_t want = 0;
    if (at < end_) {
      want = std::min<std::uint64_t>(block_, end_ - at);
    } else {
      step_ = std::min(step_ * 2, block_);
      want = step_;
    }
    want = std::min(want, size_ - at);
    buf_.resize(static_cast<std::size_t>(want));
    read_exactly(at, buf_);
    if (after_block_) after_block_();
    return buf_;
  }

  char byte_at(std::uint64_t at) {
    char c = 0;
    read_exactly(at, {&c, 1});
    return c;
  }

 private:
  void read_exactly(std::uint64_t at, std::span<char> into) {
    if (read_(at, into) < into.size()) {
      throw std::runtime_error("'" + std::string(name_) +
                               "' is shorter than when it was listed (it changed while read)");
    }
  }

  const ReadAt& read_;
  std::string_view name_;
  std::uint64_t size_;
  std::uint64_t end_;
  std::size_t block_;
  std::size_t step_ = 256;
  const std::function<void()>& after_block_;
  std::vector<char> buf_;
};

std::string_view without_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::size_t find_space(std::span<const char> data, std::size_t from) {
  for (std::size_t i = from; i < data.size(); ++i) {
    if (is_space(data[i])) return i;
  }
  return data.size();
}

}  // namespace

void for_each_line(const ReadAt& read, std::string_view name, std::uint64_t file_size,
                   std::uint64_t begin, std::uint64_t end, const RangeRecordFunction& f,
                   const RangeReadOptions& options) {
  end = std::min(end, file_size);
  if (begin >= end) return;
  BlockReader blocks(read, name, file_size, end, options);
  // A range that starts inside a line skips it: its owner is the range where it begins.
  bool skipping = begin > 0 && blocks.byte_at(begin - 1) != '\n';
  std::string line;  // the part read so far of a line that crosses blocks
  std::uint64_t line_start = begin;
  std::uint64_t at = begin;
  for (;;) {
    if (skipping && at >= end) return;  // no line begins in [begin, end)
    const std::span<char> block = blocks.next(at);
    if (block.empty()) break;
    const std::string_view data(block.data(), block.size());
    std::size_t i = 0;
    if (skipping) {
      const void* nl = std::memchr(data.data(), '\n', data.size());
      if (nl == nullptr) {
        at += data.size();
        continue;
      }
      i = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data()) + 1;
      skipping = false;
      line_start = at + i;
    }
    while (i < data.size()) {
      if (line.empty() && at + i >= end) return;  // the next line begins past the range
      const void* found = std::memchr(data.data() + i, '\n', data.size() - i);
      if (found == nullptr) {
        line.append(data.substr(i));
        break;
      }
      const auto nl = static_cast<std::size_t>(static_cast<const char*>(found) - data.data());
      if (line.empty()) {
        f(without_cr(data.substr(i, nl - i)), line_start);
      } else {
        line.append(data.substr(i, nl - i));
        f(without_cr(line), line_start);
        line.clear();
      }
      i = nl + 1;
      line_start = at + i;
    }
    at += data.size();
    if (line.empty() && at >= end) return;
  }
  if (!line.empty()) f(without_cr(line), line_start);  // the last line, without '\n'
}

void for_each_line(int fd, std::string_view name, std::uint64_t file_size, std::uint64_t begin,
                   std::uint64_t end, const RangeRecordFunction& f, std::size_t block_bytes) {
  RangeReadOptions options;
  options.block_bytes = block_bytes;
  for_each_line(pread_reader(fd, std::string(name)), name, file_size, begin, end, f, options);
}

void for_each_word(const ReadAt& read, std::string_view name, std::uint64_t file_size,
                   std::uint64_t begin, std::uint64_t end, const RangeRecordFunction& f,
                   bool ignore_case, const RangeReadOptions& options) {
  end = std::min(end, file_size);
  if (begin >= end) return;
  BlockReader blocks(read, name, file_size, end, options);
  // A range that starts inside a word skips it: its owner is the range where it begins.
  bool skipping = begin > 0 && !is_space(blocks.byte_at(begin - 1));
  std::string word;  // a word that crosses blocks, read so far
  bool open = false;
  std::uint64_t word_start = 0;
  std::uint64_t at = begin;
  for (;;) {
    if (!open && at >= end) return;  // the next word begins past the range
    const std::span<char> block = blocks.next(at);
    if (block.empty()) break;
    if (ignore_case) to_lower_ascii(block);
    std::size_t i = 0;
    if (skipping) {
      i = find_space(block, 0);
      if (i == block.size()) {
        at += block.size();
        continue;
      }
      skipping = false;
    }
    if (open) {
      const std::size_t j = find_space(block, i);
      word.append(block.data() + i, j - i);
      if (j == block.size()) {
        at += block.size();
        continue;
      }
      f(word, word_start);
      open = false;
      i = j;
    }
    // From here the byte before block[i] is white space (or the range's start after a space).
    const std::string_view text(block.data() + i, block.size() - i);
    const std::uint64_t base = at + i;
    const std::size_t rest = for_each_complete_word(text, [&](std::size_t off, std::size_t len) {
      if (base + off < end) f(text.substr(off, len), base + off);
    });
    if (rest < text.size() && base + rest < end) {
      open = true;
      word.assign(text.substr(rest));
      word_start = base + rest;
    }
    at += block.size();
  }
  if (open) f(word, word_start);  // the file's last word
}

void for_each_fixed_record(const ReadAt& read, std::string_view name, std::uint64_t file_size,
                           std::uint64_t begin, std::uint64_t end, std::size_t record_bytes,
                           const RangeRecordFunction& f, const RangeReadOptions& options) {
  if (record_bytes == 0) throw std::invalid_argument("the record size must be positive");
  const std::uint64_t n = record_bytes;
  if (file_size % n != 0) {
    throw std::runtime_error("'" + std::string(name) + "' holds " + std::to_string(file_size) +
                             " bytes, not a whole number of " + std::to_string(n) +
                             "-byte records");
  }
  end = std::min(end, file_size);
  const std::uint64_t first = (begin + n - 1) / n * n;
  if (first >= end) return;
  const std::uint64_t stop = std::min(file_size, (end + n - 1) / n * n);  // the last one's end
  const std::uint64_t block = std::max<std::uint64_t>(n, options.block_bytes / n * n);
  std::vector<char> buf;
  for (std::uint64_t at = first; at < stop;) {
    const std::uint64_t want = std::min(block, stop - at);
    buf.resize(static_cast<std::size_t>(want));
    if (read(at, buf) < buf.size()) {
      throw std::runtime_error("'" + std::string(name) +
                               "' is shorter than when it was listed (it changed while read)");
    }
    for (std::uint64_t k = 0; k < want; k += n) {
      f(std::string_view(buf.data() + k, record_bytes), at + k);
    }
    at += want;
    if (options.after_block) options.after_block();
  }
}

}  // namespace mrkit
