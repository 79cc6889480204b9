// Integer ranges as records (mapreduce/integer_source.hpp) against Python's exact integers
// (integer_source_reference.py, run by the test): the tasks of small ranges and of ranges near
// 2^64, per task 0 (the default), 1, 7 and others; every task's range as Python computes it,
// the ranges in order and together the whole range exactly once, for_each giving each integer
// of its task once, and a range ending past 2^64 - 1 refused.
#include <mrkit/mapreduce/integer_source.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef MRKIT_PYTHON_EXE
#define MRKIT_PYTHON_EXE "/usr/bin/python3"
#endif

namespace {

std::string run_reference() {
  const std::string command = std::string(MRKIT_PYTHON_EXE) + " " + MRKIT_INTEGER_SOURCE_REFERENCE;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0) throw std::runtime_error("the reference failed: " + command);
  return out;
}

struct Case {
  std::uint64_t first = 0, count = 0, per_task = 0;
  bool valid = false;
  std::uint64_t tasks = 0, chosen_per_task = 0;
  bool every_task = false;
  std::vector<std::pair<std::uint64_t, mrkit::IndexRange>> ranges;
};

std::vector<Case> reference_cases() {
  std::istringstream in(run_reference());
  std::vector<Case> cases;
  std::string word;
  while (in >> word && word != "end") {
    if (word == "case") {
      cases.emplace_back();
      in >> cases.back().first >> cases.back().count >> cases.back().per_task;
    } else if (word == "invalid") {
      cases.back().valid = false;
    } else if (word == "tasks") {
      int every = 0;
      in >> cases.back().tasks >> cases.back().chosen_per_task >> every;
      cases.back().valid = true;
      cases.back().every_task = every != 0;
    } else if (word == "range") {
      std::uint64_t task = 0;
      mrkit::IndexRange r;
      in >> task >> r.begin >> r.end;
      cases.back().ranges.emplace_back(task, r);
    } else {
      throw std::runtime_error("reference: unexpected " + word);
    }
  }
  if (word != "end" || !in) throw std::runtime_error("reference: truncated");
  return cases;
}

std::string describe(const Case& c) {
  return "first " + std::to_string(c.first) + " count " + std::to_string(c.count) + " per_task " +
         std::to_string(c.per_task);
}

}  // namespace

TEST(IntegerSource, TasksAreThoseOfThePythonReference) {
  std::vector<Case> cases;
  ASSERT_NO_THROW(cases = reference_cases());
  ASSERT_GT(cases.size(), 1000U);
  std::size_t invalid = 0, huge = 0, enumerated = 0;
  for (const Case& c : cases) {
    if (!c.valid) {
      ++invalid;
      EXPECT_THROW(mrkit::IntegerSource(c.first, c.count, c.per_task), std::invalid_argument)
          << describe(c);
      continue;
    }
    const mrkit::IntegerSource source(c.first, c.count, c.per_task);
    ASSERT_EQ(source.tasks(), c.tasks) << describe(c);
    ASSERT_EQ(source.per_task(), c.chosen_per_task) << describe(c);
    ASSERT_EQ(source.first(), c.first);
    ASSERT_EQ(source.count(), c.count);
    EXPECT_THROW((void)source.range(source.tasks()), std::out_of_range) << describe(c);
    huge += c.first + c.count > (std::uint64_t{1} << 63);
    for (const auto& [task, want] : c.ranges) {
      const mrkit::IndexRange got = source.range(task);
      ASSERT_EQ(got.begin, want.begin) << describe(c) << " task " << task;
      ASSERT_EQ(got.end, want.end) << describe(c) << " task " << task;
      ASSERT_FALSE(got.empty()) << describe(c) << " task " << task;
      // for_each gives each integer of the task once, in order (small tasks only).
      if (got.size() <= 10000) {
        std::uint64_t next = got.begin, calls = 0;
        source.for_each(task, [&](std::uint64_t v) {
          EXPECT_EQ(v, next);
          ++next;
          ++calls;
        });
        ASSERT_EQ(calls, got.size()) << describe(c) << " task " << task;
        ++enumerated;
      }
    }
    if (c.every_task) {
      // Together, in task order, the ranges are [first, first + count) exactly once.
      ASSERT_EQ(c.ranges.size(), c.tasks) << describe(c);
      std::uint64_t next = c.first;
      for (std::uint64_t t = 0; t < source.tasks(); ++t) {
        const mrkit::IndexRange r = source.range(t);
        ASSERT_EQ(r.begin, next) << describe(c) << " task " << t;
        next = r.end;
      }
      ASSERT_EQ(next, c.first + c.count) << describe(c);
    }
  }
  // The cases hold what they are meant to: refusals, ranges near 2^64, whole tasks.
  EXPECT_GT(invalid, 20U);
  EXPECT_GT(huge, 100U);
  EXPECT_GT(enumerated, 10000U);
}

TEST(IntegerSource, EveryIntegerOnceAtPerTaskOneAndSevenNearTheTop) {
  const std::uint64_t max = UINT64_MAX;
  for (const std::uint64_t per_task : {std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{0}}) {
    for (const std::uint64_t count : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{50}}) {
      const mrkit::IntegerSource source(max - count, count, per_task);
      std::vector<std::uint64_t> seen;
      for (std::uint64_t t = 0; t < source.tasks(); ++t) {
        source.for_each(t, [&](std::uint64_t v) { seen.push_back(v); });
      }
      ASSERT_EQ(seen.size(), count) << "per_task " << per_task;
      for (std::uint64_t i = 0; i < count; ++i) ASSERT_EQ(seen[i], max - count + i);
    }
  }
  EXPECT_THROW(mrkit::IntegerSource(max, 1, 1), std::invalid_argument);
  EXPECT_THROW(mrkit::IntegerSource(1, max, 0), std::invalid_argument);
  EXPECT_NO_THROW(mrkit::IntegerSource(0, max, 0));
}
