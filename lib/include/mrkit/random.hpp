// mrkit/random: counter-based random streams, numpy-compatible seeds, moments and Monte Carlo
// estimators. Every public header of the layer; see docs/architecture.md for what each layer may
// use.
#pragma once

#include "mrkit/random/estimator.hpp"
#include "mrkit/random/numpy_seeds.hpp"
#include "mrkit/random/random_streams.hpp"
