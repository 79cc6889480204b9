// The course's Pool inside one MPI job, modelled on mpi4py.futures' MPICommExecutor: no process
// is spawned; rank 0, the mother, hands tasks out and the other ranks are the workers (alone,
// the mother runs them on a thread of her own). map keeps input order, map_unordered delivers
// results as they come (the course's imap_unordered), submit returns a Future whose get(timeout)
// throws TimeoutError while the pool stays usable (apply_async(...).get(timeout=1)). Tasks are
// functions registered by name on every rank; arguments and results travel as bytes
// (message_codec.hpp: numbers, strings, vectors, or Boost.Serialization).
#pragma once

#include "mrkit/comm/message_codec.hpp"

#include <boost/mpi/communicator.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace mrkit {

// A task failed on a worker: the message names the task, the item and the rank.
class TaskError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Future::get(timeout) ran out of patience; the task goes on and the pool stays usable.
class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A registered function, by name: its arguments and result as bytes.
using TaskBody = std::function<std::string(std::string_view arguments)>;

// Registers `body` under `name` (every rank must register the same names, before the pool
// starts; static registration at start-up does it). Throws if the name is taken.
void register_task_body(const std::string& name, TaskBody body);
[[nodiscard]] bool task_registered(const std::string& name);

template <class Signature>
class Task;

// A handle on a registered function R(Args...), used by the mother to name it.
template <class R, class... Args>
class Task<R(Args...)> {
 public:
  explicit Task(std::string name) : name_(std::move(name)) {}
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
};

namespace detail {

template <class... Args>
std::string encode_arguments(const Args&... args) {
  std::string out;
  (append_piece(out, encode(args)), ...);
  return out;
}

}  // namespace detail

// Registers fn (callable as R(Args...)) under `name` and returns its handle:
//   const auto square = mrkit::register_task<long(long)>("square", [](long n) { return n * n; });
template <class Signature, class F>
Task<Signature> register_task(const std::string& name, F fn);

template <class R, class... Args, class F>
Task<R(Args...)> register_task_impl(const std::string& name, F fn, R (*)(Args...)) {
  register_task_body(name, [fn](std::string_view bytes) -> std::string {
    PieceReader reader(bytes);
    std::tuple<std::decay_t<Args>...> args{reader.next_value<std::decay_t<Args>>()...};
    if constexpr (std::is_void_v<R>) {
      std::apply(fn, std::move(args));
      return {};
    } else {
      return encode(std::apply(fn, std::move(args)));
    }
  });
  return Task<R(Args...)>(name);
}

template <class Signature, class F>
Task<Signature> register_task(const std::string& name, F fn) {
  return register_task_impl(name, std::move(fn), static_cast<Signature*>(nullptr));
}

namespace detail {

// What one call (a map or a submit) is waiting for; filled in by the pool as results arrive.
struct Batch {
  std::string task;
  std::vector<std::optional<std::string>> results;  // by item
  std::size_t done = 0;
  std::optional<std::string> error;  // the first failure, as the worker described it
  std::function<void(std::size_t item, std::string&& result)> on_result;  // as they come
  [[nodiscard]] bool complete() const noexcept { return done == results.size(); }
};

class PoolEngine;

}  // namespace detail

// The answer of one submitted task, to come.
template <class R>
class Future {
 public:
  Future(std::shared_ptr<detail::Batch> batch, std::weak_ptr<detail::PoolEngine> engine)
      : batch_(std::move(batch)), engine_(std::move(engine)) {}

  [[nodiscard]] bool ready() const;
  // Waits for the result; throws TaskError if the task failed.
  R get() const { return take(std::nullopt); }
  // Waits at most `timeout`; throws TimeoutError if the result has not come by then.
  template <class Rep, class Period>
  R get(std::chrono::duration<Rep, Period> timeout) const {
    return take(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
  }

 private:
  R take(std::optional<std::chrono::nanoseconds> timeout) const;

  std::shared_ptr<detail::Batch> batch_;
  std::weak_ptr<detail::PoolEngine> engine_;
};

struct PoolOptions {
  // Runs once on each worker before its first task (the course's initializer and initargs).
  std::function<void()> initializer;
};

// The mother's side of the pool; only the mother holds one (see with_pool).
class Pool {
 public:
  explicit Pool(std::shared_ptr<detail::PoolEngine> engine) : engine_(std::move(engine)) {}

