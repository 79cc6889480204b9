// The progress line's words and numbers, and how often it is printed (the meter itself reads the
// clock; what it prints is progress_line, when is progress_interval).
#include <mrkit/tasks/progress_meter.hpp>

#include <gtest/gtest.h>

#include <chrono>

TEST(ProgressMeter, LineSaysPercentTotalElapsedAndLeft) {
  // A quarter done in 3 s: 9 s more at the same pace.
  EXPECT_EQ(mrkit::progress_line("wordcount", "tasks", 2, 8, 3.0),
            "wordcount:  25.0% of 8 tasks, 3.0 s elapsed, ~9.0 s left");
  EXPECT_EQ(mrkit::progress_line("montecarlo", "samples", 1, 3, 1.25),
            "montecarlo:  33.3% of 3 samples, 1.2 s elapsed, ~2.5 s left");
}

TEST(ProgressMeter, NothingDoneLeavesNoEstimate) {
  EXPECT_EQ(mrkit::progress_line("p", "tasks", 0, 4096, 0.5),
            "p:   0.0% of 4096 tasks, 0.5 s elapsed, ~0.0 s left");
}

TEST(ProgressMeter, AllDoneLeavesNothing) {
  EXPECT_EQ(mrkit::progress_line("p", "tasks", 4096, 4096, 12.34),
            "p: 100.0% of 4096 tasks, 12.3 s elapsed, ~0.0 s left");
}

TEST(ProgressMeter, PercentHasOneDecimalInAFixedWidth) {
  // 1 of 1000: 0.1%; 999 of 1000: 99.9% (never rounded up to a false 100%).
  EXPECT_EQ(mrkit::progress_line("p", "u", 1, 1000, 0.0),
            "p:   0.1% of 1000 u, 0.0 s elapsed, ~0.0 s left");
  EXPECT_EQ(mrkit::progress_line("p", "u", 999, 1000, 999.0),
            "p:  99.9% of 1000 u, 999.0 s elapsed, ~1.0 s left");
}

TEST(ProgressMeter, PrintsOftenOnATerminalAndRarelyInALog) {
  EXPECT_EQ(mrkit::progress_interval(true), std::chrono::milliseconds(250));
  EXPECT_EQ(mrkit::progress_interval(false), std::chrono::milliseconds(5000));
}

TEST(ProgressMeter, DisabledOrEmptyPrintsNothing) {
  // Off: update() and finish() write nothing (stderr is captured by gtest).
  testing::internal::CaptureStderr();
  {
    mrkit::ProgressMeter off("p", "tasks", false);
    off.update(1, 2);
    off.finish();
    mrkit::ProgressMeter empty("p", "tasks", true);
    empty.update(0, 0);  // no total: no line, even when enabled
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}
