// The course's bank account race on shared memory: a balance of 100 in a SharedValue, half the
// ranks withdraw 1 and the other half deposit 1, many times each, repeated. Unsafe (read, add,
// write) loses updates as soon as two ranks run; a SharedLock or an atomic fetch_add never does.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mrkit {

enum class BankMode { unsafe, lock, atomic };

[[nodiscard]] std::string_view to_string(BankMode mode) noexcept;
[[nodiscard]] std::optional<BankMode> bank_mode_named(std::string_view name) noexcept;

// What rank `rank` of `ranks` does: even ranks withdraw, odd ranks deposit, and with an odd
// rank count the last rank does both in turn, so withdrawals and deposits always match and the
// right final balance is the initial one (one rank alone: both, no race possible).
enum class BankRole { withdraw, deposit, both };
[[nodiscard]] BankRole bank_role(int rank, int ranks) noexcept;

// The course's race needs the ranks to meet inside read-add-write. With more ranks than cores,
// short loops otherwise run one after the other and never meet.
enum class BankWindow {
  tight,  // nothing: the read and the write are ~100 ns apart
  yield,  // offer the core to another rank (sched_yield), as a badly timed context switch would
  sleep,  // sleep a microsecond (in practice the kernel's timer slack, ~50-60 us): every rank
          // sits in the window most of the time, whatever the load of the machine
};

[[nodiscard]] std::string_view to_string(BankWindow window) noexcept;
[[nodiscard]] std::optional<BankWindow> bank_window_named(std::string_view name) noexcept;

struct BankOptions {
  BankMode mode = BankMode::unsafe;
  std::uint64_t iterations = 10000;  // withdrawals (or deposits) per rank and repeat
  std::uint64_t repeat = 10;         // fresh balances, as the course's 10 calls
  std::int64_t initial = 100;
  // What a rank does between reading and writing the balance (unsafe and lock modes).
  BankWindow window = BankWindow::yield;
};

// Complete on the mother (other ranks: only ns_per_op is theirs).
struct BankResult {
  BankMode mode = BankMode::unsafe;
  std::int64_t expected = 100;
  std::vector<std::int64_t> final_balances;  // one per repeat
  // Updates lost, as the balances show them: the sum over repeats of |expected - final|. A lost
  // withdrawal and a lost deposit cancel out, so this is a lower bound of the true number.
  std::uint64_t lost_updates = 0;
  // Mean over ranks of the time one operation took that rank (loop time / its operations).
  double ns_per_op = 0;
  std::uint64_t operations = 0;  // by all ranks over all repeats
  int ranks = 1;
};

// Collective: every rank of `comm` takes its role; the balance lives on the mother.
[[nodiscard]] BankResult run_bank(const boost::mpi::communicator& comm, const BankOptions& options);

}  // namespace mrkit
