// mrkit/tasks: the scheduler (static, dynamic, stragglers), checkpoints, the progress meter,
// per-rank statistics. Every public header of the layer; see docs/architecture.md for what each
// layer may use.
#pragma once

#include "mrkit/tasks/checkpoint.hpp"
#include "mrkit/tasks/checkpointed_tasks.hpp"
#include "mrkit/tasks/progress_meter.hpp"
#include "mrkit/tasks/rank_stats.hpp"
#include "mrkit/tasks/scheduler.hpp"
