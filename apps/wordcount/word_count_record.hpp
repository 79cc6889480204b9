// wordcount's checkpoint record for a run of tasks (mrkit::ByteWriter's little-endian layout):
// u64 n, then n (file index, words) u64 pairs, then, when tabulating words, the word table as
// WordCounts::encode writes it (to the end of the record).
#pragma once

#include <mrkit/text/word_counts.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mrkit::wordcount {

// `table`: null when not tabulating words.
[[nodiscard]] std::string encode_task(
    const std::vector<std::pair<std::size_t, std::uint64_t>>& counts, const WordCounts* table);

// Adds a record's word counts into words_per_file and its table into `table` (null: none
// recorded). Throws std::runtime_error for a torn record or a file index out of range.
void merge_task(std::string_view bytes, std::vector<std::uint64_t>& words_per_file,
                WordCounts* table);

}  // namespace mrkit::wordcount
