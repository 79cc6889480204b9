// Private to the library: the untyped pipe behind mrkit::Pipe<T> (patterns/channel.hpp).
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit::detail {

// The untyped pipe: bytes one way or the other between ranks a and b.
class PipeBytes {
 public:
  PipeBytes(const boost::mpi::communicator& comm, int a, int b);
  [[nodiscard]] bool holds_an_end() const noexcept { return peer_ >= 0; }
  [[nodiscard]] int peer() const noexcept { return peer_; }
  void send(std::string_view bytes);
  void close();
  [[nodiscard]] std::optional<std::string> recv();
  [[nodiscard]] bool ready();  // recv would not wait

 private:
  void check_end(const char* what) const;
  boost::mpi::communicator comm_;
  int peer_ = -1;
  std::deque<std::string> loopback_;  // a pipe from a rank to itself
  bool closed_ = false;               // this end sent its end of stream
  bool ended_ = false;                // the other end's end of stream was received
};

// Blocks until ready(i) holds for some i; returns every such i.
std::vector<std::size_t> wait_until_ready(std::size_t count,
                                          const std::function<bool(std::size_t)>& ready);

}  // namespace mrkit::detail
