// An estimator task's tally as its checkpoint records it (mrkit::ByteWriter's little-endian
// layout; a record holds its tasks' tallies in task order): counts are u64 samples, u64
// successes (16 bytes); moments are u64 count, f64 mean, f64 M2 (24 bytes), the doubles' own
// bits, so they come back bit for bit and merge in the same task order as ever.
#pragma once

#include "mrkit/random/estimator.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace mrkit::detail {

// n: the task's samples.
[[nodiscard]] std::string encode_outcome(Tally tally, std::uint64_t n, const TaskOutcome& outcome);

// Throws std::runtime_error ("corrupt checkpoint record for task T") for a record of the wrong
// size or one that does not fit the task's n samples.
[[nodiscard]] TaskOutcome decode_outcome(Tally tally, std::uint64_t n, std::uint64_t task,
                                         std::string_view in);

}  // namespace mrkit::detail
