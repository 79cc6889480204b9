// The one clock the library and its programs time with, and the seconds elapsed since a moment.
// A steady clock: a wall-clock jump (NTP, a user setting the date) never makes an elapsed time
// negative or a time limit fire early.
#pragma once

#include <chrono>

namespace mrkit {

using Clock = std::chrono::steady_clock;

// Seconds from `start` until now, as a double (what --stats, time limits and progress report).
[[nodiscard]] inline double seconds_since(Clock::time_point start) noexcept {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace mrkit
