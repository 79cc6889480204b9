#include "mrkit/io/byte_ranges.hpp"

#include <algorithm>
#include <stdexcept>

namespace mrkit {

ByteSpace::ByteSpace(std::span<const std::uint64_t> file_sizes) {
  offsets_.reserve(file_sizes.size() + 1);
  offsets_.push_back(0);
  for (const std::uint64_t size : file_sizes) offsets_.push_back(offsets_.back() + size);
}

std::vector<FilePiece> ByteSpace::pieces(IndexRange range) const {
  std::vector<FilePiece> out;
  if (range.begin >= range.end) return out;
  if (range.end > total()) throw std::out_of_range("byte range past the end of the input");
  // First file whose end lies past range.begin.
  auto it = std::upper_bound(offsets_.begin(), offsets_.end(), range.begin);
  std::size_t file = static_cast<std::size_t>(it - offsets_.begin()) - 1;
  for (; file < file_count() && offsets_[file] < range.end; ++file) {
    const std::uint64_t lo = std::max(range.begin, offsets_[file]);
    const std::uint64_t hi = std::min(range.end, offsets_[file + 1]);
    if (lo < hi) out.push_back({file, lo - offsets_[file], hi - offsets_[file]});
  }
  return out;
}

std::vector<IndexRange> split_evenly(std::uint64_t total, std::uint64_t split_bytes) {
  if (split_bytes == 0) throw std::invalid_argument("split size must be positive");
  std::vector<IndexRange> out;
  out.reserve(static_cast<std::size_t>(total / split_bytes + 1));
  for (std::uint64_t begin = 0; begin < total; begin += std::min(split_bytes, total - begin)) {
    out.push_back({begin, begin + std::min(split_bytes, total - begin)});
  }
  return out;
}

std::uint64_t balanced_split_bytes(std::uint64_t total, int ranks, int tasks_per_rank,
                                   std::uint64_t min_bytes, std::uint64_t max_bytes) {
  const auto tasks = static_cast<std::uint64_t>(std::max(1, ranks)) *
                     static_cast<std::uint64_t>(std::max(1, tasks_per_rank));
  const std::uint64_t ideal = (total + tasks - 1) / tasks;
  return std::clamp(ideal, min_bytes, std::max(min_bytes, max_bytes));
}

}  // namespace mrkit
