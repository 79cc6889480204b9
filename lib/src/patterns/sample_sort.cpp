#include "mrkit/patterns/sample_sort.hpp"

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/comm/reduce.hpp"
#include "mrkit/core/detail/mpi_check.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/core/tags.hpp"

#include <mpi.h>
#include <boost/mpi/collectives.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <tuple>

namespace mrkit {
namespace {

// Sample points per rank and per rank of the job: about sample_factor * P * P points in all.
constexpr std::uint64_t sample_factor = 4;

// A key told apart from its equals by where it was before the sort: (key, rank, position).
struct Tagged {
  Key key = 0;
  int rank = 0;
  std::uint64_t index = 0;
  friend bool operator<(const Tagged& a, const Tagged& b) {
    return std::tie(a.key, a.rank, a.index) < std::tie(b.key, b.rank, b.index);
  }
};

}  // namespace

namespace detail {

std::size_t cut_at_splitter(std::span<const Key> sorted, int rank, Key key, int splitter_rank,
                            std::uint64_t index) {
  if (rank < splitter_rank) {
    return static_cast<std::size_t>(std::upper_bound(sorted.begin(), sorted.end(), key) -
                                    sorted.begin());
  }
  if (rank > splitter_rank) {
    return static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), key) -
                                    sorted.begin());
  }
  // The splitter is this rank's key at `index`: everything up to it comes before.
  return static_cast<std::size_t>(std::min<std::uint64_t>(index + 1, sorted.size()));
}

void merge_sorted_runs(std::vector<Key>& keys, std::vector<std::size_t> bounds) {
  // Pairwise passes (log2 of the number of runs), between `keys` and one buffer.
  std::vector<Key> buffer;
  while (bounds.size() > 2) {
    buffer.resize(keys.size());
    std::vector<std::size_t> next{0};
    for (std::size_t i = 0; i + 1 < bounds.size(); i += 2) {
      const std::size_t a = bounds[i], b = bounds[i + 1];
      const std::size_t c = i + 2 < bounds.size() ? bounds[i + 2] : b;
      std::merge(keys.begin() + static_cast<std::ptrdiff_t>(a),
                 keys.begin() + static_cast<std::ptrdiff_t>(b),
                 keys.begin() + static_cast<std::ptrdiff_t>(b),
                 keys.begin() + static_cast<std::ptrdiff_t>(c),
                 buffer.begin() + static_cast<std::ptrdiff_t>(a));
      next.push_back(c);
    }
    keys.swap(buffer);
    bounds = std::move(next);
  }
}

}  // namespace detail

