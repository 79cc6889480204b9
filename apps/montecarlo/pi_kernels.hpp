// Two Monte Carlo kernels whose answer is known, pi, for the estimator API (and its tests):
//  - hit or miss: the fraction of uniform points of the unit square inside the quarter disc
//    x^2 + y^2 < 1 is pi / 4;
//  - mean value: the mean of 4 / (1 + x^2) for x uniform on [0, 1) is its integral, pi.
#pragma once

#include <mrkit/random/estimator.hpp>
#include <mrkit/random/random_streams.hpp>

#include <cstdint>
#include <numbers>

namespace mrkit {

// How many of the next `points` points of the stream fall in the quarter disc. A point takes two
// words (x first); a word w gives the coordinate (floor(w / 2) + 1/2) / 2^31, the centre of one of
// 2^31 cells. Runs many Philox blocks at once when the stream is at a block boundary.
[[nodiscard]] std::uint64_t quarter_disc_hits(RandomStream& stream, std::uint64_t points);

// The moments of 4 / (1 + x * x) over the next `samples` uniforms x = stream.next_double().
[[nodiscard]] Moments arctan_integrand(RandomStream& stream, std::uint64_t samples);

inline constexpr double pi = std::numbers::pi;

}  // namespace mrkit
