// mrkit/core: the runtime (start-up, errors agreed across ranks, exit codes), partitions of [0, n),
// the SIMD level, the clock, the message tags. Every public header of the layer; see
// docs/architecture.md for what each layer may use.
#pragma once

#include "mrkit/core/clock.hpp"
#include "mrkit/core/partition.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/core/simd_level.hpp"
#include "mrkit/core/tags.hpp"
