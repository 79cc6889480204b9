#include "mrkit/tasks/progress_meter.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace mrkit {

std::string progress_line(std::string_view program, std::string_view unit, std::uint64_t done,
                          std::uint64_t total, double seconds) {
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
  const double left = fraction > 0 ? seconds * (1 - fraction) / fraction : 0;
  return fmt::format("{}: {:5.1f}% of {} {}, {:.1f} s elapsed, ~{:.1f} s left", program,
                     100 * fraction, total, unit, seconds, left);
}

std::chrono::milliseconds progress_interval(bool terminal) {
  return terminal ? std::chrono::milliseconds(250) : std::chrono::milliseconds(5000);
}

ProgressMeter::ProgressMeter(std::string program, std::string unit, bool enabled)
    : program_(std::move(program)),
      unit_(std::move(unit)),
      enabled_(enabled),
      terminal_(stderr_is_terminal()),
      start_(Clock::now()),
      last_(start_) {}

ProgressMeter::~ProgressMeter() {
  finish();
}

bool ProgressMeter::stderr_is_terminal() {
  if (::isatty(STDERR_FILENO) == 1) return true;
  // Under mpirun a rank's stderr is a pipe to the launcher; a launcher whose own stderr is a
  // terminal says so (scripts/mpirun-laptop sets it).
  const char* launcher = std::getenv("MRKIT_STDERR_TERMINAL");
  return launcher != nullptr && std::string_view(launcher) == "1";
}

void ProgressMeter::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_ || total == 0) return;
  const auto now = Clock::now();
  if (now - last_ < progress_interval(terminal_)) return;
  last_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  fmt::print(stderr, "{}{}{}", terminal_ ? "\r" : "",
             progress_line(program_, unit_, done, total, seconds), terminal_ ? "\033[K" : "\n");
  std::fflush(stderr);
  printed_ = true;
}

void ProgressMeter::finish() {
  if (printed_ && terminal_) {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
  }
  printed_ = false;
}

}  // namespace mrkit
