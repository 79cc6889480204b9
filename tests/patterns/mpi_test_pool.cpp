#include "mpi_test.hpp"

#include <mrkit/patterns/pool.hpp>

#include <gtest/gtest.h>
#include <boost/serialization/utility.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

namespace {

std::atomic<int> g_initialized{0};  // initializer calls on this rank (or the mother's thread)

const auto square = mrkit::register_task<long(long)>("test.square", [](long n) { return n * n; });
const auto repeat = mrkit::register_task<std::string(std::string, int)>(
    "test.repeat", [](const std::string& s, int times) {
      std::string out;
      for (int i = 0; i < times; ++i) out += s;
      return out;
    });
const auto fail_on_3 = mrkit::register_task<long(long)>("test.fail_on_3", [](long n) {
  if (n == 3) throw std::runtime_error("three is bad");
  return n;
});
const auto nap = mrkit::register_task<void(int)>(
    "test.nap", [](int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); });
const auto who = mrkit::register_task<std::pair<int, int>(int)>(
    "test.who", [](int) { return std::pair<int, int>(world().rank(), g_initialized.load()); });
const auto norm = mrkit::register_task<std::vector<double>(std::vector<double>)>(
    "test.halve", [](std::vector<double> v) {
      for (double& x : v) x /= 2;
      return v;
    });

// Runs body on the mother inside a pool; every rank learns whether it passed.
bool in_pool(const std::function<bool(mrkit::Pool&)>& body,
             const mrkit::PoolOptions& options = {}) {
  bool ok = true;
  mrkit::with_pool(world(), options, [&](mrkit::Pool& pool) { ok = body(pool); });
  return all_ranks(ok);
}

std::vector<long> iota(long n) {
  std::vector<long> v(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

}  // namespace

TEST(Pool, MapKeepsInputOrderForEveryChunkSize) {
  EXPECT_TRUE(in_pool([](mrkit::Pool& pool) {
    std::vector<long> expected;
    for (long i = 0; i < 100; ++i) expected.push_back(i * i);
    bool ok = pool.workers() == std::max(1, world().size() - 1);
    for (const std::size_t chunk : {1, 7, 100, 1000}) {
      ok = ok && pool.map(square, iota(100), chunk) == expected;
    }
    ok = ok && pool.map(square, std::vector<long>{}).empty();
    return ok;
  }));
}

TEST(Pool, MapUnorderedDeliversEveryResultOnce) {
  EXPECT_TRUE(in_pool([](mrkit::Pool& pool) {
    std::vector<long> got = pool.map_unordered(square, iota(50), 3);
    std::sort(got.begin(), got.end());
    std::vector<long> expected;
    for (long i = 0; i < 50; ++i) expected.push_back(i * i);
    std::vector<int> seen(50, 0);
    pool.map_unordered<long, long>(
        square, iota(50), [&](std::size_t i, long r) { seen[i] += r == static_cast<long>(i * i); });
    return got == expected && std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; });
  }));
}

TEST(Pool, SubmitReturnsAFutureOfAnyType) {
  EXPECT_TRUE(in_pool([](mrkit::Pool& pool) {
    auto a = pool.submit(square, 20);
    auto b = pool.submit(repeat, std::string("ab"), 3);
    auto c = pool.submit(norm, std::vector<double>{1.0, -3.0});
    std::vector<mrkit::Future<long>> many;
    for (long i = 0; i < 8; ++i) many.push_back(pool.submit(square, i));
    bool ok = a.get() == 400 && b.get() == "ababab" && c.get() == std::vector<double>{0.5, -1.5};
    for (long i = 0; i < 8; ++i) ok = ok && many[static_cast<std::size_t>(i)].get() == i * i;
    return ok && a.ready();
  }));
}

TEST(Pool, TimeoutThrowsAndThePoolStaysUsable) {
  EXPECT_TRUE(in_pool([](mrkit::Pool& pool) {
    auto slow = pool.submit(nap, 600);
    bool timed_out = false;
    try {
      slow.get(std::chrono::milliseconds(50));
    } catch (const mrkit::TimeoutError& e) {
      timed_out = std::string(e.what()).find("task 'test.nap' gave no result within 0.05 s") !=
                  std::string::npos;
    }
    // More work while the nap goes on (on another worker, or after it on the same one).
    const bool usable = pool.map(square, iota(5)) == std::vector<long>{0, 1, 4, 9, 16};
    slow.get();  // now it finishes
    return timed_out && usable && slow.ready();
  }));
}

TEST(Pool, WorkerErrorsNameTaskItemAndRank) {
  EXPECT_TRUE(in_pool([](mrkit::Pool& pool) {
    std::string message;
    try {
      (void)pool.map(fail_on_3, iota(6), 2);
    } catch (const mrkit::TaskError& e) {
      message = e.what();
    }
    bool ok = message.find("task 'test.fail_on_3' (item 3) failed on rank ") != std::string::npos &&
              message.find("three is bad") != std::string::npos;
    auto f = pool.submit(fail_on_3, 3);
    ok = ok && [&] {
      try {
        (void)f.get();
      } catch (const mrkit::TaskError&) {
        return true;
      }
      return false;
    }();
    const mrkit::Task<long(long)> unknown("test.no_such_task");
    try {
      (void)pool.map(unknown, iota(1));
      ok = false;
    } catch (const mrkit::TaskError& e) {
      ok = ok && std::string(e.what()).find("is not registered") != std::string::npos;
    }
    // Still usable afterwards.
    return ok && pool.submit(square, 9).get() == 81;
  }));
}

TEST(Pool, InitializerRunsOncePerWorker) {
  g_initialized = 0;
  mrkit::PoolOptions options;
  options.initializer = [] { ++g_initialized; };
  EXPECT_TRUE(in_pool(
      [](mrkit::Pool& pool) {
        std::vector<int> items(40, 0);
        const auto answers = pool.map(who, items);
        bool ok = answers.size() == 40;
        for (const auto& [rank, inits] : answers) {
          ok = ok && inits == 1 && (world().size() == 1 ? rank == 0 : rank >= 1);
        }
        return ok;
      },
      options));
}

TEST(Pool, RegisteringANameTwiceIsAnError) {
  EXPECT_THROW(mrkit::register_task<long(long)>("test.square", [](long n) { return n; }),
               std::logic_error);
  EXPECT_TRUE(mrkit::task_registered("test.square"));
  EXPECT_FALSE(mrkit::task_registered("test.nothing"));
}
