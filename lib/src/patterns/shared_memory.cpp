#include "mrkit/patterns/shared_memory.hpp"

#include "mrkit/core/detail/mpi_check.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

namespace mrkit {
namespace {

using detail::check;

// Elements per MPI call: counts are int, and no call moves more than 1 GiB.
std::size_t piece_elements(std::size_t element_bytes) {
  return std::max<std::size_t>(1, (std::size_t{1} << 30) / element_bytes);
}

// The lock's slots on every rank: the next rank in the queue, whether this rank waits, and
// (used on the host only) the last rank in the queue.
constexpr std::size_t next_slot = 0;
constexpr std::size_t blocked_slot = 1;
constexpr std::size_t tail_slot = 2;
constexpr std::int64_t nobody = -1;

// All ranks on one machine: a window of real shared memory (MPI_Win_allocate_shared), where
// Open MPI's one-sided calls are plain loads, stores and CPU atomics. Across machines: a window
// reached over the network (MPI_Win_allocate). The same answer on every rank.
void* allocate_window(const boost::mpi::communicator& comm, std::size_t bytes, int element_bytes,
                      MPI_Win* win) {
  MPI_Comm node = MPI_COMM_NULL;
  check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  int node_size = 0;
  check(MPI_Comm_size(node, &node_size), "MPI_Comm_size");
  check(MPI_Comm_free(&node), "MPI_Comm_free");
  void* base = nullptr;
  const auto size = static_cast<MPI_Aint>(bytes);
  if (node_size == comm.size()) {
    check(MPI_Win_allocate_shared(size, element_bytes, MPI_INFO_NULL, comm, &base, win),
          "MPI_Win_allocate_shared");
  } else {
    check(MPI_Win_allocate(size, element_bytes, MPI_INFO_NULL, comm, &base, win),
          "MPI_Win_allocate");
  }
  return base;
}

// Allocates the window (as allocate_window), copies `bytes` of `initial` into this rank's part,
// and opens the one shared epoch of the window's whole life: every access is passive-target,
// completed by a flush, so no rank ever needs the host's attention. Collective; every rank sees
// every rank's initial bytes when it returns.
void open_window(const boost::mpi::communicator& comm, std::size_t bytes, int element_bytes,
                 const void* initial, MPI_Win* win) {
  void* base = allocate_window(comm, bytes, element_bytes, win);
  check(MPI_Win_lock_all(MPI_MODE_NOCHECK, *win), "MPI_Win_lock_all");
  if (bytes > 0) std::memcpy(base, initial, bytes);
  check(MPI_Win_sync(*win), "MPI_Win_sync");
  check(MPI_Barrier(comm), "MPI_Barrier");
  check(MPI_Win_sync(*win), "MPI_Win_sync");
}

// Closes the epoch open_window opened and frees the window (collective); nothing if none.
void close_window(MPI_Win* win) {
  if (*win == MPI_WIN_NULL) return;
  MPI_Win_unlock_all(*win);
  MPI_Win_free(win);
}

}  // namespace

namespace detail {

Window::Window(const boost::mpi::communicator& comm, std::size_t count, std::size_t element_bytes,
               const void* initial, int host)
    : comm_(comm), count_(count), element_bytes_(element_bytes), host_(host) {
  if (host < 0 || host >= comm.size()) throw std::invalid_argument("shared memory: no such host");
  const std::size_t bytes = comm.rank() == host ? count * element_bytes : 0;
  open_window(comm_, bytes, static_cast<int>(element_bytes), initial, &win_);
}

Window::~Window() {
  close_window(&win_);
}

void Window::check_range(std::size_t first, std::size_t count) const {
  if (first > count_ || count > count_ - first) {
    throw std::out_of_range("shared memory: elements " + std::to_string(first) + ".." +
                            std::to_string(first + count) + " past the end (" +
                            std::to_string(count_) + ")");
  }
}

void Window::get(void* out, std::size_t first, std::size_t count, MPI_Datatype type) const {
  check_range(first, count);
  const std::size_t piece = piece_elements(element_bytes_);
  for (std::size_t at = 0; at < count; at += piece) {
    const int n = static_cast<int>(std::min(piece, count - at));
    check(MPI_Get(static_cast<char*>(out) + at * element_bytes_, n, type, host_,
                  static_cast<MPI_Aint>(first + at), n, type, win_),
          "MPI_Get");
  }
  check(MPI_Win_flush(host_, win_), "MPI_Win_flush");
}

void Window::put(const void* in, std::size_t first, std::size_t count, MPI_Datatype type) {
  check_range(first, count);
  const std::size_t piece = piece_elements(element_bytes_);
  for (std::size_t at = 0; at < count; at += piece) {
    const int n = static_cast<int>(std::min(piece, count - at));
    check(MPI_Put(static_cast<const char*>(in) + at * element_bytes_, n, type, host_,
                  static_cast<MPI_Aint>(first + at), n, type, win_),
          "MPI_Put");
  }
  check(MPI_Win_flush(host_, win_), "MPI_Win_flush");
}

void Window::fetch_and_op(const void* operand, void* result, std::size_t index, MPI_Datatype type,
                          MPI_Op op) const {
  check_range(index, 1);
  check(MPI_Fetch_and_op(operand, result, type, host_, static_cast<MPI_Aint>(index), op, win_),
        "MPI_Fetch_and_op");
  check(MPI_Win_flush(host_, win_), "MPI_Win_flush");
}

void Window::synchronize() {
  check(MPI_Win_flush_all(win_), "MPI_Win_flush_all");
  check(MPI_Win_sync(win_), "MPI_Win_sync");
  check(MPI_Barrier(comm_), "MPI_Barrier");
  check(MPI_Win_sync(win_), "MPI_Win_sync");
}

}  // namespace detail

SharedLock::SharedLock(const boost::mpi::communicator& comm, int host)
    : comm_(comm), host_(host), me_(comm.rank()) {
  if (host < 0 || host >= comm.size()) throw std::invalid_argument("SharedLock: no such host");
  std::array<std::int64_t, 3> initial{};
  initial[next_slot] = nobody;
  initial[blocked_slot] = 0;
  initial[tail_slot] = nobody;
  open_window(comm_, sizeof initial, sizeof(std::int64_t), initial.data(), &win_);
}

SharedLock::~SharedLock() {
  close_window(&win_);
}

std::int64_t SharedLock::read_mine(std::size_t slot) const {
  std::int64_t value = 0;
  const std::int64_t none = 0;
  check(MPI_Fetch_and_op(&none, &value, MPI_INT64_T, me_, static_cast<MPI_Aint>(slot), MPI_NO_OP,
                         win_),
        "MPI_Fetch_and_op");
  check(MPI_Win_flush(me_, win_), "MPI_Win_flush");
  return value;
}

void SharedLock::write(int rank, std::size_t slot, std::int64_t value) {
  std::int64_t old = 0;
  check(MPI_Fetch_and_op(&value, &old, MPI_INT64_T, rank, static_cast<MPI_Aint>(slot), MPI_REPLACE,
                         win_),
        "MPI_Fetch_and_op");
  check(MPI_Win_flush(rank, win_), "MPI_Win_flush");
}

void SharedLock::lock() {
  write(me_, next_slot, nobody);
  write(me_, blocked_slot, 1);
  // Join the queue: become its tail, and learn who was before.
  const std::int64_t me = me_;
  std::int64_t before = nobody;
  check(MPI_Fetch_and_op(&me, &before, MPI_INT64_T, host_, static_cast<MPI_Aint>(tail_slot),
                         MPI_REPLACE, win_),
        "MPI_Fetch_and_op");
  check(MPI_Win_flush(host_, win_), "MPI_Win_flush");
  if (before == nobody) return;  // the lock was free
  // Tell the rank before us that we follow, then wait until it hands the lock over.
  write(static_cast<int>(before), next_slot, me);
  while (read_mine(blocked_slot) != 0) std::this_thread::yield();
}

void SharedLock::unlock() {
  std::int64_t next = read_mine(next_slot);
  if (next == nobody) {
    // Nobody known to follow: free the lock, unless someone joined the queue meanwhile.
    const std::int64_t me = me_;
    const std::int64_t free = nobody;
    std::int64_t tail = nobody;
    check(MPI_Compare_and_swap(&free, &me, &tail, MPI_INT64_T, host_,
                               static_cast<MPI_Aint>(tail_slot), win_),
          "MPI_Compare_and_swap");
    check(MPI_Win_flush(host_, win_), "MPI_Win_flush");
    if (tail == me) return;
    // A rank joined but has not yet told us: wait for its name.
    while ((next = read_mine(next_slot)) == nobody) std::this_thread::yield();
  }
  write(static_cast<int>(next), blocked_slot, 0);
}

}  // namespace mrkit
