#include "mrkit/patterns/channel.hpp"

#include "mrkit/core/detail/mpi_check.hpp"
#include "mrkit/core/tags.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace mrkit {
namespace {

using detail::check;

}  // namespace

namespace detail {

PipeBytes::PipeBytes(const boost::mpi::communicator& comm, int a, int b)
    : comm_(comm, boost::mpi::comm_duplicate) {
  if (a < 0 || b < 0 || a >= comm.size() || b >= comm.size()) {
    throw std::invalid_argument("a pipe joins two ranks of the communicator");
  }
  if (comm.rank() == a) peer_ = b;
  if (comm.rank() == b) peer_ = a;
}

void PipeBytes::check_end(const char* what) const {
  if (peer_ < 0) {
    throw std::logic_error(std::string("rank ") + std::to_string(comm_.rank()) +
                           " holds no end of this pipe and cannot " + what);
  }
}

void PipeBytes::send(std::string_view bytes) {
  check_end("send");
  if (closed_) throw std::logic_error("send on a closed pipe");
  if (peer_ == comm_.rank()) {
    loopback_.emplace_back(bytes);
    return;
  }
  send_bytes(comm_, peer_, tags::channel_data, bytes);
}

void PipeBytes::close() {
  check_end("close it");
  if (closed_) return;
  closed_ = true;
  if (peer_ == comm_.rank()) return;
  check(MPI_Send(nullptr, 0, MPI_BYTE, peer_, tags::channel_end, comm_), "MPI_Send");
}

std::optional<std::string> PipeBytes::recv() {
  check_end("receive");
  if (ended_) return std::nullopt;
  if (peer_ == comm_.rank()) {
    if (loopback_.empty()) {
      if (!closed_) throw std::logic_error("a rank waits on a pipe to itself that holds nothing");
      ended_ = true;
      return std::nullopt;
    }
    std::string bytes = std::move(loopback_.front());
    loopback_.pop_front();
    return bytes;
  }
  MPI_Status status;
  // Values and the end mark from one sender arrive in the order sent (MPI never lets a message
  // overtake another between the same two ranks on one communicator).
  check(MPI_Probe(peer_, MPI_ANY_TAG, comm_, &status), "MPI_Probe");
  if (status.MPI_TAG == tags::channel_end) {
    check(MPI_Recv(nullptr, 0, MPI_BYTE, peer_, tags::channel_end, comm_, MPI_STATUS_IGNORE),
          "MPI_Recv");
    ended_ = true;
    return std::nullopt;
  }
  return recv_bytes(comm_, peer_, tags::channel_data);
}

bool PipeBytes::ready() {
  check_end("wait on it");
  if (ended_) return true;
  if (peer_ == comm_.rank()) return !loopback_.empty() || closed_;
  int flag = 0;
  check(MPI_Iprobe(peer_, MPI_ANY_TAG, comm_, &flag, MPI_STATUS_IGNORE), "MPI_Iprobe");
  return flag != 0;
}

std::vector<std::size_t> wait_until_ready(std::size_t count,
                                          const std::function<bool(std::size_t)>& ready) {
  if (count == 0) throw std::invalid_argument("waiting on no pipe at all would never end");
  auto pause = std::chrono::microseconds(5);
  for (;;) {
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i < count; ++i) {
      if (ready(i)) found.push_back(i);
    }
    if (!found.empty()) return found;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(1000));
  }
}

}  // namespace detail
}  // namespace mrkit
