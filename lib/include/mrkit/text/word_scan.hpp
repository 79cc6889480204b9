// Counts the words of one byte range of one file so that a word cut by a range boundary is
// counted exactly once: a range owns the words that *begin* inside it. It looks one byte back
// to know whether its first byte continues a word, and reads past its end to finish the last
// word it owns (needed only when the words themselves are tabulated).
#pragma once

#include "mrkit/core/partition.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

class WordCounts;

// Reads up to into.size() bytes at `offset`; returns fewer only at the end of the file.
using ReadAt = std::function<std::size_t(std::uint64_t offset, std::span<char> into)>;

struct ScanOptions {
  std::size_t buffer_bytes = std::size_t{1} << 20;
  bool ignore_case = false;  // fold ASCII letters before tabulating
};

struct ScanResult {
  std::uint64_t words = 0;       // words that begin in the range
  std::uint64_t bytes_read = 0;  // including the look-back byte and read-ahead
  // The file's size was seen to differ from `file_size`: a read ended before it (shrank), or a
  // read reaching it found one byte more (grew; that byte is not counted). Free to detect: the
  // read that reaches the end asks for one extra byte.
  bool size_changed = false;
};

// Scans bytes `range` of a file of `file_size` bytes. If `table` is given, each owned word is
// added to it. `after_each_buffer` (optional) runs after each buffer, so a long scan can let
// the mother answer waiting workers. A file that turns out shorter than `file_size` is read to
// its actual end; one that grew is read to `file_size` only.
ScanResult scan_words(const ReadAt& read_at, std::uint64_t file_size, IndexRange range,
                      const ScanOptions& options, WordCounts* table, std::vector<char>& buffer,
                      const std::function<void()>& after_each_buffer = {});

// Counts the words of a whole file held in memory, as scan_words does for all its bytes.
// `bytes` must be followed by WordCounts::read_padding writable bytes; with
// options.ignore_case its letters are folded in place.
ScanResult scan_bytes(std::span<char> bytes, const ScanOptions& options, WordCounts* table);

// A ReadAt over a file descriptor with pread (retries on EINTR and short reads).
[[nodiscard]] ReadAt pread_reader(int fd, std::string path);

// A ReadAt over bytes held in memory (a file read when listed); they must outlive it.
[[nodiscard]] ReadAt memory_reader(std::string_view bytes);

}  // namespace mrkit
