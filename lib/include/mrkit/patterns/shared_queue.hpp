// The course's Queue: a first-in first-out queue that every rank of a communicator may put into
// and get from (producers and consumers). Like multiprocessing's queue behind a Manager, one rank
// (the mother by default) keeps the items and answers the others: it does so whenever it is
// inside a queue call, and until the end in join().
#pragma once

#include "mrkit/comm/message_codec.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/patterns/detail/queue_bytes.hpp"

#include <boost/mpi/communicator.hpp>

#include <optional>
#include <string>
#include <vector>

namespace mrkit {

// A queue of T shared by all ranks of `comm` (collective construction). Every rank calls close()
// once it will put no more, and join() (collective) when done with the queue.
template <class T>
class Queue {
 public:
  explicit Queue(const boost::mpi::communicator& comm, int host = mother_rank)
      : bytes_(comm, host) {}

  // Never waits for a consumer: the item goes to the host (a large item waits for the host to
  // take it in).
  void put(const T& item) { bytes_.put(encode(item)); }
  // The oldest item (waits for one), or nothing once every rank has closed and the queue is
  // empty: the course's `while not q.empty(): q.get()` once the producers are done.
  [[nodiscard]] std::optional<T> get() {
    std::optional<std::string> bytes = bytes_.get();
    if (!bytes) return std::nullopt;
    return decode<T>(*bytes);
  }
  // This rank puts no more items.
  void close() { bytes_.close(); }
  // Collective: closes if need be; the host answers the others until all have joined.
  void join() { bytes_.join(); }
  [[nodiscard]] bool is_host() const noexcept { return bytes_.is_host(); }

 private:
  detail::QueueBytes bytes_;
};

}  // namespace mrkit
