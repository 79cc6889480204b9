#include "mrkit/tasks/rank_stats.hpp"

#include <fmt/format.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace mrkit {
namespace {

// A JSON string literal: host and program names are plain, but never trust that.
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

double share(double part, double whole) {
  return whole > 0 ? part / whole : 0.0;
}

}  // namespace

double RankTimes::other_seconds() const noexcept {
  return std::max(0.0, elapsed_seconds - compute_seconds - wait_seconds - io_seconds);
}

void RankTimer::add(TimeBucket bucket, double seconds) noexcept {
  switch (bucket) {
    case TimeBucket::compute:
      compute_ += seconds;
      break;
    case TimeBucket::wait:
      wait_ += seconds;
      break;
    case TimeBucket::io:
      io_ += seconds;
      break;
  }
}

void RankTimer::add(const ScheduleStats& schedule) noexcept {
  compute_ += schedule.work_seconds;
  wait_ += schedule.wait_seconds;
  tasks_ += schedule.tasks;
}

void RankTimer::add_io_inside_tasks(double seconds) noexcept {
  const double moved = std::min(seconds, compute_);
  compute_ -= moved;
  io_ += moved;
}

double RankTimer::seconds(TimeBucket bucket) const noexcept {
  switch (bucket) {
    case TimeBucket::compute:
      return compute_;
    case TimeBucket::wait:
      return wait_;
    case TimeBucket::io:
      return io_;
  }
  return 0;
}

RankTimes RankTimer::snapshot(int rank) const {
  RankTimes t;
  t.rank = rank;
  t.host = Runtime::host();
  t.tasks = tasks_;
  t.bytes = bytes_;
  t.compute_seconds = compute_;
  t.wait_seconds = wait_;
  t.io_seconds = io_;
  t.elapsed_seconds = seconds_since(start_);
  t.data_bytes = data_bytes_;
  t.peak_memory_bytes = peak_memory_bytes();
  return t;
}

std::uint64_t peak_memory_bytes() noexcept {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0 || usage.ru_maxrss < 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux: kilobytes
}

std::vector<RankTimes> gather_rank_times(const boost::mpi::communicator& comm,
                                         const RankTimer& timer, int root) {
  const RankTimes mine = timer.snapshot(comm.rank());
  std::vector<RankTimes> all;
  if (comm.rank() == root) {
    boost::mpi::gather(comm, mine, all, root);
  } else {
    boost::mpi::gather(comm, mine, root);
  }
  return all;
}

RankTimesSummary summarize(std::span<const RankTimes> times) {
  RankTimesSummary s;
  s.ranks = static_cast<int>(times.size());
  if (times.empty()) return s;
  double total = 0, compute = 0, wait = 0, io = 0, other = 0, busy = 0;
  s.busiest_rank = times.front().rank;
  for (const RankTimes& t : times) {
    s.elapsed_seconds = std::max(s.elapsed_seconds, t.elapsed_seconds);
    compute += t.compute_seconds;
    wait += t.wait_seconds;
    io += t.io_seconds;
    other += t.other_seconds();
    busy += t.busy_seconds();
    if (t.busy_seconds() > s.busiest_seconds) {
      s.busiest_seconds = t.busy_seconds();
      s.busiest_rank = t.rank;
    }
  }
  // "other" never goes negative, so if a program timed one stretch into two buckets the
  // shares are of the measured sum: they still add up to one.
  total = compute + wait + io + other;
  s.mean_busy_seconds = busy / static_cast<double>(times.size());
  s.imbalance = s.mean_busy_seconds > 0 ? s.busiest_seconds / s.mean_busy_seconds : 1.0;
  s.compute_share = share(compute, total);
  s.wait_share = share(wait, total);
  s.io_share = share(io, total);
  s.other_share = share(other, total);
  return s;
}

std::string format_rank_times(std::span<const RankTimes> times, std::string_view program) {
  const RankTimesSummary s = summarize(times);
  std::size_t host_width = 4;
  for (const RankTimes& t : times) host_width = std::max(host_width, t.host.size());
  std::string out = fmt::format("{}: {} rank{}, {:.3f} s\n", program, s.ranks,
                                s.ranks == 1 ? "" : "s", s.elapsed_seconds);
  out += fmt::format("{:>5} {:>{}} {:>8} {:>14} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9}\n",
                     "rank", "host", host_width, "tasks", "bytes", "compute_s", "wait_s", "io_s",
                     "other_s", "total_s", "data_MiB", "peak_MiB");
  constexpr double mib = 1024.0 * 1024.0;
  for (const RankTimes& t : times) {
    out += fmt::format(
        "{:>5} {:>{}} {:>8} {:>14} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f} {:>9.1f} "
        "{:>9.1f}\n",
        t.rank, t.host, host_width, t.tasks, t.bytes, t.compute_seconds, t.wait_seconds,
        t.io_seconds, t.other_seconds(), t.elapsed_seconds, static_cast<double>(t.data_bytes) / mib,
        static_cast<double>(t.peak_memory_bytes) / mib);
  }
  out += fmt::format(
      "busiest rank {}: {:.3f} s compute + I/O (mean {:.3f} s), imbalance {:.2f} (1.00 is even)\n"
      "share of all ranks' time: compute {:.1f} %, wait {:.1f} %, I/O {:.1f} %, other {:.1f} %\n",
      s.busiest_rank, s.busiest_seconds, s.mean_busy_seconds, s.imbalance, 100 * s.compute_share,
      100 * s.wait_share, 100 * s.io_share, 100 * s.other_share);
  return out;
}

std::string rank_times_json(std::span<const RankTimes> times, std::string_view program) {
  const RankTimesSummary s = summarize(times);
  std::string out = fmt::format("{{\"program\": {}, \"ranks\": {}, \"per_rank\": [",
                                json_string(program), s.ranks);
  for (std::size_t i = 0; i < times.size(); ++i) {
    const RankTimes& t = times[i];
    out += fmt::format(
        "{}{{\"rank\": {}, \"host\": {}, \"tasks\": {}, \"bytes\": {}, \"compute_seconds\": {}, "
        "\"wait_seconds\": {}, \"io_seconds\": {}, \"other_seconds\": {}, "
        "\"elapsed_seconds\": {}, \"data_bytes\": {}, \"peak_memory_bytes\": {}}}",
        i == 0 ? "" : ", ", t.rank, json_string(t.host), t.tasks, t.bytes, t.compute_seconds,
        t.wait_seconds, t.io_seconds, t.other_seconds(), t.elapsed_seconds, t.data_bytes,
        t.peak_memory_bytes);
  }
  out += fmt::format(
      "], \"summary\": {{\"elapsed_seconds\": {}, \"busiest_rank\": {}, \"busiest_seconds\": {}, "
      "\"mean_busy_seconds\": {}, \"imbalance\": {}, \"compute_share\": {}, \"wait_share\": {}, "
      "\"io_share\": {}, \"other_share\": {}}}}}\n",
      s.elapsed_seconds, s.busiest_rank, s.busiest_seconds, s.mean_busy_seconds, s.imbalance,
      s.compute_share, s.wait_share, s.io_share, s.other_share);
  return out;
}

void print_rank_stats(const boost::mpi::communicator& comm, const RankTimer& timer,
                      std::string_view program, StatsFormat format) {
  const std::vector<RankTimes> all = gather_rank_times(comm, timer, mother_rank);
  if (comm.rank() != mother_rank) return;
  const std::string text =
      format == StatsFormat::json ? rank_times_json(all, program) : format_rank_times(all, program);
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace mrkit
