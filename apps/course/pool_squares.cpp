// pool_squares: the course's Pool examples (cells 39 and 40), on mrkit's pool inside one MPI job:
// the mother hands out tasks, the other ranks work (alone, the mother works on a thread).
// map in order, imap_unordered, apply_async with get(timeout=1), and a task that sleeps too long.
#include <mrkit/cli/command_line.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/patterns/pool.hpp>
#include "role_output.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr const char* program = "pool_squares";
constexpr const char* description =
    "The course's Pool on MPI: map, imap_unordered, apply_async and get(timeout). Rank 0 "
    "hands out tasks; the other ranks are the workers.";

// Registered on every rank before the pool starts: the course's f, square, os.getpid, sleep.
const auto f = mrkit::register_task<long(long)>("f", [](long x) { return x * x; });
const auto square = mrkit::register_task<std::pair<long, std::string>(long)>("square", [](long n) {
  // print("Worker process id for {0}: {1}".format(n, os.getpid())): told to the mother
  return std::pair<long, std::string>(n * n,
                                      fmt::format("Worker process id for {}: {}", n, ::getpid()));
});
const auto getpid_task = mrkit::register_task<long()>("os.getpid", [] { return long{::getpid()}; });
const auto sleep_task = mrkit::register_task<void(double)>(
    "time.sleep", [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); });

std::string python_list(const std::vector<long>& v) {
  std::string out;
  for (const long x : v) out += (out.empty() ? "" : ", ") + std::to_string(x);
  return "[" + out + "]";
}

std::string pool_squares(mrkit::Runtime& rt, double sleep_seconds, double timeout_seconds) {
  std::string story;
  auto say = [&](const std::string& line) { story += line + "\n"; };
  mrkit::with_pool(rt.world(), {}, [&](mrkit::Pool& pool) {
    // Cell 39: result = p.map(square, mylist)
    std::vector<long> result;
    for (const auto& [sq, line] : pool.map(square, std::vector<long>{1, 2, 3, 4, 5})) {
      say(line);
      result.push_back(sq);
    }
    say(python_list(result) + "\n");

    // Cell 40: with Pool(processes=4) as pool:
    std::vector<long> range10(10);
    for (long i = 0; i < 10; ++i) range10[static_cast<std::size_t>(i)] = i;
    say(python_list(pool.map(f, range10)));  // print "[0, 1, 4,..., 81]"
    pool.map_unordered<long, long>(f, range10, [&](std::size_t, long i) {
      say(std::to_string(i));  // the same numbers in arbitrary order
    });
    auto res = pool.submit(f, 20);                          // runs in *only* one process
    say(std::to_string(res.get(std::chrono::seconds(1))));  // prints "400"
    auto pid = pool.submit(getpid_task);
    say(std::to_string(pid.get(std::chrono::seconds(1))));  // the PID of that process
    std::vector<mrkit::Future<long>> multiple_results;
    for (int i = 0; i < 4; ++i) multiple_results.push_back(pool.submit(getpid_task));
    std::vector<long> pids;
    for (auto& r : multiple_results) pids.push_back(r.get(std::chrono::seconds(1)));
    say(python_list(pids));
    auto slow = pool.submit(sleep_task, sleep_seconds);  // make a single worker sleep
    try {
      slow.get(std::chrono::duration<double>(timeout_seconds));
      say("None");
    } catch (const mrkit::TimeoutError&) {
      say("We lacked patience and got a mrkit::TimeoutError");
    }
    say("For the moment, the pool remains available for more work");
    say(fmt::format("(and it does: f(7) = {})", pool.submit(f, 7).get()));
  });  // exiting the block waits for the sleeping task, then stops the pool
  if (!rt.is_mother()) return {};
  say("Now the pool is closed and no longer available");
  return story;
}

}  // namespace

int main(int argc, char** argv) {
  double sleep_seconds = 10;
  double timeout_seconds = 1;
  return mrkit::course_main(
      argc, argv, program, description,
      [&](mrkit::Runtime& rt) { return pool_squares(rt, sleep_seconds, timeout_seconds); },
      [&](CLI::App& app) {
        app.add_option("--sleep", sleep_seconds,
                       "How long the impatient task sleeps (default 10 s)")
            ->check(mrkit::seconds_between(0, 3600));
        app.add_option("--timeout", timeout_seconds, "How long get() waits for it (default 1 s)")
            ->check(mrkit::seconds_between(0, 3600));
      });
}
