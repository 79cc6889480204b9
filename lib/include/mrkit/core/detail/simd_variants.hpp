// Private to libmrkit: stamps out one copy of a hot loop per x86-64 level and a dispatcher.
#pragma once

#include "mrkit/core/simd_level.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MRKIT_X86_LEVELS 1
#else
#define MRKIT_X86_LEVELS 0
#endif

// MRKIT_SIMD_KERNEL(name, (params), (args)) expects `name##_body(params)`, a function marked
// [[gnu::always_inline]], and defines `void name(params)`: it calls a copy of the body compiled
// for simd_level() (GCC vectorises each copy for its level: SSE2, SSE4.2, AVX2, AVX-512).
#if MRKIT_X86_LEVELS
#define MRKIT_SIMD_KERNEL(name, params, args)               \
  void name##_baseline params {                             \
    name##_body args;                                       \
  }                                                         \
  [[gnu::target("arch=x86-64-v2")]] void name##_v2 params { \
    name##_body args;                                       \
  }                                                         \
  [[gnu::target("arch=x86-64-v3")]] void name##_v3 params { \
    name##_body args;                                       \
  }                                                         \
  [[gnu::target("arch=x86-64-v4")]] void name##_v4 params { \
    name##_body args;                                       \
  }                                                         \
  void name params {                                        \
    switch (::mrkit::simd_level()) {                        \
      case ::mrkit::SimdLevel::v4:                          \
        name##_v4 args;                                     \
        return;                                             \
      case ::mrkit::SimdLevel::v3:                          \
        name##_v3 args;                                     \
        return;                                             \
      case ::mrkit::SimdLevel::v2:                          \
        name##_v2 args;                                     \
        return;                                             \
      case ::mrkit::SimdLevel::baseline:                    \
        break;                                              \
    }                                                       \
    name##_baseline args;                                   \
  }
#else
#define MRKIT_SIMD_KERNEL(name, params, args) \
  void name params {                          \
    name##_body args;                         \
  }
#endif
