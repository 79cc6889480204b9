#include "mpi_test.hpp"

#include <mrkit/patterns/shared_memory.hpp>
#include "course/bank_race.hpp"

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <thread>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

TEST(SharedArray, EveryRankSeesEveryRanksWrites) {
  const int p = world().size();
  const int me = world().rank();
  for (const int host : {0, p - 1}) {
    mrkit::SharedArray<std::int64_t> a(world(), static_cast<std::size_t>(2 * p + 2), -1, host);
    a.store(static_cast<std::size_t>(me), 10 * me);
    const std::vector<std::int64_t> mine{me, me + 1000};
    a.write(mine, static_cast<std::size_t>(p));  // all ranks write the same two slots: any wins
    a.synchronize();
    const auto all = a.read();
    bool ok = all.size() == static_cast<std::size_t>(2 * p + 2) && a.host() == host;
    for (int r = 0; ok && r < p; ++r) ok = all[static_cast<std::size_t>(r)] == 10 * r;
    const auto pair = a.read(static_cast<std::size_t>(p), 2);
    ok = ok && pair.size() == 2 && pair[1] == pair[0] + 1000 && pair[0] >= 0 && pair[0] < p;
    ASSERT_TRUE(all_ranks(ok)) << "host " << host;
    a.synchronize();  // nobody frees the window while others still read
  }
}

TEST(SharedArray, InitialValuesAndTypes) {
  const std::vector<double> initial{0.5, -1.25, 3.0};
  mrkit::SharedArray<double> d(world(), initial);
  mrkit::SharedValue<std::int32_t> v(world(), 100);
  mrkit::SharedValue<std::uint64_t> u(world(), 7);
  bool ok = d.read() == initial && v.load() == 100 && u.atomic_load() == 7;
  d.synchronize();
  if (world().rank() == 0) d.store(1, 3.1415927);
  d.synchronize();
  ok = ok && d.load(1) == 3.1415927;
  ASSERT_TRUE(all_ranks(ok));
  d.synchronize();
}

TEST(SharedArray, OutOfRangeThrowsWithoutTouchingTheWindow) {
  mrkit::SharedArray<std::int64_t> a(world(), 3);
  bool ok = false;
  try {
    (void)a.load(3);
  } catch (const std::out_of_range&) {
    ok = true;
  }
  bool ok2 = false;
  try {
    (void)a.read(2, 2);
  } catch (const std::out_of_range&) {
    ok2 = true;
  }
  ASSERT_TRUE(all_ranks(ok && ok2));
}

TEST(SharedValue, FetchAddNeverLosesAnUpdate) {
  mrkit::SharedValue<std::int64_t> counter(world(), 0);
  constexpr int adds = 3000;
  std::vector<std::int64_t> seen;
  for (int i = 0; i < adds; ++i) seen.push_back(counter.fetch_add(1));
  counter.synchronize();
  // Every old value a fetch_add returned is distinct across all ranks: each add was alone.
  bool ok = counter.atomic_load() == static_cast<std::int64_t>(adds) * world().size();
  ok = ok && std::is_sorted(seen.begin(), seen.end());
  ASSERT_TRUE(all_ranks(ok));
  counter.synchronize();
}

TEST(SharedLock, OneRankAtATimeInTheCriticalSection) {
  mrkit::SharedLock lock(world());
  mrkit::SharedValue<std::int64_t> inside(world(), 0);
  mrkit::SharedValue<std::int64_t> total(world(), 0);
  constexpr int rounds = 400;
  bool alone = true;
  for (int i = 0; i < rounds; ++i) {
    const std::scoped_lock hold(lock);
    alone = alone && inside.fetch_add(1) == 0;
    const std::int64_t seen = total.load();  // an unsafe read-add-write, made safe by the lock
    std::this_thread::yield();
    total.store(seen + 1);
    (void)inside.fetch_add(-1);
  }
  total.synchronize();
  const bool ok =
      alone && total.atomic_load() == static_cast<std::int64_t>(rounds) * world().size();
  ASSERT_TRUE(all_ranks(ok));
  total.synchronize();
}

TEST(Bank, LockAndAtomicAlwaysEndAtTheInitialBalance) {
  for (const auto mode : {mrkit::BankMode::lock, mrkit::BankMode::atomic}) {
    mrkit::BankOptions o;
    o.mode = mode;
    o.iterations = 300;
    o.repeat = 3;
    const auto r = mrkit::run_bank(world(), o);
    bool ok = true;
    if (world().rank() == 0) {
      ok = r.final_balances == std::vector<std::int64_t>(3, 100) && r.lost_updates == 0 &&
           r.expected == 100 && r.ns_per_op > 0 &&
           r.operations ==
               300U * 3U * static_cast<std::uint64_t>(world().size() + world().size() % 2);
    }
    ASSERT_TRUE(all_ranks(ok)) << mrkit::to_string(mode);
  }
}

TEST(Bank, UnsafeCountsItsLostUpdatesHonestly) {
  // Ranks lose updates only when they run at the same time; on a loaded machine with more ranks
  // than cores a repeat may pass with no meeting at all (the course's own output starts with a
  // "Final balance = 100"). So the count must always match the balances, and some run of a few
  // must show a loss (6 attempts once showed none at 3 ranks beside a loaded CI run).
  mrkit::BankOptions o;
  o.mode = mrkit::BankMode::unsafe;
  o.iterations = 10000;
  o.repeat = 2;
  bool honest = true;
  bool lost_some = false;
  std::string detail;
  // One rank cannot race with itself: one attempt. Otherwise up to 40 (ms each in Release), but
  // no more than 60 s in all (a sanitizer build is 20x slower); the mother decides when to stop.
  const auto start = std::chrono::steady_clock::now();
  const int attempts = world().size() == 1 ? 1 : 40;
  bool again = true;
  for (int attempt = 0; attempt < attempts && again; ++attempt) {
    const auto r = mrkit::run_bank(world(), o);
    if (world().rank() == 0) {
      std::uint64_t off = 0;
      for (const auto b : r.final_balances) {
        off += static_cast<std::uint64_t>(std::llabs(b - 100));
        detail += std::to_string(b) + " ";
      }
      honest = honest && r.final_balances.size() == 2 && r.lost_updates == off;
      lost_some = r.lost_updates > 0;
    }
    again = !lost_some && std::chrono::steady_clock::now() - start < std::chrono::seconds(60);
    boost::mpi::broadcast(world(), lost_some, 0);  // the mother's verdict, on every rank
    boost::mpi::broadcast(world(), again, 0);
  }
  const bool ok = honest && (world().size() == 1 ? !lost_some : lost_some);
  ASSERT_TRUE(all_ranks(ok)) << "final balances " << detail;
}
