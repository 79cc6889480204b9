// Integers as records (Monte Carlo seeds, sample indices): the range [first, first + count) cut
// into tasks of `per_task` consecutive integers, the same tasks at every rank count.
//
//   mrkit::IntegerSource seeds(first_seed, n_seeds);
//   auto hits = mrkit::reduce_by_key<std::uint64_t, std::uint64_t>(
//       comm, seeds.tasks(),
//       [&](std::uint64_t task, auto& emit) {
//         seeds.for_each(task, [&](std::uint64_t seed) { emit(task, simulate(seed)); });
//       },
//       std::plus<>{});
#pragma once

#include "mrkit/core/partition.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace mrkit {

class IntegerSource {
 public:
  // per_task 0 picks ceil(count / default_tasks), at least 1: at most 1024 tasks, from the
  // range alone (never the rank count), so results kept per task do not depend on the ranks.
  static constexpr std::uint64_t default_tasks = 1024;

  // Throws std::invalid_argument if first + count is past the largest uint64 (a range's end
  // must be a uint64, so 2^64 - 1 itself is never a record).
  IntegerSource(std::uint64_t first, std::uint64_t count, std::uint64_t per_task = 0)
      : first_(first), count_(count), per_task_(per_task) {
    if (count > std::numeric_limits<std::uint64_t>::max() - first) {
      throw std::invalid_argument("the integer range [" + std::to_string(first) + ", " +
                                  std::to_string(first) + " + " + std::to_string(count) +
                                  ") ends past 2^64 - 1");
    }
    if (per_task_ == 0) {
      per_task_ =
          std::max<std::uint64_t>(1, count / default_tasks + (count % default_tasks != 0 ? 1 : 0));
    }
    tasks_ = count / per_task_ + (count % per_task_ != 0 ? 1 : 0);
  }

  [[nodiscard]] std::uint64_t first() const noexcept { return first_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t per_task() const noexcept { return per_task_; }
  [[nodiscard]] std::uint64_t tasks() const noexcept { return tasks_; }

  // The integers of task `task`: [first + task * per_task, ...), the last task clipped to the
  // range's end. Throws std::out_of_range for a task >= tasks().
  [[nodiscard]] IndexRange range(std::uint64_t task) const {
    if (task >= tasks_) throw std::out_of_range("no such task of an integer range");
    const std::uint64_t offset = task * per_task_;  // < count: no overflow
    const std::uint64_t begin = first_ + offset;
    return {begin, begin + std::min(per_task_, count_ - offset)};
  }

  // f(value) for each integer of task `task`, in increasing order.
  template <class F>
  void for_each(std::uint64_t task, F&& f) const {
    const IndexRange r = range(task);
    for (std::uint64_t v = r.begin; v != r.end; ++v) f(v);
  }

 private:
  std::uint64_t first_;
  std::uint64_t count_;
  std::uint64_t per_task_;
  std::uint64_t tasks_ = 0;
};

}  // namespace mrkit
