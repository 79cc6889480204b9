// sample_sort_on_disk: the sample sort of sample_sort.cpp with runs in a scratch directory, for
// keys that do not fit in memory. The steps and their memory are in the header.
#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/comm/reduce.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/io/scratch_dir.hpp"
#include "mrkit/patterns/sample_sort.hpp"

#include <fmt/format.h>
#include <boost/mpi/collectives.hpp>

#include <algorithm>
#include <exception>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace mrkit {
namespace {

constexpr std::uint64_t minimum_disk_sort_bytes = std::uint64_t{64} << 10;

// Runs `fn` (this rank's own work: reading, writing scratch files) and agrees on its outcome:
// if any rank failed, every rank throws the lowest failing rank's message, so no rank is left
// waiting in the next collective.
void locally(const boost::mpi::communicator& comm, const std::function<void()>& fn) {
  std::string problem;
  ExitCode code = ExitCode::failure;
  try {
    fn();
  } catch (const CollectiveError& e) {
    problem = e.what();
    code = e.code();
  } catch (const std::exception& e) {
    problem = e.what();
  }
  agree(comm, problem.empty(), problem, code);
}

// A sorted run of keys: keys [first, first + count) of scratch file `file`.
struct Run {
  std::size_t file = 0;
  std::uint64_t first = 0;
  std::uint64_t count = 0;
};

// A key told apart from its equals by where it was: (key, rank, run, position in the run).
struct Tagged {
  Key key = 0;
  int rank = 0;
  std::uint64_t run = 0;
  std::uint64_t index = 0;
  friend bool operator<(const Tagged& a, const Tagged& b) {
    return std::tie(a.key, a.rank, a.run, a.index) < std::tie(b.key, b.rank, b.run, b.index);
  }
};

// The scratch files of one rank, written once, then read at positions (in keys).
class RunFiles {
 public:
  explicit RunFiles(const ScratchDir& scratch) : scratch_(scratch) {}

