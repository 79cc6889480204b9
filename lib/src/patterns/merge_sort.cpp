#include "mrkit/patterns/merge_sort.hpp"

#include "mrkit/core/detail/mpi_check.hpp"
#include "mrkit/core/tags.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

namespace mrkit {
namespace {

using detail::check;

std::string_view bytes_of(std::span<const Key> keys) {
  return {reinterpret_cast<const char*>(keys.data()), keys.size() * sizeof(Key)};
}

// The merge of two sorted halves held by two ranks, each rank merging half of the output (the
// "merge path" split): rank 0 of `group` holds A and ends with the whole; rank `right` holds B.
// 1. The left finds i (and j = k - i) such that A[0, i) and B[0, j) are the k = (|A| + |B|) / 2
//    smallest keys, by a binary search that asks the right for one key of B per step.
// 2. The left sends A[i, |A|) to the right, the right sends B[0, j) to the left.
// 3. Both merge at the same time; the right's upper half lands straight in the left's result.
std::optional<std::vector<Key>> merge_together(const boost::mpi::communicator& group, int right,
                                               std::vector<Key>&& mine) {
  const bool is_left = group.rank() == 0;
  const int peer = is_left ? right : 0;
  std::uint64_t my_size = mine.size();
  std::uint64_t peer_size = 0;
  check(MPI_Sendrecv(&my_size, 1, MPI_UINT64_T, peer, tags::merge_split, &peer_size, 1,
                     MPI_UINT64_T, peer, tags::merge_split, group, MPI_STATUS_IGNORE),
        "MPI_Sendrecv");
  const std::uint64_t n = is_left ? my_size : peer_size;  // |A|
  const std::uint64_t m = is_left ? peer_size : my_size;  // |B|
  const std::uint64_t k = (n + m) / 2;
  if (is_left) {
    const std::vector<Key>& a = mine;
    std::uint64_t lo = k > m ? k - m : 0;
    std::uint64_t hi = std::min(k, n);
    while (lo < hi) {  // the smallest i with A[i] >= B[k - i - 1]
      const std::uint64_t i = lo + (hi - lo) / 2;
      const std::uint64_t j = k - i;  // 1 <= j <= m here
      Key b_before = 0;
      check(MPI_Send(&j, 1, MPI_UINT64_T, right, tags::merge_query, group), "MPI_Send");
      check(
          MPI_Recv(&b_before, 1, MPI_INT64_T, right, tags::merge_answer, group, MPI_STATUS_IGNORE),
          "MPI_Recv");
      if (a[static_cast<std::size_t>(i)] < b_before) {
        lo = i + 1;
      } else {
        hi = i;
      }
    }
    const auto i = static_cast<std::size_t>(lo);
    check(MPI_Send(&lo, 1, MPI_UINT64_T, right, tags::merge_split, group), "MPI_Send");
    send_bytes(group, right, tags::merge_part, bytes_of(std::span<const Key>(a).subspan(i)));
    const auto b_head = recv_value<std::vector<Key>>(group, right, tags::merge_part);
    const auto total = static_cast<std::size_t>(n + m);
    std::vector<Key> all;
    if (mine.capacity() >= total) {
      // The mother's array held all keys once: merge into it (its pages are already mapped).
      // A[i, |A|) has gone to the right; A[0, i) moves aside, the lower half is written over it.
      const std::vector<Key> a_head(mine.begin(), mine.begin() + static_cast<std::ptrdiff_t>(i));
      all = std::move(mine);
      all.resize(total);
      std::merge(a_head.begin(), a_head.end(), b_head.begin(), b_head.end(), all.begin());
    } else {
      all.resize(total);
      std::merge(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(i), b_head.begin(),
                 b_head.end(), all.begin());
      std::vector<Key>().swap(mine);
    }
    detail::recv_bytes_into(group, right, tags::merge_part, [&](std::size_t bytes) {
      if (bytes != (total - static_cast<std::size_t>(k)) * sizeof(Key)) {
        throw std::runtime_error("merge_sort: the upper half has the wrong size");
      }
      return reinterpret_cast<char*>(all.data() + k);
    });
    return all;
  }
  const std::vector<Key>& b = mine;
  std::uint64_t i = 0;
  for (;;) {  // answer the left's questions until it knows the split
    MPI_Status status;
    check(MPI_Probe(0, MPI_ANY_TAG, group, &status), "MPI_Probe");
    std::uint64_t value = 0;
    check(MPI_Recv(&value, 1, MPI_UINT64_T, 0, status.MPI_TAG, group, MPI_STATUS_IGNORE),
          "MPI_Recv");
    if (status.MPI_TAG == tags::merge_split) {
      i = value;
      break;
    }
    const Key b_before = b.at(static_cast<std::size_t>(value - 1));
    check(MPI_Send(&b_before, 1, MPI_INT64_T, 0, tags::merge_answer, group), "MPI_Send");
  }
  const auto j = static_cast<std::size_t>(k - i);
  const auto a_tail = recv_value<std::vector<Key>>(group, 0, tags::merge_part);
  send_bytes(group, 0, tags::merge_part, bytes_of(std::span<const Key>(b).first(j)));
  std::vector<Key> upper(a_tail.size() + b.size() - j);
  std::merge(a_tail.begin(), a_tail.end(), b.begin() + static_cast<std::ptrdiff_t>(j), b.end(),
             upper.begin());
  send_bytes(group, 0, tags::merge_part, bytes_of(upper));
  return std::nullopt;
}

}  // namespace

std::string describe_keys(std::span<const Key> keys, std::size_t shown) {
  std::string out = "[";
  if (keys.size() <= shown) {
    for (std::size_t i = 0; i < keys.size(); ++i) out += fmt::format("{}{}", i ? " " : "", keys[i]);
    return out + "]";
  }
  const std::size_t tail = shown / 4;
  for (std::size_t i = 0; i < shown - tail; ++i) out += fmt::format("{} ", keys[i]);
  out += "...";
  for (std::size_t i = keys.size() - tail; i < keys.size(); ++i) out += fmt::format(" {}", keys[i]);
  return out + fmt::format("] ({} keys)", keys.size());
}

std::vector<Key> merge_sort(const boost::mpi::communicator& comm, std::vector<Key> keys,
                            const MergeSortOptions& options, DivideTree* tree) {
  using Keys = std::vector<Key>;
  DivideAndConquer<Keys, Keys> how;
  auto cut_at = [](const Keys& all, double left_share) {
    const auto n = static_cast<double>(all.size());
    return std::min(all.size(), static_cast<std::size_t>(std::llround(n * left_share)));
  };
  how.divide = [cut_at](Keys&& all, double left_share) {
    const std::size_t cut = cut_at(all, left_share);
    Keys right(all.begin() + static_cast<std::ptrdiff_t>(cut), all.end());
    all.resize(cut);
    return std::pair<Keys, Keys>(std::move(all), std::move(right));
  };
  // Across ranks the right part leaves straight from the array; the left part stays in it.
  how.divide_and_send = [cut_at](Keys&& all, double left_share,
                                 const std::function<void(std::string_view)>& send_right) {
    const std::size_t cut = cut_at(all, left_share);
    send_right(bytes_of(std::span<const Key>(all).subspan(cut)));
    all.resize(cut);
    return std::move(all);
  };
  how.solve = [](Keys&& part) {
    std::sort(part.begin(), part.end());
    return std::move(part);
  };
  how.combine = [](Keys&& left, Keys&& right) {
    Keys merged(left.size() + right.size());
    std::merge(left.begin(), left.end(), right.begin(), right.end(), merged.begin());
    return merged;
  };
  if (options.merge_together) how.combine_together = merge_together;
  const std::uint64_t leaf = options.leaf_keys;
  how.is_small = [leaf](const Keys& part, int ranks) {
    if (part.size() < 2) return true;  // nothing to divide
    if (ranks > 1) return false;
    return leaf == 0 || part.size() <= leaf;
  };
  if (options.describe) {
    how.describe_problem = [](const Keys& k) { return describe_keys(k, 8); };
    how.describe_solution = [](const Keys& k) { return describe_keys(k, 8); };
  }
  std::optional<Keys> sorted = divide_and_conquer(comm, std::move(keys), how, tree);
  return sorted ? std::move(*sorted) : Keys{};
}

}  // namespace mrkit
