// mrkit/patterns: the course's parallel patterns as primitives: pool, channel, queue, key-value
// table, shared memory, divide and conquer, merge sort, sample sort. Every public header of the
// layer; see docs/architecture.md for what each layer may use.
#pragma once

#include "mrkit/patterns/channel.hpp"
#include "mrkit/patterns/divide_and_conquer.hpp"
#include "mrkit/patterns/key_value_table.hpp"
#include "mrkit/patterns/merge_sort.hpp"
#include "mrkit/patterns/pool.hpp"
#include "mrkit/patterns/sample_sort.hpp"
#include "mrkit/patterns/shared_memory.hpp"
#include "mrkit/patterns/shared_queue.hpp"
