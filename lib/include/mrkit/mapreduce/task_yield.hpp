// Lets long work inside a map call the scheduler's Yield (tasks/scheduler.hpp) without passing
// it down: the engine installs the running task's Yield around each call of a map, and record
// sources call yield_in_task() after each block they read. Under the dynamic schedule that is
// where the mother answers waiting workers, and where a re-issued copy that another rank beat
// is abandoned (the scheduler's internal exception passes through: let it).
#pragma once

#include "mrkit/tasks/scheduler.hpp"

namespace mrkit {

// Calls the Yield of the task running on this thread; does nothing outside a task.
void yield_in_task();

// Makes `yield` the running task's Yield until destroyed (scopes nest). Not copyable.
class TaskYieldScope {
 public:
  explicit TaskYieldScope(const Yield& yield) noexcept;
  ~TaskYieldScope();
  TaskYieldScope(const TaskYieldScope&) = delete;
  TaskYieldScope& operator=(const TaskYieldScope&) = delete;

 private:
  const Yield* previous_;
};

}  // namespace mrkit
