// Splits a set of files, laid end to end, into byte-range tasks that may span many small files
// or cut one huge file into many pieces.
#pragma once

#include "mrkit/core/partition.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace mrkit {

// A contiguous part of one file: bytes [begin, end) of file number `file`.
struct FilePiece {
  std::size_t file = 0;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  friend bool operator==(const FilePiece&, const FilePiece&) = default;
};

// The files' bytes laid end to end in one global offset space [0, total()).
class ByteSpace {
 public:
  explicit ByteSpace(std::span<const std::uint64_t> file_sizes);

  [[nodiscard]] std::uint64_t total() const noexcept { return offsets_.back(); }
  [[nodiscard]] std::size_t file_count() const noexcept { return offsets_.size() - 1; }
  [[nodiscard]] std::uint64_t file_size(std::size_t file) const {
    return offsets_.at(file + 1) - offsets_.at(file);
  }

  // The non-empty file pieces that make up the global range [begin, end), in file order.
  [[nodiscard]] std::vector<FilePiece> pieces(IndexRange range) const;

 private:
  std::vector<std::uint64_t> offsets_;  // offsets_[f] = first global byte of file f
};

// Cuts [0, total) into consecutive ranges of `split_bytes` (the last one shorter).
// `split_bytes` must be positive; no range is returned when total is 0.
[[nodiscard]] std::vector<IndexRange> split_evenly(std::uint64_t total, std::uint64_t split_bytes);

// A split size giving about `tasks_per_rank` tasks per rank, kept within [min_bytes, max_bytes]
// so tasks are large enough to amortise their cost and small enough to balance.
[[nodiscard]] std::uint64_t balanced_split_bytes(std::uint64_t total, int ranks, int tasks_per_rank,
                                                 std::uint64_t min_bytes, std::uint64_t max_bytes);

}  // namespace mrkit
