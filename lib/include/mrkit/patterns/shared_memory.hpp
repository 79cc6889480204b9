// The course's shared memory between processes, on MPI one-sided windows: SharedArray and
// SharedValue (multiprocessing's Array and Value) live in one rank's memory (the mother's by
// default) and every rank reads and writes them directly, with no help from that rank;
// fetch_add is atomic (MPI_Fetch_and_op), and SharedLock is a fair queue lock (MCS) for critical
// sections (the course's Lock). Plain load/store are what the course's `balance.value += 1` is:
// a read and a write that another rank may slip between.
#pragma once

#include "mrkit/core/runtime.hpp"

#include <mpi.h>
#include <boost/mpi/communicator.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

namespace mrkit {

namespace detail {

template <class T>
[[nodiscard]] MPI_Datatype mpi_type_of() {
  if constexpr (std::is_same_v<T, std::int32_t>) {
    return MPI_INT32_T;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return MPI_INT64_T;
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    return MPI_UINT64_T;
  } else {
    static_assert(std::is_same_v<T, double>, "no MPI type for this element");
    return MPI_DOUBLE;
  }
}

template <class T>
inline constexpr bool shareable =
    std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> ||
    std::is_same_v<T, std::uint64_t> || std::is_same_v<T, double>;

// An MPI window of `count` elements of `element_bytes` on the host rank (none elsewhere), opened
// for passive-target access by every rank for its whole life.
class Window {
 public:
  Window(const boost::mpi::communicator& comm, std::size_t count, std::size_t element_bytes,
         const void* initial, int host);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] int host() const noexcept { return host_; }

  void get(void* out, std::size_t first, std::size_t count, MPI_Datatype type) const;
  void put(const void* in, std::size_t first, std::size_t count, MPI_Datatype type);
  // MPI_Fetch_and_op on one element (op MPI_SUM, MPI_REPLACE, MPI_NO_OP), completed.
  void fetch_and_op(const void* operand, void* result, std::size_t index, MPI_Datatype type,
                    MPI_Op op) const;
  // Every rank's earlier writes are visible to every rank afterwards (collective).
  void synchronize();

 private:
  void check_range(std::size_t first, std::size_t count) const;

  boost::mpi::communicator comm_;
  std::size_t count_;
  std::size_t element_bytes_;
  int host_;
  MPI_Win win_ = MPI_WIN_NULL;
};

}  // namespace detail

// An array of numbers in one rank's memory that every rank can read and write (collective
// construction and destruction). T is std::int32_t, std::int64_t, std::uint64_t or double.
template <class T>
class SharedArray {
  static_assert(detail::shareable<T>, "SharedArray holds int32, int64, uint64 or double");

 public:
  SharedArray(const boost::mpi::communicator& comm, std::size_t size, T initial = T{},
              int host = mother_rank)
      : window_(comm, size, sizeof(T), make_initial(size, initial).data(), host) {}
  SharedArray(const boost::mpi::communicator& comm, std::span<const T> initial,
              int host = mother_rank)
      : window_(comm, initial.size(), sizeof(T), initial.data(), host) {}

  [[nodiscard]] std::size_t size() const noexcept { return window_.size(); }

  // A plain read (MPI_Get) and a plain write (MPI_Put), each complete when it returns. Not
  // atomic against other ranks' writes: read-add-write with these loses updates.
  [[nodiscard]] T load(std::size_t i) const {
    T v{};
    window_.get(&v, i, 1, detail::mpi_type_of<T>());
    return v;
  }
  void store(std::size_t i, T value) { window_.put(&value, i, 1, detail::mpi_type_of<T>()); }

  // Atomic read-modify-write: adds `delta` and returns the value before (never loses updates).
  T fetch_add(std::size_t i, T delta) {
    T old{};
    window_.fetch_and_op(&delta, &old, i, detail::mpi_type_of<T>(), MPI_SUM);
    return old;
  }
  [[nodiscard]] T atomic_load(std::size_t i) const {
    T v{};
    const T none{};
    window_.fetch_and_op(&none, &v, i, detail::mpi_type_of<T>(), MPI_NO_OP);
    return v;
  }
  void atomic_store(std::size_t i, T value) {
    T old{};
    window_.fetch_and_op(&value, &old, i, detail::mpi_type_of<T>(), MPI_REPLACE);
  }

  // The whole array, or a range (the course's arr[:]); any size.
  [[nodiscard]] std::vector<T> read(std::size_t first = 0, std::size_t count = SIZE_MAX) const {
    if (count == SIZE_MAX) count = first <= size() ? size() - first : 0;
    std::vector<T> out(count);
    window_.get(out.data(), first, count, detail::mpi_type_of<T>());
    return out;
  }
  void write(std::span<const T> values, std::size_t first = 0) {
    window_.put(values.data(), first, values.size(), detail::mpi_type_of<T>());
  }

  // Collective: every rank's writes so far are seen by every rank afterwards (the course's
  // join() before the mother prints).
  void synchronize() { window_.synchronize(); }
  [[nodiscard]] int host() const noexcept { return window_.host(); }

 private:
  static std::vector<T> make_initial(std::size_t size, T initial) {
    return std::vector<T>(size, initial);
  }
  detail::Window window_;
};

// One shared number (the course's Value('d', 0.0) or Value('i', 100)).
template <class T>
class SharedValue {
 public:
  explicit SharedValue(const boost::mpi::communicator& comm, T initial = T{},
                       int host = mother_rank)
      : array_(comm, 1, initial, host) {}

  [[nodiscard]] T load() const { return array_.load(0); }
  void store(T value) { array_.store(0, value); }
  T fetch_add(T delta) { return array_.fetch_add(0, delta); }
  [[nodiscard]] T atomic_load() const { return array_.atomic_load(0); }
  void atomic_store(T value) { array_.atomic_store(0, value); }
  void synchronize() { array_.synchronize(); }

 private:
  SharedArray<T> array_;
};

// A lock shared by all ranks of a communicator (collective construction and destruction): the
// MCS queue lock of "Using Advanced MPI" (Gropp, Hoefler, Thakur, Lusk), on one-sided atomics.
// Waiting ranks queue in arrival order and each spins on its own flag, so the lock is fair and
// the host is not hammered. Meets BasicLockable: std::scoped_lock works.
class SharedLock {
 public:
  explicit SharedLock(const boost::mpi::communicator& comm, int host = mother_rank);
  ~SharedLock();
  SharedLock(const SharedLock&) = delete;
  SharedLock& operator=(const SharedLock&) = delete;

  void lock();    // the course's acquire()
  void unlock();  // the course's release()

 private:
  std::int64_t read_mine(std::size_t slot) const;
  void write(int rank, std::size_t slot, std::int64_t value);

  boost::mpi::communicator comm_;
  int host_;
  int me_;
  MPI_Win win_ = MPI_WIN_NULL;
};

}  // namespace mrkit
