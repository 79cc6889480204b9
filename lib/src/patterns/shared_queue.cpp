#include "mrkit/patterns/shared_queue.hpp"

#include "mrkit/core/detail/mpi_check.hpp"
#include "mrkit/core/tags.hpp"

#include <mpi.h>

#include <stdexcept>

namespace mrkit {
namespace {

using detail::check;

void send_signal(const boost::mpi::communicator& comm, int dest, int tag) {
  check(MPI_Send(nullptr, 0, MPI_BYTE, dest, tag, comm), "MPI_Send");
}

void recv_signal(const boost::mpi::communicator& comm, int source, int tag) {
  check(MPI_Recv(nullptr, 0, MPI_BYTE, source, tag, comm, MPI_STATUS_IGNORE), "MPI_Recv");
}

}  // namespace

namespace detail {

QueueBytes::QueueBytes(const boost::mpi::communicator& comm, int host)
    : comm_(comm, boost::mpi::comm_duplicate), host_(host), open_(comm.size()) {
  if (host < 0 || host >= comm.size()) throw std::invalid_argument("Queue: no such host");
}

void QueueBytes::put(std::string bytes) {
  if (closed_) throw std::logic_error("put on a queue this rank has closed");
  if (!is_host()) {
    send_bytes(comm_, host_, tags::queue_put, bytes);
    return;
  }
  items_.push_back(std::move(bytes));
  answer_waiting();
}

std::optional<std::string> QueueBytes::get() {
  if (joined_) throw std::logic_error("get on a queue this rank has joined");
  if (!is_host()) {
    send_signal(comm_, host_, tags::queue_get);
    MPI_Status status;
    check(MPI_Probe(host_, MPI_ANY_TAG, comm_, &status), "MPI_Probe");
    if (status.MPI_TAG == tags::queue_over) {
      recv_signal(comm_, host_, tags::queue_over);
      return std::nullopt;
    }
    return recv_bytes(comm_, host_, tags::queue_item);
  }
  // The host serves the others while it waits for an item, first come first served.
  while (items_.empty() || !waiting_.empty()) {
    if (over()) return std::nullopt;
    if (!items_.empty()) answer_waiting();
    if (items_.empty()) serve_one(true);
  }
  std::string item = std::move(items_.front());
  items_.pop_front();
  return item;
}

void QueueBytes::close() {
  if (closed_) return;
  closed_ = true;
  if (!is_host()) {
    send_signal(comm_, host_, tags::queue_close);
    return;
  }
  --open_;
  answer_waiting();
}

void QueueBytes::join() {
  if (joined_) return;
  close();
  joined_ = true;
  if (!is_host()) {
    send_signal(comm_, host_, tags::queue_join);
    return;
  }
  while (joined_ranks_ < comm_.size() - 1) serve_one(true);
}

void QueueBytes::serve_one(bool block) {
  MPI_Status status;
  if (block) {
    check(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &status), "MPI_Probe");
  } else {
    int flag = 0;
    check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &status), "MPI_Iprobe");
    if (flag == 0) return;
  }
  const int from = status.MPI_SOURCE;
  switch (status.MPI_TAG) {
    case tags::queue_put:
      items_.push_back(recv_bytes(comm_, from, tags::queue_put));
      break;
    case tags::queue_get:
      recv_signal(comm_, from, tags::queue_get);
      waiting_.push_back(from);
      break;
    case tags::queue_close:
      recv_signal(comm_, from, tags::queue_close);
      --open_;
      break;
    case tags::queue_join:
      recv_signal(comm_, from, tags::queue_join);
      ++joined_ranks_;
      break;
    default:
      throw std::logic_error("a queue message with an unknown tag");
  }
  answer_waiting();
}

void QueueBytes::answer_waiting() {
  while (!waiting_.empty() && !items_.empty()) {
    send_bytes(comm_, waiting_.front(), tags::queue_item, items_.front());
    items_.pop_front();
    waiting_.pop_front();
  }
  if (over()) {
    for (const int rank : waiting_) send_signal(comm_, rank, tags::queue_over);
    waiting_.clear();
  }
}

}  // namespace detail
}  // namespace mrkit
