#include "mpi_test.hpp"

#include <mrkit/comm/chunked_messages.hpp>
#include <mrkit/comm/reduce.hpp>
#include <mrkit/text/word_reduce.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

namespace {

// Item i (a task, not a rank) contributes word_of(i) with count 1 + i % 5; ranks take items
// cyclically, so the global table is the same at every rank count.
std::string word_of(std::uint64_t i) {
  return "k" + std::to_string((i * 7919) % 3001);
}
constexpr std::uint64_t items = 20000;

mrkit::WordCounts local_table() {
  mrkit::WordCounts t;
  for (std::uint64_t i = static_cast<std::uint64_t>(world().rank()); i < items;
       i += static_cast<std::uint64_t>(world().size())) {
    t.add(word_of(i), 1 + i % 5);
  }
  return t;
}

std::map<std::string, std::uint64_t> reference() {
  std::map<std::string, std::uint64_t> m;
  for (std::uint64_t i = 0; i < items; ++i) m[word_of(i)] += 1 + i % 5;
  return m;
}

// Restores the 1 GiB piece size even when a test fails.
struct PieceSize {
  explicit PieceSize(std::size_t bytes) { mrkit::set_max_message_bytes(bytes); }
  ~PieceSize() { mrkit::set_max_message_bytes(0); }
};

}  // namespace

class ReduceTest : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ReduceTest, SumsAreExactIn64Bits) {
  PieceSize piece(GetParam());
  const auto r = static_cast<std::uint64_t>(world().rank());
  const std::uint64_t big = std::uint64_t{1} << 40;
  EXPECT_EQ(mrkit::sum_all(world(), big + r),
            big * world().size() + world().size() * (world().size() - 1) / 2);
  std::vector<std::uint64_t> v(37);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = big * i + r;
  mrkit::sum_to_root(world(), v, 0);
  bool ok = true;
  if (world().rank() == 0) {
    const auto p = static_cast<std::uint64_t>(world().size());
    for (std::size_t i = 0; i < v.size(); ++i) ok = ok && v[i] == p * big * i + p * (p - 1) / 2;
  }
  EXPECT_TRUE(all_ranks(ok));
}

TEST_P(ReduceTest, PartitionedExchangeGivesEachWordToOneOwner) {
  PieceSize piece(GetParam());
  const mrkit::WordCounts mine = mrkit::exchange_word_counts(world(), local_table());
  bool ok = true;
  mine.for_each([&](std::string_view, std::uint64_t, std::uint64_t h) {
    ok = ok && mrkit::WordCounts::owner(h, world().size()) == world().rank();
  });
  EXPECT_TRUE(all_ranks(ok)) << "a word landed on a rank that does not own it";
  // All partitions together are the reference table.
  const auto top = mrkit::gather_top_k(world(), mine, 0, 0);
  bool same = true;
  if (world().rank() == 0) {
    const auto ref = reference();
    same = top.size() == ref.size();
    for (const auto& w : top) same = same && ref.at(w.word) == w.count;
    for (std::size_t i = 1; i < top.size(); ++i)
      same = same && mrkit::more_frequent(top[i - 1], top[i]);
  }
  EXPECT_TRUE(all_ranks(same));
}

TEST_P(ReduceTest, TopKIsTheSameAsTheSerialTopK) {
  PieceSize piece(GetParam());
  const auto mine = mrkit::exchange_word_counts(world(), local_table());
  const auto top = mrkit::gather_top_k(world(), mine, 10, 0);
  bool ok = true;
  if (world().rank() == 0) {
    std::vector<mrkit::WordCount> all;
    for (const auto& [w, c] : reference()) all.push_back({w, c});
    mrkit::keep_top_k(all, 10);
    ok = top == all;
  }
  EXPECT_TRUE(all_ranks(ok));
}

TEST_P(ReduceTest, TreeMergeGivesTheRootTheWholeTable) {
  PieceSize piece(GetParam());
  for (int root = 0; root < world().size(); ++root) {
    const auto merged = mrkit::tree_merge_word_counts(world(), local_table(), root);
    bool ok = true;
    if (world().rank() == root) {
      const auto ref = reference();
      ok = merged.size() == ref.size();
      for (const auto& [w, c] : ref) ok = ok && merged.count(w) == c;
    } else {
      ok = merged.empty();
    }
    EXPECT_TRUE(all_ranks(ok)) << "root " << root;
  }
}

TEST_P(ReduceTest, ChunkedMessagesArriveWhole) {
  PieceSize piece(GetParam());
  const int p = world().size();
  const int me = world().rank();
  auto payload = [](int from, int to) {
    return std::string(static_cast<std::size_t>(100 * from + 7 * to + 3),
                       static_cast<char>('a' + from));
  };
  std::vector<std::string> out;
  for (int r = 0; r < p; ++r) out.push_back(payload(me, r));
  const auto in = mrkit::exchange_bytes(world(), out);
  bool ok = in.size() == static_cast<std::size_t>(p);
  for (int r = 0; ok && r < p; ++r) ok = in[static_cast<std::size_t>(r)] == payload(r, me);
  EXPECT_TRUE(all_ranks(ok)) << "exchange";

  const auto gathered = mrkit::gather_bytes(world(), payload(me, 0), p - 1);
  ok = true;
  if (me == p - 1) {
    for (int r = 0; r < p; ++r) ok = ok && gathered[static_cast<std::size_t>(r)] == payload(r, 0);
  }
  EXPECT_TRUE(all_ranks(ok)) << "gather";

  std::string b = me == 0 ? std::string(1001, 'z') : std::string("stale");
  mrkit::broadcast_bytes(world(), b, 0);
  EXPECT_TRUE(all_ranks(b == std::string(1001, 'z'))) << "broadcast";

  if (p > 1) {
    if (me == 0) mrkit::send_bytes(world(), 1, 5, std::string(999, 'q'));
    ok = true;
    if (me == 1) ok = mrkit::recv_bytes(world(), 0, 5) == std::string(999, 'q');
    EXPECT_TRUE(all_ranks(ok)) << "send/recv";
  }
}

// 0: the default 1 GiB pieces; 3 and 8 bytes: every payload cut into many pieces.
INSTANTIATE_TEST_SUITE_P(PieceSizes, ReduceTest, ::testing::Values(0, 3, 8),
                         [](const auto& p) { return "piece" + std::to_string(p.param); });