  // Workers running tasks (the ranks other than the mother; 1 when the mother is alone).
  [[nodiscard]] int workers() const;

  // f(x) for every item, results in input order. Items travel `chunksize` at a time.
  template <class R, class A>
  std::vector<R> map(const Task<R(A)>& task, const std::vector<A>& items,
                     std::size_t chunksize = 1) {
    auto batch = start(task.name(), encode_items(items), chunksize, {});
    wait(*batch);
    std::vector<R> out;
    out.reserve(items.size());
    for (auto& r : batch->results) out.push_back(decode<R>(*r));
    return out;
  }

  // f(x) for every item; on_result(index, result) is called on the mother as results arrive.
  template <class R, class A>
  void map_unordered(const Task<R(A)>& task, const std::vector<A>& items,
                     const std::function<void(std::size_t, R)>& on_result,
                     std::size_t chunksize = 1) {
    auto batch =
        start(task.name(), encode_items(items), chunksize,
              [&on_result](std::size_t i, std::string&& bytes) { on_result(i, decode<R>(bytes)); });
    wait(*batch);
  }

  // The results in the order they finished.
  template <class R, class A>
  std::vector<R> map_unordered(const Task<R(A)>& task, const std::vector<A>& items,
                               std::size_t chunksize = 1) {
    std::vector<R> out;
    map_unordered<R, A>(
        task, items, [&out](std::size_t, R r) { out.push_back(std::move(r)); }, chunksize);
    return out;
  }

  // One task, now; its result later (the course's apply_async).
  template <class R, class... Args, class... Given>
  Future<R> submit(const Task<R(Args...)>& task, Given&&... args) {
    std::vector<std::string> one{
        detail::encode_arguments(static_cast<std::decay_t<Args>>(std::forward<Given>(args))...)};
    return Future<R>(start(task.name(), std::move(one), 1, {}), engine_);
  }

 private:
  template <class A>
  static std::vector<std::string> encode_items(const std::vector<A>& items) {
    std::vector<std::string> out;
    out.reserve(items.size());
    for (const A& a : items) out.push_back(detail::encode_arguments(a));
    return out;
  }

  std::shared_ptr<detail::Batch> start(const std::string& task, std::vector<std::string> arguments,
                                       std::size_t chunksize,
                                       std::function<void(std::size_t, std::string&&)> on_result);
  void wait(detail::Batch& batch);

  std::shared_ptr<detail::PoolEngine> engine_;
};

// Collective over `comm`: runs body(pool) on the mother while the other ranks serve as workers,
// and returns on every rank once body has returned and every task submitted has finished (the
// end of the course's `with Pool() as pool:` block; mpi4py's shutdown(wait=True)). Tasks must
// not use MPI themselves.
void with_pool(const boost::mpi::communicator& comm, const PoolOptions& options,
               const std::function<void(Pool&)>& body);

namespace detail {

// Waits until `batch` is complete or `timeout` has passed; false on timeout. Throws if the pool
// is closed.
bool wait_for(const std::weak_ptr<PoolEngine>& engine, Batch& batch,
              std::optional<std::chrono::nanoseconds> timeout);
[[noreturn]] void throw_timeout(const Batch& batch, std::chrono::nanoseconds timeout);

}  // namespace detail

template <class R>
bool Future<R>::ready() const {
  return batch_->complete();
}

template <class R>
R Future<R>::take(std::optional<std::chrono::nanoseconds> timeout) const {
  if (!detail::wait_for(engine_, *batch_, timeout)) detail::throw_timeout(*batch_, *timeout);
  if (batch_->error) throw TaskError(*batch_->error);
  if constexpr (!std::is_void_v<R>) return decode<R>(*batch_->results.front());
}

}  // namespace mrkit
