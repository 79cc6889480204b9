#include "mrkit/patterns/pool.hpp"

#include "mrkit/core/detail/mpi_check.hpp"

#include "mrkit/core/clock.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/core/tags.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace mrkit {
namespace {

constexpr int local_worker = 0;  // the mother's own thread, when she is alone

std::map<std::string, TaskBody>& registry() {
  static std::map<std::string, TaskBody> tasks;
  return tasks;
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

TaskBody find_task(const std::string& name) {
  const std::scoped_lock hold(registry_mutex());
  const auto it = registry().find(name);
  return it == registry().end() ? TaskBody{} : it->second;
}

// A worker's state: the initializer runs before its first task, once.
class Worker {
 public:
  Worker(const PoolOptions& options, int rank) : options_(options), rank_(rank) {}

  // Runs every item of a task message; the reply holds (index, "ok"|"error", bytes) per item.
  std::string run(std::string_view message) {
    if (!initialized_) initialize();
    PieceReader in(message);
    (void)in.next();  // "run"
    const std::string task(in.next());
    const TaskBody body = find_task(task);
    std::string reply;
    while (!in.done()) {
      const auto index = in.next_value<std::uint64_t>();
      const std::string_view arguments = in.next();
      append_piece(reply, encode(index));
      std::string error;
      std::string result;
      if (!init_error_.empty()) {
        error = init_error_;
      } else if (!body) {
        error = fmt::format("task '{}' is not registered on rank {} ({})", task, rank_,
                            Runtime::host());
      } else {
        try {
          result = body(arguments);
        } catch (const std::exception& e) {
          error = fmt::format("task '{}' (item {}) failed on rank {} ({}): {}", task, index, rank_,
                              Runtime::host(), e.what());
        } catch (...) {
          error = fmt::format("task '{}' (item {}) failed on rank {} ({}): unknown exception", task,
                              index, rank_, Runtime::host());
        }
      }
      append_piece(reply, error.empty() ? "ok" : "error");
      append_piece(reply, error.empty() ? result : error);
    }
    return reply;
  }

 private:
  void initialize() {
    initialized_ = true;
    if (!options_.initializer) return;
    try {
      options_.initializer();
    } catch (const std::exception& e) {
      init_error_ = fmt::format("the pool's initializer failed on rank {} ({}): {}", rank_,
                                Runtime::host(), e.what());
    }
  }

  const PoolOptions& options_;
  int rank_;
  bool initialized_ = false;
  std::string init_error_;
};

// The mother's worker thread when she is alone: no MPI in it.
class LocalWorker {
 public:
  explicit LocalWorker(const PoolOptions& options)
      : worker_(options, mother_rank), thread_([this] { loop(); }) {}
  ~LocalWorker() {
    {
      const std::scoped_lock hold(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();  // a long task is waited for, as mpi4py's shutdown(wait=True)
  }
  LocalWorker(const LocalWorker&) = delete;
  LocalWorker& operator=(const LocalWorker&) = delete;

  void send(std::string message) {
    {
      const std::scoped_lock hold(mutex_);
      inbox_.push_back(std::move(message));
    }
    wake_.notify_all();
  }
  std::optional<std::string> poll() {
    const std::scoped_lock hold(mutex_);
    if (outbox_.empty()) return std::nullopt;
    std::string reply = std::move(outbox_.front());
    outbox_.pop_front();
    return reply;
  }

 private:
  void loop() {
    for (;;) {
      std::string message;
      {
        std::unique_lock hold(mutex_);
        wake_.wait(hold, [this] { return stop_ || !inbox_.empty(); });
        if (inbox_.empty()) return;
        message = std::move(inbox_.front());
        inbox_.pop_front();
      }
      std::string reply = worker_.run(message);
      const std::scoped_lock hold(mutex_);
      outbox_.push_back(std::move(reply));
    }
  }

  Worker worker_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> inbox_;
  std::deque<std::string> outbox_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

void register_task_body(const std::string& name, TaskBody body) {
  const std::scoped_lock hold(registry_mutex());
  if (!registry().emplace(name, std::move(body)).second) {
    throw std::logic_error("a task named '" + name + "' is already registered");
  }
}

bool task_registered(const std::string& name) {
  return static_cast<bool>(find_task(name));
}

namespace detail {

class PoolEngine {
 public:
  PoolEngine(const boost::mpi::communicator& comm, const PoolOptions& options) : comm_(comm) {
    if (comm_.size() == 1) {
      local_ = std::make_unique<LocalWorker>(options);
      idle_.push_back(local_worker);
    } else {
      for (int r = comm_.size() - 1; r >= 1; --r) idle_.push_back(r);
    }
  }

  [[nodiscard]] int workers() const { return std::max(1, comm_.size() - 1); }
  [[nodiscard]] bool closed() const noexcept { return closed_; }

  std::shared_ptr<Batch> start(const std::string& task, std::vector<std::string> arguments,
                               std::size_t chunksize,
                               std::function<void(std::size_t, std::string&&)> on_result) {
    if (closed_) throw std::logic_error("the pool is closed");
    auto batch = std::make_shared<Batch>();
    batch->task = task;
    batch->results.resize(arguments.size());
    batch->on_result = std::move(on_result);
    chunksize = std::max<std::size_t>(1, chunksize);
    for (std::size_t first = 0; first < arguments.size(); first += chunksize) {
      std::string message;
      append_piece(message, "run");
      append_piece(message, task);
      const std::size_t end = std::min(arguments.size(), first + chunksize);
      for (std::size_t i = first; i < end; ++i) {
        append_piece(message, encode(static_cast<std::uint64_t>(i)));
        append_piece(message, arguments[i]);
        std::string().swap(arguments[i]);
      }
      pending_.push_back({batch, std::move(message)});
    }
    dispatch();
    return batch;
  }

  // Waits until `batch` is complete, or for at most `timeout`; false on timeout.
  bool wait(Batch& batch, std::optional<std::chrono::nanoseconds> timeout) {
    const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
    auto pause = std::chrono::microseconds(10);
    while (!batch.complete()) {
      dispatch();
      if (poll()) {
        pause = std::chrono::microseconds(10);
        continue;
      }
      const auto now = Clock::now();
      if (now >= deadline) return false;
      // Nothing yet: sleep a little (doubling up to 1 ms) so the workers keep the cores.
      std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
    return true;
  }

  // Waits for every task handed out; with `abandon`, tasks not yet handed out are dropped.
  // Then stops the workers.
  void close(bool abandon) {
    if (closed_) return;
    if (abandon) pending_.clear();
    while (!pending_.empty() || !running_.empty()) {
      dispatch();
      if (!poll()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    closed_ = true;
    if (local_) {
      local_.reset();
      return;
    }
    std::string stop;
    append_piece(stop, "stop");
    for (int r = 1; r < comm_.size(); ++r) send_bytes(comm_, r, tags::pool_task, stop);
  }

 private:
  struct Chunk {
    std::shared_ptr<Batch> batch;
    std::string message;
  };

  void dispatch() {
    while (!pending_.empty() && !idle_.empty()) {
      const int worker = idle_.back();
      idle_.pop_back();
      Chunk chunk = std::move(pending_.front());
      pending_.pop_front();
      if (local_) {
        local_->send(std::move(chunk.message));
      } else {
        send_bytes(comm_, worker, tags::pool_task, chunk.message);
      }
      std::string().swap(chunk.message);
      running_.emplace(worker, std::move(chunk));
    }
  }

  // Takes in every reply already there; true if there was one.
  bool poll() {
    bool any = false;
    if (local_) {
      while (auto reply = local_->poll()) {
        apply(local_worker, *reply);
        any = true;
      }
      return any;
    }
    for (;;) {
      int flag = 0;
      MPI_Status status;
      check(MPI_Iprobe(MPI_ANY_SOURCE, tags::pool_result, comm_, &flag, &status), "MPI_Iprobe");
      if (flag == 0) return any;
      apply(status.MPI_SOURCE, recv_bytes(comm_, status.MPI_SOURCE, tags::pool_result));
      any = true;
    }
  }

  void apply(int worker, const std::string& reply) {
    const auto it = running_.find(worker);
    if (it == running_.end()) throw std::logic_error("a reply from an idle worker");
    const std::shared_ptr<Batch> batch = std::move(it->second.batch);
    running_.erase(it);
    idle_.push_back(worker);
    PieceReader in(reply);
    while (!in.done()) {
      const auto index = static_cast<std::size_t>(in.next_value<std::uint64_t>());
      const std::string_view status = in.next();
      std::string payload(in.next());
      ++batch->done;
      if (status != "ok") {
        if (!batch->error) batch->error = std::move(payload);
        batch->results.at(index).emplace();
      } else if (batch->on_result) {
        batch->results.at(index).emplace();
        batch->on_result(index, std::move(payload));
      } else {
        batch->results.at(index) = std::move(payload);
      }
    }
  }

  boost::mpi::communicator comm_;
  std::unique_ptr<LocalWorker> local_;
  std::vector<int> idle_;
  std::deque<Chunk> pending_;
  std::map<int, Chunk> running_;
  bool closed_ = false;
};

bool wait_for(const std::weak_ptr<PoolEngine>& engine, Batch& batch,
              std::optional<std::chrono::nanoseconds> timeout) {
  if (batch.complete()) return true;
  const auto e = engine.lock();
  if (!e || e->closed()) throw std::logic_error("the pool is closed");
  return e->wait(batch, timeout);
}

void throw_timeout(const Batch& batch, std::chrono::nanoseconds timeout) {
  throw TimeoutError(fmt::format(
      "task '{}' gave no result within {:g} s (it goes on running; the pool stays usable)",
      batch.task, std::chrono::duration<double>(timeout).count()));
}

}  // namespace detail

int Pool::workers() const {
  return engine_->workers();
}

std::shared_ptr<detail::Batch> Pool::start(
    const std::string& task, std::vector<std::string> arguments, std::size_t chunksize,
    std::function<void(std::size_t, std::string&&)> on_result) {
  return engine_->start(task, std::move(arguments), chunksize, std::move(on_result));
}

void Pool::wait(detail::Batch& batch) {
  try {
    (void)engine_->wait(batch, std::nullopt);
  } catch (...) {
    batch.on_result = nullptr;  // the caller's callback is going away
    throw;
  }
  batch.on_result = nullptr;
  if (batch.error) throw TaskError(*batch.error);
}

void with_pool(const boost::mpi::communicator& world, const PoolOptions& options,
               const std::function<void(Pool&)>& body) {
  // A private communicator: the pool's messages never meet the caller's.
  const boost::mpi::communicator comm(world, boost::mpi::comm_duplicate);
  if (comm.rank() != mother_rank) {
    Worker worker(options, comm.rank());
    for (;;) {
      const std::string message = recv_bytes(comm, mother_rank, tags::pool_task);
      if (PieceReader(message).next() == "stop") return;
      send_bytes(comm, mother_rank, tags::pool_result, worker.run(message));
    }
  }
  auto engine = std::make_shared<detail::PoolEngine>(comm, options);
  Pool pool(engine);
  try {
    body(pool);
  } catch (...) {
    engine->close(true);  // the workers finish what they hold and stop: nobody hangs
    throw;
  }
  engine->close(false);
}

}  // namespace mrkit