  std::size_t create(std::string_view stem, std::size_t buffer_bytes) {
    paths_.push_back(scratch_.new_file_path(stem));
    writers_.push_back(
        std::make_unique<SpillFileWriter>(paths_.back(), scratch_.path(), buffer_bytes));
    readers_.emplace_back();
    return paths_.size() - 1;
  }
  void append(std::size_t file, std::span<const Key> keys) {
    writers_[file]->write({reinterpret_cast<const char*>(keys.data()), keys.size_bytes()});
    bytes_ += keys.size_bytes();
  }
  void close(std::size_t file) {
    writers_[file]->close();
    writers_[file].reset();
  }
  void read(std::size_t file, std::uint64_t at, std::span<Key> to) {
    if (to.empty()) return;
    if (!readers_[file]) readers_[file] = std::make_unique<SpillFileReader>(paths_[file]);
    readers_[file]->read_at(at * sizeof(Key), reinterpret_cast<char*>(to.data()), to.size_bytes());
  }
  Key key(std::size_t file, std::uint64_t at) {
    Key k = 0;
    read(file, at, {&k, 1});
    return k;
  }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  const ScratchDir& scratch_;
  std::vector<std::string> paths_;
  std::vector<std::unique_ptr<SpillFileWriter>> writers_;
  std::vector<std::unique_ptr<SpillFileReader>> readers_;
  std::uint64_t bytes_ = 0;
};

// The end of the keys of `run` (rank `rank`, number `index` of its runs) that come before or at
// `s`, in the order of Tagged: a binary search over the file.
std::uint64_t cut_run(RunFiles& files, const Run& run, int rank, std::uint64_t index,
                      const Tagged& s) {
  const auto here = std::make_pair(rank, index);
  const auto there = std::make_pair(s.rank, s.run);
  if (here == there) return std::min<std::uint64_t>(s.index + 1, run.count);
  const bool upper = here < there;  // equal keys of an earlier run come before the splitter
  std::uint64_t lo = 0, hi = run.count;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    const Key k = files.key(run.file, run.first + mid);
    if (upper ? k <= s.key : k < s.key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// One run's keys in order, through a buffer.
struct Cursor {
  Run run;
  std::uint64_t next = 0;  // the next key of the run to read into the buffer
  std::vector<Key> buffer;
  std::size_t at = 0;

  bool refill(RunFiles& files, std::size_t buffer_keys) {
    const std::uint64_t left = run.count - next;
    if (left == 0) return false;
    buffer.resize(static_cast<std::size_t>(std::min<std::uint64_t>(buffer_keys, left)));
    files.read(run.file, run.first + next, buffer);
    next += buffer.size();
    at = 0;
    return true;
  }
};

}  // namespace

void sample_sort_on_disk(const boost::mpi::communicator& comm,
                         const std::function<std::size_t(std::span<Key>)>& read,
                         const std::function<void(std::uint64_t, std::uint64_t)>& place,
                         const std::function<void(std::span<const Key>)>& write,
                         const DiskSortOptions& options, DiskSortStats* stats) {
  if (options.memory_bytes < minimum_disk_sort_bytes) {
    throw UsageError(
        fmt::format("a memory budget of {} bytes is too small to sort on disk: it "
                    "needs at least {} bytes per rank",
                    options.memory_bytes, minimum_disk_sort_bytes));
  }
  const int ranks = comm.size();
  const int me = comm.rank();
  const auto p = static_cast<std::uint64_t>(ranks);
  std::unique_ptr<ScratchDir> scratch;
  std::unique_ptr<RunFiles> files;
  locally(comm, [&] {
    scratch = std::make_unique<ScratchDir>(options.tmpdir);
    files = std::make_unique<RunFiles>(*scratch);
  });
  const std::size_t write_buffer = static_cast<std::size_t>(
      std::min<std::uint64_t>(std::uint64_t{1} << 20, options.memory_bytes / 16));

  // 1. Sorted runs of half the budget each.
  std::vector<Run> runs;
  std::uint64_t mine = 0;
  locally(comm, [&] {
    std::vector<Key> buffer(
        static_cast<std::size_t>(std::max<std::uint64_t>(1, options.memory_bytes / 2 / 8)));
    for (;;) {
      std::size_t n = 0;
      while (n < buffer.size()) {
        const std::size_t got = read(std::span<Key>(buffer).subspan(n));
        if (got == 0) break;
        n += got;
      }
      if (n == 0) break;
      std::sort(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      const std::size_t file = files->create("run", write_buffer);
      files->append(file, std::span<const Key>(buffer).first(n));
      files->close(file);
      runs.push_back({file, 0, n});
      mine += n;
      if (n < buffer.size()) break;
    }
  });
  const std::uint64_t total = ranks == 1 ? mine : sum_all(comm, mine);
  // Denser samples than in memory, as every run's sampling is off by up to a step: 4 P^2 points
  // per run of the rank with the most (up to 16), so ranges stay within about 1.25x the mean.
  const std::uint64_t most_runs = boost::mpi::all_reduce(
      comm, static_cast<std::uint64_t>(runs.size()), boost::mpi::maximum<std::uint64_t>());
  const std::uint64_t step =
      std::max<std::uint64_t>(1, total / (4 * p * p * std::clamp<std::uint64_t>(most_runs, 1, 16)));

  // 2. Splitters from every step-th key of every run, tagged (rank, run, position).
  std::vector<std::uint64_t> bound;  // run i, range d: [bound[i (P+1) + d], bound[i (P+1) + d + 1])
  const auto at = [&](std::size_t run, std::size_t range) -> std::uint64_t& {
    return bound[run * (static_cast<std::size_t>(ranks) + 1) + range];
  };
  bound.assign(runs.size() * (static_cast<std::size_t>(ranks) + 1), 0);
  for (std::size_t i = 0; i < runs.size(); ++i)
    at(i, static_cast<std::size_t>(ranks)) = runs[i].count;
  if (ranks > 1 && total > 0) {
    std::string sample;
    locally(comm, [&] {
      ByteWriter out(sample);
      for (std::size_t i = 0; i < runs.size(); ++i) {
        for (std::uint64_t k = step - 1; k < runs[i].count; k += step) {
          out.i64(files->key(runs[i].file, runs[i].first + k));
          out.u64(i);
          out.u64(k);
        }
      }
    });
    const std::vector<std::string> samples = gather_bytes(comm, sample, mother_rank);
    std::string splitters;
    if (me == mother_rank) {
      std::vector<Tagged> points;
      for (int r = 0; r < ranks; ++r) {
        ByteReader in(samples[static_cast<std::size_t>(r)], "torn sample message");
        while (!in.done()) {
          const auto [key, run, index] = in.get<std::int64_t, std::uint64_t, std::uint64_t>();
          points.push_back({key, r, run, index});
        }
      }
      std::sort(points.begin(), points.end());
      ByteWriter out(splitters);
      for (std::uint64_t i = 1; i < p; ++i) {
        const std::uint64_t target = i * (total / p) + i * (total % p) / p;
        const std::uint64_t j = std::min<std::uint64_t>(
            points.size(), target / step + (target % step >= (step + 1) / 2));
        out.u8(j == 0 ? 0 : 1);
        if (j == 0) continue;
        const Tagged& t = points[static_cast<std::size_t>(j - 1)];
        out.i64(t.key);
        out.i32(t.rank);
        out.u64(t.run);
        out.u64(t.index);
      }
    }
    broadcast_bytes(comm, splitters, mother_rank);
    locally(comm, [&] {
      ByteReader in(splitters, "torn splitter message");
      for (std::size_t d = 1; d < static_cast<std::size_t>(ranks); ++d) {
        if (in.u8() == 0) continue;  // a missing splitter (fewer keys than ranks): range d-1 empty
        Tagged s;
        s.key = in.i64();
        s.rank = in.i32();
        s.run = in.u64();
        s.index = in.u64();
        for (std::size_t i = 0; i < runs.size(); ++i) at(i, d) = cut_run(*files, runs[i], me, i, s);
      }
    });
  }

  // 3. Every range to its rank, in rounds of pieces; what a rank receives from each rank is one
  // file of sorted segments (one per run of the sender).
  std::vector<Run> received;
  if (ranks == 1) {
    received = runs;
  } else {
    std::vector<std::string> heads(static_cast<std::size_t>(ranks));
    std::uint64_t longest = 0;  // the most keys this rank sends to one rank
    for (std::size_t d = 0; d < heads.size(); ++d) {
      ByteWriter out(heads[d]);
      std::uint64_t sum = 0;
      for (std::size_t i = 0; i < runs.size(); ++i) {
        out.u64(at(i, d + 1) - at(i, d));
        sum += at(i, d + 1) - at(i, d);
      }
      longest = std::max(longest, sum);
    }
    const std::vector<std::string> incoming_heads = exchange_bytes(comm, heads);
    const std::uint64_t piece_keys =
        std::max<std::uint64_t>(1, options.memory_bytes / (8 * p) / sizeof(Key));
    const std::uint64_t rounds =
        (boost::mpi::all_reduce(comm, longest, boost::mpi::maximum<std::uint64_t>()) + piece_keys -
         1) /
        piece_keys;
    std::vector<std::size_t> from(static_cast<std::size_t>(ranks));
    locally(comm, [&] {
      for (int s = 0; s < ranks; ++s) {
        from[static_cast<std::size_t>(s)] = files->create("from", write_buffer / p + 1);
        ByteReader in(incoming_heads[static_cast<std::size_t>(s)], "torn segment header");
        std::uint64_t first = 0;
        while (!in.done()) {
          const std::uint64_t count = in.u64();
          if (count > 0) received.push_back({from[static_cast<std::size_t>(s)], first, count});
          first += count;
        }
      }
    });
    // Where each destination's stream stands: run i, key k of range d.
    std::vector<std::pair<std::size_t, std::uint64_t>> cursor(static_cast<std::size_t>(ranks));
    // (each starts at run 0, key 0: moved to the range's start as it goes)
    for (std::uint64_t round = 0; round < rounds; ++round) {
      std::vector<std::string> outgoing(static_cast<std::size_t>(ranks));
      locally(comm, [&] {
        std::vector<Key> piece;
        for (std::size_t d = 0; d < outgoing.size(); ++d) {
          auto& [i, k] = cursor[d];
          std::uint64_t room = piece_keys;
          while (room > 0 && i < runs.size()) {
            if (k < at(i, d)) k = at(i, d);
            const std::uint64_t left = at(i, d + 1) - k;
            if (left == 0) {
              ++i;
              if (i < runs.size()) k = at(i, d);
              continue;
            }
            const auto n = static_cast<std::size_t>(std::min(left, room));
            piece.resize(n);
            files->read(runs[i].file, runs[i].first + k, piece);
            outgoing[d].append(reinterpret_cast<const char*>(piece.data()), n * sizeof(Key));
            k += n;
            room -= n;
          }
        }
      });
      std::vector<std::string> incoming = exchange_bytes(comm, outgoing);
      outgoing = {};
      locally(comm, [&] {
        for (std::size_t s = 0; s < incoming.size(); ++s) {
          const std::string& b = incoming[s];
          if (b.size() % sizeof(Key) != 0) throw std::runtime_error("torn key piece");
          files->append(from[s], {reinterpret_cast<const Key*>(b.data()), b.size() / sizeof(Key)});
        }
      });
    }
    locally(comm, [&] {
      for (const std::size_t f : from) files->close(f);
    });
  }

  // 4. This rank's range: its place, then the merge of its runs.
  std::uint64_t count = 0;
  for (const Run& r : received) count += r.count;
  std::uint64_t first = 0;
  if (ranks > 1) {
    std::vector<std::uint64_t> counts;
    boost::mpi::all_gather(comm, count, counts);
    for (int r = 0; r < me; ++r) first += counts[static_cast<std::size_t>(r)];
  }
  locally(comm, [&] {
    place(first, count);
    const std::size_t buffer_keys = static_cast<std::size_t>(std::max<std::uint64_t>(
        512, options.memory_bytes / 2 / sizeof(Key) / std::max<std::size_t>(1, received.size())));
    std::vector<Cursor> cursors;
    cursors.reserve(received.size());
    using Head = std::pair<Key, std::size_t>;
    std::priority_queue<Head, std::vector<Head>, std::greater<>> heap;
    for (const Run& r : received) {
      cursors.push_back(Cursor{r, 0, {}, 0});
      if (cursors.back().refill(*files, buffer_keys)) {
        heap.push({cursors.back().buffer[0], cursors.size() - 1});
      }
    }
    std::vector<Key> out;
    const std::size_t out_keys = static_cast<std::size_t>(
        std::max<std::uint64_t>(1024, options.memory_bytes / 8 / sizeof(Key)));
    out.reserve(out_keys);
    while (!heap.empty()) {
      const auto [key, c] = heap.top();
      heap.pop();
      out.push_back(key);
      if (out.size() == out_keys) {
        write(out);
        out.clear();
      }
      Cursor& cur = cursors[c];
      if (++cur.at < cur.buffer.size() || cur.refill(*files, buffer_keys)) {
        heap.push({cur.buffer[cur.at], c});
      }
    }
    if (!out.empty()) write(out);
  });

  if (stats != nullptr) {
    std::vector<std::uint64_t> sums{runs.size(), files->bytes()};
    std::vector<std::uint64_t> all(2);
    boost::mpi::all_reduce(comm, sums.data(), 2, all.data(), std::plus<std::uint64_t>());
    stats->keys = total;
    stats->largest = boost::mpi::all_reduce(comm, count, boost::mpi::maximum<std::uint64_t>());
    stats->runs = all[0];
    stats->bytes_spilled = all[1];
  }
}

}  // namespace mrkit
