// The engine under a memory budget (issue 17) at 1 to 4 ranks: reduce_by_key and group_by_key
// with every table spilled to disk (force_spill) and with a 1 MiB budget that the tables
// outgrow must give the serial std::map reference exactly, each key on its owner, with bytes
// spilled and read back, exchange rounds bounded, and the scratch directory empty afterwards.
#include "mpi_test.hpp"

#include <mrkit/core/runtime.hpp>
#include <mrkit/mapreduce.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t tasks = 23;

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Task t emits `per_task` pairs (key "k<n>", n < distinct, skewed: n = r * r % distinct for a
// uniform r, unless `uniform`; value t * 1000 + i).
template <class Emit>
void emit_task(std::uint64_t task, std::uint64_t per_task, std::uint64_t distinct, Emit&& emit,
               bool uniform = false) {
  std::uint64_t state = task * 7919 + 3;
  for (std::uint64_t i = 0; i < per_task; ++i) {
    const std::uint64_t r = splitmix(state) % distinct;
    emit("k" + std::to_string(uniform ? r : r * r % distinct), task * 1000 + i);
  }
}

template <class K, class V>
bool on_their_owners(const mrkit::KeyValues<K, V>& result) {
  const mrkit::KeyHash<K> hash;
  for (const auto& entry : result.local()) {
    if (mrkit::owner_rank(hash(entry.first), world().size()) != world().rank()) return false;
  }
  return true;
}

template <class Pair, class Map>
bool gathered_equals(const std::vector<Pair>& all, const Map& want) {
  if (world().rank() != 0) return all.empty();
  return all == std::vector<Pair>(want.begin(), want.end());
}

std::map<std::string, std::uint64_t> reference_sums(std::uint64_t per_task, std::uint64_t distinct,
                                                    bool uniform = false) {
  std::map<std::string, std::uint64_t> want;
  for (std::uint64_t t = 0; t < tasks; ++t) {
    emit_task(
        t, per_task, distinct, [&](const std::string& k, std::uint64_t v) { want[k] += v; },
        uniform);
  }
  return want;
}

bool scratch_left_empty(const std::string& dir) {
  return fs::is_empty(dir);
}

}  // namespace

TEST(Spilling, ForcedSpillingGivesTheInMemoryResult) {
  const auto want = reference_sums(400, 300);
  const std::string tmp = mrkit::testing::shared_temp_dir();
  for (const auto schedule : {mrkit::Schedule::static_blocks, mrkit::Schedule::dynamic}) {
    mrkit::SpillStats stats;
    mrkit::JobOptions options;
    options.schedule = schedule;
    options.force_spill = true;
    options.tmpdir = tmp;
    options.spill_stats = &stats;
    mrkit::RankTimer timer;
    options.timer = &timer;
    auto sums = mrkit::reduce_by_key<std::string, std::uint64_t>(
        world(), tasks,
        [](std::uint64_t task, auto& emit) {
          emit_task(task, 400, 300, [&](const std::string& k, std::uint64_t v) { emit(k, v); });
        },
        std::plus<>{}, options);
    const std::uint64_t my_tasks = timer.snapshot(world().rank()).tasks;
    bool ok = on_their_owners(sums) && gathered_equals(sums.gather(), want);
    ok = ok && stats.runs == my_tasks && (my_tasks == 0 || stats.spilled_bytes > 0) &&
         stats.read_bytes == stats.spilled_bytes && stats.rounds >= 1;
    world().barrier();
    ok = ok && scratch_left_empty(tmp);
    ASSERT_TRUE(all_ranks(ok)) << "runs " << stats.runs << " of " << my_tasks << " tasks, spilled "
                               << stats.spilled_bytes << ", read " << stats.read_bytes;
  }
}

TEST(Spilling, ATableOverItsShareOfASmallBudgetSpillsAndTheExchangeGoesInRounds) {
  // About 200000 distinct keys over all ranks: well over half of a 1 MiB budget on every rank.
  const std::uint64_t per_task = 12000;
  const std::uint64_t distinct = 200000;
  const auto want = reference_sums(per_task, distinct, true);
  const std::string tmp = mrkit::testing::shared_temp_dir();
  mrkit::SpillStats stats;
  mrkit::JobOptions options;
  options.schedule = mrkit::Schedule::static_blocks;
  options.memory_bytes = mrkit::minimum_memory_bytes;
  options.tmpdir = tmp;
  options.spill_stats = &stats;
  auto sums = mrkit::reduce_by_key<std::string, std::uint64_t>(
      world(), tasks,
      [&](std::uint64_t task, auto& emit) {
        emit_task(
            task, per_task, distinct, [&](const std::string& k, std::uint64_t v) { emit(k, v); },
            true);
      },
      std::plus<>{}, options);
  bool ok = on_their_owners(sums) && gathered_equals(sums.gather(), want);
  // Every key crosses the exchange at least once, and a round carries at most a quarter of the
  // budget from each rank (plus one pair per destination): at least this many rounds.
  std::uint64_t key_bytes = 0;
  for (const auto& [k, v] : want) key_bytes += 8 + k.size() + 8;
  const auto ranks = static_cast<std::uint64_t>(world().size());
  const std::uint64_t per_round = ranks * (mrkit::minimum_memory_bytes / 4 + ranks * 64);
  ok = ok && stats.budget_bytes == mrkit::minimum_memory_bytes && stats.runs >= 2 &&
       stats.spilled_bytes > 0 && stats.read_bytes == stats.spilled_bytes && stats.rounds >= 2 &&
       stats.rounds >= key_bytes / per_round;
  world().barrier();
  ok = ok && scratch_left_empty(tmp);
  ASSERT_TRUE(all_ranks(ok)) << "runs " << stats.runs << ", spilled " << stats.spilled_bytes
                             << ", rounds " << stats.rounds;
}

