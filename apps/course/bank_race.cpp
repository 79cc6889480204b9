#include "bank_race.hpp"

#include <mrkit/comm/reduce.hpp>
#include <mrkit/core/clock.hpp>
#include <mrkit/patterns/shared_memory.hpp>

#include <boost/mpi/collectives.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace mrkit {
namespace {

template <class Enum>
struct EnumName {
  Enum value;
  std::string_view name;
};

// Each enum's names. The first entry is also the name of a value outside the table (the
// default of BankOptions).
constexpr std::array<EnumName<BankMode>, 3> bank_mode_names{{
    {BankMode::unsafe, "unsafe"},
    {BankMode::lock, "lock"},
    {BankMode::atomic, "atomic"},
}};
constexpr std::array<EnumName<BankWindow>, 3> bank_window_names{{
    {BankWindow::yield, "yield"},
    {BankWindow::tight, "tight"},
    {BankWindow::sleep, "sleep"},
}};

template <class Enum, std::size_t N>
constexpr std::string_view name_in(const std::array<EnumName<Enum>, N>& table, Enum value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return table.front().name;
}

template <class Enum, std::size_t N>
constexpr std::optional<Enum> value_in(const std::array<EnumName<Enum>, N>& table,
                                       std::string_view name) {
  for (const auto& entry : table) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(BankMode mode) noexcept {
  return name_in(bank_mode_names, mode);
}

std::optional<BankMode> bank_mode_named(std::string_view name) noexcept {
  return value_in(bank_mode_names, name);
}

std::string_view to_string(BankWindow window) noexcept {
  return name_in(bank_window_names, window);
}

std::optional<BankWindow> bank_window_named(std::string_view name) noexcept {
  return value_in(bank_window_names, name);
}

BankRole bank_role(int rank, int ranks) noexcept {
  if (ranks % 2 == 1 && rank == ranks - 1) return BankRole::both;
  return rank % 2 == 0 ? BankRole::withdraw : BankRole::deposit;
}

BankResult run_bank(const boost::mpi::communicator& comm, const BankOptions& options) {
  BankResult result;
  result.mode = options.mode;
  result.expected = options.initial;
  result.ranks = comm.size();
  SharedValue<std::int64_t> balance(comm, options.initial);
  SharedLock lock(comm);

  // balance.value = balance.value + delta: a read (MPI_Get), an add, a write (MPI_Put).
  auto read_add_write = [&](std::int64_t delta) {
    const std::int64_t seen = balance.load();
    if (options.window == BankWindow::yield) std::this_thread::yield();
    if (options.window == BankWindow::sleep)
      std::this_thread::sleep_for(std::chrono::microseconds(1));
    balance.store(seen + delta);
  };
  // The course's three ways to change the balance by `delta`.
  auto change = [&](std::int64_t delta) {
    switch (options.mode) {
      case BankMode::unsafe:
        read_add_write(delta);
        break;
      case BankMode::lock: {  // lock.acquire(); balance.value += delta; lock.release()
        const std::scoped_lock hold(lock);
        read_add_write(delta);
        break;
      }
      case BankMode::atomic:
        (void)balance.fetch_add(delta);
        break;
    }
  };

  const BankRole role = bank_role(comm.rank(), comm.size());
  const std::uint64_t my_ops = options.iterations * (role == BankRole::both ? 2 : 1);
  double my_seconds = 0;
  for (std::uint64_t r = 0; r < options.repeat; ++r) {
    if (comm.rank() == mother_rank) balance.atomic_store(options.initial);
    balance.synchronize();  // everyone starts from the fresh balance, together
    const auto start = Clock::now();
    for (std::uint64_t i = 0; i < options.iterations; ++i) {
      if (role != BankRole::deposit) change(-1);
      if (role != BankRole::withdraw) change(+1);
    }
    my_seconds += seconds_since(start);
    balance.synchronize();  // the course's join()
    if (comm.rank() == mother_rank) {
      const std::int64_t final_balance = balance.atomic_load();
      result.final_balances.push_back(final_balance);
      result.lost_updates +=
          static_cast<std::uint64_t>(std::llabs(final_balance - options.initial));
    }
  }
  const double my_ns = my_ops * options.repeat > 0
                           ? my_seconds * 1e9 / static_cast<double>(my_ops * options.repeat)
                           : 0.0;
  double ns_sum = 0;
  boost::mpi::reduce(comm, my_ns, ns_sum, std::plus<double>(), mother_rank);
  result.ns_per_op = ns_sum / comm.size();
  result.operations = sum_all(comm, my_ops * options.repeat);
  return result;
}

}  // namespace mrkit
