#include "mrkit/mapreduce/task_yield.hpp"

namespace mrkit {

namespace {
thread_local const Yield* current_yield = nullptr;
}  // namespace

void yield_in_task() {
  if (current_yield != nullptr && *current_yield) (*current_yield)();
}

TaskYieldScope::TaskYieldScope(const Yield& yield) noexcept : previous_(current_yield) {
  current_yield = &yield;
}

TaskYieldScope::~TaskYieldScope() {
  current_yield = previous_;
}

}  // namespace mrkit