TEST(Spilling, GroupByKeyForcedSpillingKeepsEveryValue) {
  std::map<std::string, std::vector<std::uint64_t>> want;
  for (std::uint64_t t = 0; t < tasks; ++t) {
    emit_task(t, 300, 97, [&](const std::string& k, std::uint64_t v) { want[k].push_back(v); });
  }
  for (auto& entry : want) std::sort(entry.second.begin(), entry.second.end());
  const std::string tmp = mrkit::testing::shared_temp_dir();
  mrkit::JobOptions options;
  options.force_spill = true;
  options.tmpdir = tmp;
  auto groups = mrkit::group_by_key<std::string, std::uint64_t>(
      world(), tasks,
      [](std::uint64_t task, auto& emit) {
        emit_task(task, 300, 97, [&](const std::string& k, std::uint64_t v) { emit(k, v); });
      },
      options);
  bool ok = on_their_owners(groups) && gathered_equals(groups.gather(), want);
  world().barrier();
  ok = ok && scratch_left_empty(tmp);
  ASSERT_TRUE(all_ranks(ok));
}

TEST(Spilling, AMissingScratchParentIsAnErrorOnEveryRank) {
  mrkit::JobOptions options;
  options.tmpdir = mrkit::testing::shared_temp_dir() + "/missing";
  std::string message;
  try {
    (void)mrkit::reduce_by_key<std::string, std::uint64_t>(
        world(), tasks, [](std::uint64_t, auto& emit) { emit(std::string("a"), 1U); },
        std::plus<>{}, options);
  } catch (const mrkit::CollectiveError& e) {
    message = e.what();
  }
  const bool ok = message.find("cannot create a scratch directory in '" + options.tmpdir + "'") !=
                  std::string::npos;
  ASSERT_TRUE(all_ranks(ok)) << message;
}

TEST(Spilling, ABudgetBelowTheMinimumIsRefused) {
  mrkit::JobOptions options;
  options.memory_bytes = 1000;
  bool refused = false;
  try {
    (void)mrkit::reduce_by_key<std::string, std::uint64_t>(
        world(), tasks, [](std::uint64_t, auto& emit) { emit(std::string("a"), 1U); },
        std::plus<>{}, options);
  } catch (const mrkit::UsageError& e) {
    refused = std::string(e.what()).find("at least 1 MiB") != std::string::npos;
  }
  ASSERT_TRUE(all_ranks(refused));
}

TEST(Spilling, CountByKeyForcedAndUnderASmallBudgetGivesTheInMemoryCounts) {
  std::map<std::string, std::uint64_t> want;
  for (std::uint64_t t = 0; t < tasks; ++t) {
    emit_task(
        t, 12000, 200000, [&](const std::string& k, std::uint64_t v) { want[k] += v % 7; }, true);
  }
  std::erase_if(want, [](const auto& e) { return e.second == 0; });
  for (const bool force : {true, false}) {
    const std::string tmp = mrkit::testing::shared_temp_dir();
    mrkit::SpillStats stats;
    mrkit::JobOptions options;
    options.force_spill = force;
    options.memory_bytes = mrkit::minimum_memory_bytes;
    options.tmpdir = tmp;
    options.spill_stats = &stats;
    auto counts = mrkit::count_by_key(
        world(), tasks,
        [](std::uint64_t task, auto& emit) {
          emit_task(
              task, 12000, 200000, [&](const std::string& k, std::uint64_t v) { emit(k, v % 7); },
              true);
        },
        options);
    bool ok = on_their_owners(counts) && gathered_equals(counts.gather(), want);
    ok = ok && stats.runs >= 1 && stats.read_bytes == stats.spilled_bytes && stats.rounds >= 2;
    world().barrier();
    ok = ok && scratch_left_empty(tmp);
    ASSERT_TRUE(all_ranks(ok)) << "force " << force << ": runs " << stats.runs << ", spilled "
                               << stats.spilled_bytes << ", rounds " << stats.rounds;
  }
}

TEST(Spilling, ManyRunsAreMergedInLevelsAndStayExact) {
  // 700 tasks, each spilled: at 1 rank 700 runs, merged 16 at a time into levels 1 and 2.
  const std::uint64_t many = 700;
  std::map<std::string, std::uint64_t> want;
  for (std::uint64_t t = 0; t < many; ++t) {
    emit_task(t, 40, 500, [&](const std::string& k, std::uint64_t v) { want[k] += v; });
  }
  const std::string tmp = mrkit::testing::shared_temp_dir();
  mrkit::SpillStats stats;
  mrkit::JobOptions options;
  options.force_spill = true;
  options.tmpdir = tmp;
  options.spill_stats = &stats;
  auto sums = mrkit::reduce_by_key<std::string, std::uint64_t>(
      world(), many,
      [](std::uint64_t task, auto& emit) {
        emit_task(task, 40, 500, [&](const std::string& k, std::uint64_t v) { emit(k, v); });
      },
      std::plus<>{}, options);
  bool ok = on_their_owners(sums) && gathered_equals(sums.gather(), want);
  ok = ok && stats.read_bytes == stats.spilled_bytes;
  world().barrier();
  ok = ok && scratch_left_empty(tmp);
  ASSERT_TRUE(all_ranks(ok)) << "runs " << stats.runs << ", spilled " << stats.spilled_bytes
                             << ", read " << stats.read_bytes;
}
