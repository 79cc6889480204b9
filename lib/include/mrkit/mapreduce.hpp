// mrkit/mapreduce: typed map-reduce over tasks: reduce_by_key, group_by_key, map_only, the
// distributed KeyValues result and the key hash that places keys on ranks.
// Every public header of the layer; see docs/architecture.md for what each layer may use.
#pragma once

#include "mrkit/mapreduce/count_by_key.hpp"
#include "mrkit/mapreduce/fields.hpp"
#include "mrkit/mapreduce/file_source.hpp"
#include "mrkit/mapreduce/integer_source.hpp"
#include "mrkit/mapreduce/key_hash.hpp"
#include "mrkit/mapreduce/key_values.hpp"
#include "mrkit/mapreduce/map_only.hpp"
#include "mrkit/mapreduce/map_phase.hpp"
#include "mrkit/mapreduce/memory_budget.hpp"
#include "mrkit/mapreduce/range_records.hpp"
#include "mrkit/mapreduce/reduce_by_key.hpp"
#include "mrkit/mapreduce/sorted_output.hpp"
#include "mrkit/mapreduce/spill_runs.hpp"
#include "mrkit/mapreduce/task_yield.hpp"