std::vector<Key> sample_sort(const boost::mpi::communicator& comm, std::vector<Key> keys,
                             SampleSortStats* stats) {
  std::sort(keys.begin(), keys.end());
  const int ranks = comm.size();
  const std::uint64_t total = ranks == 1 ? keys.size() : sum_all(comm, keys.size());
  if (stats != nullptr) *stats = SampleSortStats{total, total, 0};
  if (ranks == 1 || total == 0) return keys;
  const auto p = static_cast<std::uint64_t>(ranks);
  const std::uint64_t step = std::max<std::uint64_t>(1, total / (sample_factor * p * p));

  // Every step-th key (positions step - 1, 2 step - 1, ...) to the root, with its position.
  std::string sample;
  {
    ByteWriter out(sample);
    for (std::uint64_t at = step - 1; at < keys.size(); at += step) {
      out.i64(keys[static_cast<std::size_t>(at)]);
      out.u64(at);
    }
  }
  const std::vector<std::string> samples = gather_bytes(comm, sample, mother_rank);
  // The splitters, on the root: i * N / P points along the sorted sample, as (key, rank,
  // position); a missing one (fewer keys than ranks) leaves its range empty.
  std::string splitters;
  std::uint64_t sample_points = 0;
  if (comm.rank() == mother_rank) {
    std::vector<Tagged> points;
    for (int r = 0; r < ranks; ++r) {
      ByteReader in(samples[static_cast<std::size_t>(r)], "torn sample message");
      while (!in.done()) {
        const auto [key, index] = in.get<std::int64_t, std::uint64_t>();
        points.push_back({key, r, index});
      }
    }
    std::sort(points.begin(), points.end());
    sample_points = points.size();
    ByteWriter out(splitters);
    for (std::uint64_t i = 1; i < p; ++i) {
      // floor(i * N / P) without overflow, then the sample point nearest that position.
      const std::uint64_t target = i * (total / p) + i * (total % p) / p;
      const std::uint64_t j =
          std::min<std::uint64_t>(points.size(), target / step + (target % step >= (step + 1) / 2));
      out.u8(j == 0 ? 0 : 1);
      if (j == 0) continue;
      const Tagged& t = points[static_cast<std::size_t>(j - 1)];
      out.i64(t.key);
      out.i32(t.rank);
      out.u64(t.index);
    }
  }
  broadcast_bytes(comm, splitters, mother_rank);

  // Range r of this rank's keys: [bound[r], bound[r + 1]).
  std::vector<std::size_t> bound(static_cast<std::size_t>(ranks) + 1, 0);
  {
    ByteReader in(splitters, "torn splitter message");
    for (std::size_t i = 1; i < static_cast<std::size_t>(ranks); ++i) {
      if (in.u8() == 0) continue;  // bound stays 0: range i - 1 is empty
      const Key key = in.i64();
      const int rank = in.i32();
      const std::uint64_t index = in.u64();
      bound[i] = detail::cut_at_splitter(keys, comm.rank(), key, rank, index);
    }
    bound.back() = keys.size();
    // Missing splitters come first (their j is 0), so the bounds never decrease.
  }
  // Every range straight from `keys` into `received` (no copies on the way): the counts first,
  // then non-blocking sends and receives in pieces of at most max_message_bytes.
  std::vector<std::uint64_t> send_counts(static_cast<std::size_t>(ranks));
  for (std::size_t r = 0; r < send_counts.size(); ++r) send_counts[r] = bound[r + 1] - bound[r];
  std::vector<std::uint64_t> recv_counts;
  boost::mpi::all_to_all(comm, send_counts, recv_counts);
  std::vector<std::size_t> runs{0};
  for (const std::uint64_t n : recv_counts)
    runs.push_back(runs.back() + static_cast<std::size_t>(n));
  std::vector<Key> received(runs.back());
  {
    const std::size_t piece =
        std::max<std::size_t>(1, max_message_bytes() / sizeof(Key));  // keys per message
    std::vector<MPI_Request> requests;
    const auto post = [&](bool send, Key* data, std::size_t count, int peer) {
      for (std::size_t at = 0; at < count; at += piece) {
        const int n = static_cast<int>(std::min(piece, count - at));
        MPI_Request r{};
        if (send) {
          detail::check(
              MPI_Isend(data + at, n, MPI_INT64_T, peer, tags::sample_sort_keys, comm, &r),
              "MPI_Isend");
        } else {
          detail::check(
              MPI_Irecv(data + at, n, MPI_INT64_T, peer, tags::sample_sort_keys, comm, &r),
              "MPI_Irecv");
        }
        requests.push_back(r);
      }
    };
    const auto me = static_cast<std::size_t>(comm.rank());
    for (int r = 0; r < ranks; ++r) {
      const auto q = static_cast<std::size_t>(r);
      if (q != me) post(false, received.data() + runs[q], runs[q + 1] - runs[q], r);
    }
    for (int r = 0; r < ranks; ++r) {
      const auto q = static_cast<std::size_t>(r);
      if (q != me) post(true, keys.data() + bound[q], bound[q + 1] - bound[q], r);
    }
    std::copy(keys.begin() + static_cast<std::ptrdiff_t>(bound[me]),
              keys.begin() + static_cast<std::ptrdiff_t>(bound[me + 1]),
              received.begin() + static_cast<std::ptrdiff_t>(runs[me]));
    if (!requests.empty()) {
      detail::check(
          MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE),
          "MPI_Waitall");
    }
  }
  keys = std::move(received);
  detail::merge_sorted_runs(keys, std::move(runs));
  if (stats != nullptr) {
    stats->largest = boost::mpi::all_reduce(comm, static_cast<std::uint64_t>(keys.size()),
                                            boost::mpi::maximum<std::uint64_t>());
    stats->samples = sample_points;
    boost::mpi::broadcast(comm, stats->samples, mother_rank);
  }
  return keys;
}

}  // namespace mrkit
