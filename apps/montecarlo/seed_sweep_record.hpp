// A seed-sweep task's checkpoint record: for each value drawn, its offset from `low` and how
// many of the task's seeds drew it, as two 64-bit little-endian numbers (mrkit::ByteWriter).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mrkit {

void append_seed_count(std::string& record, std::uint64_t value, std::uint64_t count);

// The (value offset, count) pairs of a record, in order; throws std::runtime_error for a torn
// record (not a whole number of pairs). Checking them against the sweep is the caller's part.
[[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint64_t>> decode_seed_record(
    std::string_view record);

}  // namespace mrkit
