#include "mpi_test.hpp"

#include <mrkit/patterns/channel.hpp>
#include <mrkit/patterns/key_value_table.hpp>
#include <mrkit/patterns/shared_queue.hpp>

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <set>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

TEST(Pipe, ValuesArriveInOrderThenTheEnd) {
  const int p = world().size();
  if (p < 2) GTEST_SKIP() << "a pipe joins two ranks";
  const int last = p - 1;
  mrkit::Pipe<std::string> pipe(world(), 0, last);
  bool ok = true;
  const std::vector<std::string> words{"hello", "hey", "hru?", std::string(5000, 'x'), ""};
  if (world().rank() == 0) {
    for (const auto& w : words) pipe.send(w);
    pipe.close();
    ok = pipe.recv() == std::optional<std::string>("thanks") && !pipe.recv() && !pipe.recv();
  } else if (world().rank() == last) {
    std::vector<std::string> got;
    while (auto w = pipe.recv()) got.push_back(*w);
    ok = got == words && pipe.ready() && !pipe.recv();
    pipe.send("thanks");  // duplex: the other way too
    pipe.close();
  } else {
    ok = !pipe.holds_an_end();
  }
  ASSERT_TRUE(all_ranks(ok));
}

TEST(Pipe, WaitWatchesSeveralSenders) {
  // The course's connection.wait example: every other rank sends ten (i, rank) pairs.
  const int p = world().size();
  std::vector<std::unique_ptr<mrkit::Pipe<std::pair<int, int>>>> pipes;
  for (int r = 1; r < p; ++r) {
    pipes.push_back(std::make_unique<mrkit::Pipe<std::pair<int, int>>>(world(), r, 0));
  }
  bool ok = true;
  if (world().rank() == 0) {
    std::vector<mrkit::Pipe<std::pair<int, int>>*> readers;
    for (auto& pp : pipes) readers.push_back(pp.get());
    std::multiset<std::pair<int, int>> got;
    while (!readers.empty()) {
      const auto ready = mrkit::wait_ready(readers);
      ok = ok && !ready.empty();
      std::vector<mrkit::Pipe<std::pair<int, int>>*> still;
      std::set<std::size_t> ready_set(ready.begin(), ready.end());
      for (std::size_t i = 0; i < readers.size(); ++i) {
        if (ready_set.count(i) == 0) {
          still.push_back(readers[i]);
          continue;
        }
        if (auto msg = readers[i]->recv()) {
          got.insert(*msg);
          still.push_back(readers[i]);
        }  // else the end: the reader is removed
      }
      readers = still;
    }
    ok = ok && got.size() == static_cast<std::size_t>(10 * (p - 1));
    for (int r = 1; r < p; ++r) {
      for (int i = 0; i < 10; ++i) ok = ok && got.count({i, r}) == 1;
    }
  } else {
    auto& mine = *pipes[static_cast<std::size_t>(world().rank() - 1)];
    for (int i = 0; i < 10; ++i) mine.send({i, world().rank()});
    mine.close();
  }
  ASSERT_TRUE(all_ranks(ok));
}

TEST(Queue, ProducersAndConsumersOnAnyRanks) {
  const int p = world().size();
  const int me = world().rank();
  for (const int host : {0, p - 1}) {
    mrkit::Queue<std::vector<int>> q(world(), host);
    // Every rank puts ten items; the two last ranks also consume everything between them.
    for (int i = 0; i < 10; ++i) q.put({me, i});
    q.close();
    std::vector<std::vector<int>> got;
    const bool consumer = me >= p - 2;
    if (consumer) {
      while (auto item = q.get()) got.push_back(*item);
    }
    q.join();
    // Items of one producer come out in the order put.
    bool ok = true;
    for (int r = 0; r < p; ++r) {
      int next = -1;
      for (const auto& item : got) {
        if (item[0] != r) continue;
        ok = ok && item[1] > next;
        next = item[1];
      }
    }
    std::uint64_t mine = got.size();
    std::uint64_t total = 0;
    boost::mpi::all_reduce(world(), mine, total, std::plus<std::uint64_t>());
    ok = ok && total == static_cast<std::uint64_t>(10 * p);
    ASSERT_TRUE(all_ranks(ok)) << "host " << host;
  }
}

TEST(Queue, TheCoursesSquaresInOrder) {
  // p1 puts the squares of [1, 2, 3, 4], then p2 reads until the queue is empty.
  const int p = world().size();
  const int producer = p > 1 ? 1 : 0;
  const int consumer = p > 2 ? 2 : 0;
  mrkit::Queue<int> q(world());
  if (world().rank() == producer) {
    for (const int n : {1, 2, 3, 4}) q.put(n * n);
  }
  q.close();
  std::vector<int> got;
  if (world().rank() == consumer) {
    while (auto n = q.get()) got.push_back(*n);
  }
  q.join();
  const bool ok = world().rank() != consumer || got == std::vector<int>{1, 4, 9, 16};
  ASSERT_TRUE(all_ranks(ok));
}

TEST(KeyValueTable, EveryRankSeesEveryRanksEntries) {
  const int p = world().size();
  const int me = world().rank();
  mrkit::KeyValueTable<std::string, long> table(world());
  for (int i = 0; i < 50; ++i)
    table.set("r" + std::to_string(me) + "-" + std::to_string(i), i * me);
  table.set("shared", 7);  // every rank writes the same key: one of them wins
  table.synchronize();
  bool ok = true;
  for (int r = 0; r < p; ++r) {
    for (int i = 0; i < 50; i += 7) {
      ok = ok && table.get("r" + std::to_string(r) + "-" + std::to_string(i)) == i * r;
    }
  }
  ok = ok && table.get("shared") == 7 && !table.get("nobody");
  table.synchronize();
  if (me == 0) ok = ok && table.erase("shared") && !table.erase("shared");
  const auto all = table.gather(0);
  if (me == 0) {
    ok = ok && all.size() == static_cast<std::size_t>(50 * p) && all.count("shared") == 0 &&
         all.at("r" + std::to_string(p - 1) + "-3") == 3 * (p - 1);
  } else {
    ok = ok && all.empty();
  }
  ASSERT_TRUE(all_ranks(ok));
}
