// The course's Pipe between two ranks: typed values, in order, both ways, and an end-of-stream
// mark that close() sends (the course's "END" word and EOFError); wait_ready() watches several
// pipes at once (multiprocessing.connection.wait).
#pragma once

#include "mrkit/comm/message_codec.hpp"
#include "mrkit/patterns/detail/pipe_bytes.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace mrkit {

// A pipe between ranks a and b of `comm` (collective: every rank of comm constructs it, those
// other than a and b hold no end). Duplex: both ends send and receive. With a == b the rank
// talks to itself (a one-rank job plays both ends): what it sent, it receives, in order.
template <class T>
class Pipe {
 public:
  Pipe(const boost::mpi::communicator& comm, int a, int b) : bytes_(comm, a, b) {}

  [[nodiscard]] bool holds_an_end() const noexcept { return bytes_.holds_an_end(); }
  [[nodiscard]] int peer() const noexcept { return bytes_.peer(); }

  void send(const T& value) { bytes_.send(encode(value)); }
  // End of stream: after the values already sent, the peer's recv() returns nothing.
  void close() { bytes_.close(); }
  // The next value from the peer (waits for it), or nothing once the peer has closed.
  [[nodiscard]] std::optional<T> recv() {
    std::optional<std::string> bytes = bytes_.recv();
    if (!bytes) return std::nullopt;
    return decode<T>(*bytes);
  }
  // A value or the end of stream is waiting: recv() would not block.
  [[nodiscard]] bool ready() { return bytes_.ready(); }

 private:
  detail::PipeBytes bytes_;
};

// The course's connection.wait(readers): blocks until at least one pipe can be read without
// waiting (a value or its end of stream) and returns the indices of all such pipes.
template <class T>
[[nodiscard]] std::vector<std::size_t> wait_ready(std::vector<Pipe<T>*>& pipes) {
  return detail::wait_until_ready(pipes.size(), [&](std::size_t i) { return pipes[i]->ready(); });
}

}  // namespace mrkit
