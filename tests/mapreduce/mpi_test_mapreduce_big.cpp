// A job with 10 million distinct keys (issue 16), at 2 ranks in CI: every key reaches exactly
// one rank with its exact total, the keys spread over the ranks, and the distinct count is
// 10 million: 64-bit integer keys through reduce_by_key; 2 million string keys through
// count_by_key. Each key is emitted by two different tasks, so the combine across ranks is
// exercised. Label `slow`.
#include "mpi_test.hpp"

#include <mrkit/mapreduce.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

namespace {

constexpr std::uint64_t mrkit_test_keys = 10'000'000;
constexpr std::uint64_t string_keys = 2'000'000;
constexpr std::uint64_t tasks = 64;

// Task t emits the keys k with k % tasks == t (value k + 1), and the keys k with
// k % tasks == (t + 1) % tasks (value 1): each key from two tasks, total k + 2.
template <class Emit>
void emit_task(std::uint64_t task, Emit&& emit, std::uint64_t keys = mrkit_test_keys) {
  for (std::uint64_t k = task; k < keys; k += tasks) emit(k, k + 1);
  for (std::uint64_t k = (task + 1) % tasks; k < keys; k += tasks) emit(k, std::uint64_t{1});
}

}  // namespace

TEST(BigJob, TenMillionDistinctIntegerKeys) {
  constexpr std::uint64_t keys = mrkit_test_keys;
  auto sums = mrkit::reduce_by_key<std::uint64_t, std::uint64_t>(
      world(), tasks, [](std::uint64_t task, auto& emit) { emit_task(task, emit); }, std::plus<>{});
  bool ok = true;
  std::uint64_t mine = 0;
  const mrkit::KeyHash<std::uint64_t> hash;
  for (const auto& [k, v] : sums.local()) {
    ok = ok && v == k + 2 && k < keys &&
         mrkit::owner_rank(hash(k), world().size()) == world().rank();
    ++mine;
  }
  const std::uint64_t total = sums.size();
  // Each rank holds a share near keys / P.
  const double share = static_cast<double>(mine) / (static_cast<double>(keys) / world().size());
  ok = ok && total == keys && share > 0.9 && share < 1.1;
  ASSERT_TRUE(all_ranks(ok)) << "rank " << world().rank() << ": " << mine << " keys of " << total;
}

TEST(BigJob, TwoMillionDistinctStringKeys) {
  constexpr std::uint64_t keys = string_keys;
  auto counts = mrkit::count_by_key(world(), tasks, [](std::uint64_t task, auto& emit) {
    emit_task(
        task, [&](std::uint64_t k, std::uint64_t n) { emit(std::to_string(k), n); }, keys);
  });
  bool ok = true;
  for (const auto& [w, n] : counts.local()) ok = ok && n == std::stoull(w) + 2;
  ok = ok && counts.size() == keys;
  const auto top = counts.top_k(3, mrkit::by_value_descending);
  if (world().rank() == 0) {
    ok = ok && top.size() == 3 && top[0].first == std::to_string(keys - 1) &&
         top[2].second == keys - 1;
  }
  ASSERT_TRUE(all_ranks(ok));
}
