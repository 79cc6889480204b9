// A map-only job: map(task, emit) emits records (no keys, no combine), and the records come
// back in task order, then in the order each task emitted them, whatever rank ran which task.
//
//   auto lines = mrkit::map_only<std::string>(comm, tasks, [&](std::uint64_t t, auto& emit) {
//     if (matches(t)) emit(describe(t));
//   });
//   auto all = lines.gather();   // on the root, in task order
#pragma once

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/mapreduce/detail/item_codec.hpp"
#include "mrkit/mapreduce/reduce_by_key.hpp"
#include "mrkit/tasks/scheduler.hpp"

#include <boost/mpi/communicator.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mrkit {

template <class T>
class TaskRecords {
 public:
  // The records of one task, in the order it emitted them.
  struct Task {
    std::uint64_t task = 0;
    std::vector<T> records;
  };

  TaskRecords(const boost::mpi::communicator& comm, std::vector<Task> local)
      : comm_(comm), local_(std::move(local)) {}

  // The tasks this rank ran, in the order it ran them. Not collective.
  [[nodiscard]] const std::vector<Task>& local() const noexcept { return local_; }

  // Every record on `root`, in task order; other ranks get an empty vector. Collective.
  [[nodiscard]] std::vector<T> gather(int root = mother_rank) const {
    std::string bytes;
    ByteWriter out(bytes);
    for (const Task& t : local_) {
      out.put(t.task, static_cast<std::uint64_t>(t.records.size()));
      for (const T& r : t.records) detail::put_item(out, r);
    }
    const std::vector<std::string> parts = gather_bytes(comm_, bytes, root);
    std::vector<Task> all;
    for (const std::string& part : parts) {
      ByteReader in(part, "torn record message");
      while (!in.done()) {
        const auto [task, count] = in.get<std::uint64_t, std::uint64_t>();
        Task t{task, {}};
        t.records.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, 1 << 20)));
        for (std::uint64_t i = 0; i < count; ++i) t.records.push_back(detail::get_item<T>(in));
        all.push_back(std::move(t));
      }
    }
    std::sort(all.begin(), all.end(), [](const Task& a, const Task& b) { return a.task < b.task; });
    std::vector<T> records;
    for (Task& t : all) {
      records.insert(records.end(), std::make_move_iterator(t.records.begin()),
                     std::make_move_iterator(t.records.end()));
    }
    return records;
  }

 private:
  boost::mpi::communicator comm_;
  std::vector<Task> local_;
};

// map(task, emit) for every task, each exactly once, on all ranks; emit(record) keeps a record.
template <class T, class Map>
[[nodiscard]] TaskRecords<T> map_only(const boost::mpi::communicator& comm, std::uint64_t tasks,
                                      Map&& map, const JobOptions& options = {}) {
  std::vector<typename TaskRecords<T>::Task> local;
  (void)run_tasks(
      comm, options.schedule, tasks,
      [&](std::uint64_t task, const Yield& yield) {
        const TaskYieldScope scope(yield);
        typename TaskRecords<T>::Task mine{task, {}};
        auto emit = [&mine](auto&& record) {
          mine.records.emplace_back(std::forward<decltype(record)>(record));
        };
        map(task, emit);
        local.push_back(std::move(mine));
      },
      options.progress, options.dynamic, options.stop);
  return TaskRecords<T>(comm, std::move(local));
}

}  // namespace mrkit
