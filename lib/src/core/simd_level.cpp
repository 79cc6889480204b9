#include "mrkit/core/simd_level.hpp"

#include "mrkit/core/detail/simd_variants.hpp"

#include <atomic>
#include <cstdlib>

namespace mrkit {
namespace {

bool cpu_has(SimdLevel level) noexcept {
#if MRKIT_X86_LEVELS
  switch (level) {
    case SimdLevel::baseline:
      return true;
    case SimdLevel::v2:
      return __builtin_cpu_supports("x86-64-v2") != 0;
    case SimdLevel::v3:
      return __builtin_cpu_supports("x86-64-v3") != 0;
    case SimdLevel::v4:
      return __builtin_cpu_supports("x86-64-v4") != 0;
  }
  return false;
#else
  return level == SimdLevel::baseline;
#endif
}

SimdLevel initial_level() noexcept {
  SimdLevel level = best_simd_level();
  if (const char* name = std::getenv("MRKIT_SIMD"); name != nullptr) {
    if (const auto wanted = parse_simd_level(name); wanted && *wanted < level) level = *wanted;
  }
  return level;
}

std::atomic<SimdLevel>& current() noexcept {
  static std::atomic<SimdLevel> level{initial_level()};
  return level;
}

}  // namespace

std::string_view to_string(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::baseline:
      return "x86-64";
    case SimdLevel::v2:
      return "x86-64-v2";
    case SimdLevel::v3:
      return "x86-64-v3";
    case SimdLevel::v4:
      return "x86-64-v4";
  }
  return "unknown";
}

std::optional<SimdLevel> parse_simd_level(std::string_view name) noexcept {
  for (const SimdLevel level : {SimdLevel::baseline, SimdLevel::v2, SimdLevel::v3, SimdLevel::v4}) {
    if (name == to_string(level)) return level;
  }
  if (name == "baseline") return SimdLevel::baseline;
  if (name == "v2") return SimdLevel::v2;
  if (name == "v3") return SimdLevel::v3;
  if (name == "v4") return SimdLevel::v4;
  return std::nullopt;
}

SimdLevel best_simd_level() noexcept {
  static const SimdLevel best = [] {
    for (const SimdLevel level : {SimdLevel::v4, SimdLevel::v3, SimdLevel::v2}) {
      if (cpu_has(level)) return level;
    }
    return SimdLevel::baseline;
  }();
  return best;
}

SimdLevel simd_level() noexcept {
  return current().load(std::memory_order_relaxed);
}

bool set_simd_level(SimdLevel level) noexcept {
  if (!cpu_has(level)) return false;
  current().store(level, std::memory_order_relaxed);
  return true;
}

}  // namespace mrkit
