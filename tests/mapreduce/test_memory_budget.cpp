#include <mrkit/core/runtime.hpp>
#include <mrkit/mapreduce/memory_budget.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace {

std::string usage_message(const std::string& text) {
  try {
    (void)mrkit::parse_size(text);
  } catch (const mrkit::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MemoryBudget, ParsesSizes) {
  EXPECT_EQ(mrkit::parse_size("0"), 0U);
  EXPECT_EQ(mrkit::parse_size("12345"), 12345U);
  EXPECT_EQ(mrkit::parse_size("512K"), 512U << 10);
  EXPECT_EQ(mrkit::parse_size("512k"), 512U << 10);
  EXPECT_EQ(mrkit::parse_size("64M"), std::uint64_t{64} << 20);
  EXPECT_EQ(mrkit::parse_size("64MiB"), std::uint64_t{64} << 20);
  EXPECT_EQ(mrkit::parse_size("64MB"), std::uint64_t{64} << 20);
  EXPECT_EQ(mrkit::parse_size("1.5G"), std::uint64_t{3} << 29);
  EXPECT_EQ(mrkit::parse_size("2T"), std::uint64_t{2} << 40);
  EXPECT_EQ(mrkit::parse_size("100B"), 100U);
  EXPECT_EQ(mrkit::parse_size("0.5K"), 512U);
}

TEST(MemoryBudget, RefusesBadSizesWithOneLine) {
  for (const char* bad : {"", "abc", "-1M", "1.2.3G", "12Q", "M", "1e3", " 5M", "5 M",
                          "99999999999999999999", "20000000T", "0.1"}) {
    const std::string m = usage_message(bad);
    EXPECT_NE(m.find("expected a size such as 512K, 64M or 1.5G"), std::string::npos)
        << bad << ": " << m;
    EXPECT_NE(m.find(std::string("'") + bad + "'"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos);
  }
}

TEST(MemoryBudget, ReadsMemAvailable) {
  const std::string meminfo =
      "MemTotal:       16303428 kB\nMemFree:         1203044 kB\n"
      "MemAvailable:    8000000 kB\nBuffers:          418364 kB\n";
  EXPECT_EQ(mrkit::mem_available_from_meminfo(meminfo), std::uint64_t{8000000} * 1024);
  EXPECT_EQ(mrkit::mem_available_from_meminfo("MemTotal: 5 kB\n"), 0U);
  EXPECT_EQ(mrkit::mem_available_from_meminfo(""), 0U);
  EXPECT_GT(mrkit::available_memory_bytes(), 0U);  // this machine says
}

TEST(MemoryBudget, DefaultIsAFractionOfAvailableMemoryPerRankOnTheNode) {
  const std::uint64_t gib = std::uint64_t{1} << 30;
  EXPECT_EQ(mrkit::default_budget_for(8 * gib, 1), 4 * gib);
  EXPECT_EQ(mrkit::default_budget_for(8 * gib, 4), gib);
  // Unknown available memory: the stated fallback; never below the minimum.
  EXPECT_EQ(mrkit::default_budget_for(0, 2),
            mrkit::fallback_memory_bytes / mrkit::default_memory_divisor / 2);
  EXPECT_EQ(mrkit::default_budget_for(1000, 64), mrkit::minimum_memory_bytes);
}

TEST(MemoryBudget, RefusesABudgetBelowTheMinimumNamingIt) {
  EXPECT_NO_THROW(mrkit::check_memory_budget(mrkit::minimum_memory_bytes));
  EXPECT_NO_THROW(mrkit::check_memory_budget(std::uint64_t{1} << 34));
  try {
    mrkit::check_memory_budget(mrkit::minimum_memory_bytes - 1);
    FAIL() << "no error";
  } catch (const mrkit::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("at least 1 MiB"), std::string::npos) << e.what();
  }
}

}  // namespace
