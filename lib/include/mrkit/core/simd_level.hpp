// Which x86-64 instruction-set level the library's hot loops run at. Each such loop is compiled
// for every level and picked at run time, so the default build needs no -march flag: by default
// the best level the CPU has, or the one the environment variable MRKIT_SIMD names.
#pragma once

#include <optional>
#include <string_view>

namespace mrkit {

// x86-64 micro-architecture levels: baseline (SSE2), v2 (SSE4.2), v3 (AVX2), v4 (AVX-512).
// Other CPUs, and compilers other than GCC, only have `baseline` (plain C++).
enum class SimdLevel { baseline = 1, v2 = 2, v3 = 3, v4 = 4 };

// "x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4".
[[nodiscard]] std::string_view to_string(SimdLevel level) noexcept;

// Accepts the names above and "baseline", "v2", "v3", "v4".
[[nodiscard]] std::optional<SimdLevel> parse_simd_level(std::string_view name) noexcept;

// The best level both this build and this CPU support.
[[nodiscard]] SimdLevel best_simd_level() noexcept;

// The level in use: MRKIT_SIMD if set (lowered to best_simd_level() if the CPU lacks it),
// else best_simd_level().
[[nodiscard]] SimdLevel simd_level() noexcept;

// Uses `level` from now on (tests and benchmarks compare the levels). Returns false, and changes
// nothing, if the CPU lacks it. Results never depend on the level; only speed does.
bool set_simd_level(SimdLevel level) noexcept;

}  // namespace mrkit
