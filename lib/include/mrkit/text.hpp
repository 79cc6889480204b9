// mrkit/text: the tokenizer, the word scanner over byte ranges, the word table and its reductions
// across ranks. Every public header of the layer; see docs/architecture.md for what each layer may
// use.
#pragma once

#include "mrkit/text/tokenizer.hpp"
#include "mrkit/text/word_counts.hpp"
#include "mrkit/text/word_reduce.hpp"
#include "mrkit/text/word_scan.hpp"
