// A progress line for long runs, printed by the mother on stderr: on a terminal it rewrites
// one line a few times a second; elsewhere (a log file) it prints a line every few seconds.
#pragma once

#include "mrkit/core/clock.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace mrkit {

// The words of one progress line (without the terminal's carriage return and erase):
// "PROGRAM: P% of TOTAL UNIT, S s elapsed, ~S s left", P with one decimal in a width of five,
// the time left extrapolated from the pace so far (0 while nothing is done).
[[nodiscard]] std::string progress_line(std::string_view program, std::string_view unit,
                                        std::uint64_t done, std::uint64_t total, double seconds);

// How often the meter prints at most: a few times a second on a terminal (the line is
// rewritten), every few seconds elsewhere (each print is a new line of a log).
[[nodiscard]] std::chrono::milliseconds progress_interval(bool terminal);

class ProgressMeter {
 public:
  // `enabled`: print at all (e.g. --progress given, or stderr is a terminal).
  ProgressMeter(std::string program, std::string unit, bool enabled);
  ~ProgressMeter();
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  // `done` of `total` units; cheap to call often, prints only now and then.
  void update(std::uint64_t done, std::uint64_t total);
  // Ends the line (on a terminal) once the work is complete.
  void finish();

  // True when stderr is a terminal, or when MRKIT_STDERR_TERMINAL=1 (set by a launcher whose
  // own stderr is the terminal the ranks' stderr reaches): the default for showing progress.
  [[nodiscard]] static bool stderr_is_terminal();

 private:
  std::string program_;
  std::string unit_;
  bool enabled_;
  bool terminal_;
  bool printed_ = false;
  Clock::time_point start_;
  Clock::time_point last_;
};

}  // namespace mrkit
