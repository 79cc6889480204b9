// Private to the library: the untyped queue behind mrkit::Queue<T> (patterns/shared_queue.hpp).
#pragma once

#include <boost/mpi/communicator.hpp>

#include <deque>
#include <optional>
#include <string>

namespace mrkit::detail {

class QueueBytes {
 public:
  QueueBytes(const boost::mpi::communicator& comm, int host);
  void put(std::string bytes);
  [[nodiscard]] std::optional<std::string> get();
  void close();
  void join();
  [[nodiscard]] bool is_host() const noexcept { return comm_.rank() == host_; }

 private:
  void serve_one(bool block);  // the host: take one message, or none if none waits
  void answer_waiting();
  [[nodiscard]] bool over() const noexcept { return open_ == 0 && items_.empty(); }

  boost::mpi::communicator comm_;
  int host_;
  bool closed_ = false;
  bool joined_ = false;
  // The host's state.
  std::deque<std::string> items_;
  std::deque<int> waiting_;  // ranks blocked in get(), in arrival order
  int open_ = 0;             // ranks that may still put
  int joined_ranks_ = 0;     // other ranks that have left the queue
};

}  // namespace mrkit::detail
