// dcsort's keys: generated keys, their summary, the sortedness check, raw key files.
#include "dcsort/key_files.hpp"

#include <mrkit/core/runtime.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("mrkit-keys-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST(GenerateKeys, FollowsSplitmix64) {
  // Published splitmix64 outputs for seed 0.
  const auto keys = mrkit::generate_keys(3, 0);
  ASSERT_EQ(keys.size(), 3U);
  EXPECT_EQ(static_cast<std::uint64_t>(keys[0]), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(static_cast<std::uint64_t>(keys[1]), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(static_cast<std::uint64_t>(keys[2]), 0x06c45d188009454fULL);
  EXPECT_TRUE(mrkit::generate_keys(0, 5).empty());
  // A longer run is a prefix-extension of a shorter one.
  const auto a = mrkit::generate_keys(100, 42);
  const auto b = mrkit::generate_keys(10, 42);
  EXPECT_TRUE(std::equal(b.begin(), b.end(), a.begin()));
}

TEST(KeySummary, SameForEveryOrderDifferentForOtherKeys) {
  auto keys = mrkit::generate_keys(1000, 7);
  keys.push_back(std::numeric_limits<mrkit::Key>::min());
  keys.push_back(std::numeric_limits<mrkit::Key>::max());
  keys.push_back(keys[3]);  // a duplicate
  const auto s = mrkit::summarize_keys(keys);
  EXPECT_EQ(s.count, keys.size());
  std::mt19937_64 rng(3);
  for (int i = 0; i < 5; ++i) {
    std::shuffle(keys.begin(), keys.end(), rng);
    EXPECT_EQ(mrkit::summarize_keys(keys), s);
  }
  auto other = keys;
  other[10] += 1;
  other[11] -= 1;  // same plain sum, different keys
  EXPECT_NE(mrkit::summarize_keys(other), s);
  auto dup = keys;
  dup[0] = dup[1];  // a key replaced by a copy of another
  EXPECT_NE(mrkit::summarize_keys(dup), s);
}

TEST(FirstUnsorted, FindsTheFirstDescent) {
  EXPECT_FALSE(mrkit::first_unsorted(std::vector<mrkit::Key>{}));
  EXPECT_FALSE(mrkit::first_unsorted(std::vector<mrkit::Key>{-3, -3, 0, 9}));
  EXPECT_EQ(mrkit::first_unsorted(std::vector<mrkit::Key>{1, 2, 5, 4, 3}), 3U);
}

TEST(KeyFiles, RoundTripLittleEndian) {
  const std::string path = temp_path("round");
  std::vector<mrkit::Key> keys{1, -1, std::numeric_limits<mrkit::Key>::min(), 0x0102030405060708};
  auto copy = keys;
  write_bytes(path, std::string(mrkit::key_file_bytes(copy)));
  const std::string raw = [&] {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }();
  ASSERT_EQ(raw.size(), 32U);
  EXPECT_EQ(static_cast<unsigned char>(raw[24]), 0x08);  // least significant byte first
  EXPECT_EQ(static_cast<unsigned char>(raw[8]), 0xff);
  EXPECT_EQ(mrkit::read_key_file(path), keys);
  std::remove(path.c_str());
}

TEST(KeyFiles, BadFilesAreInputErrorsNamingThePath) {
  const std::string torn = temp_path("torn");
  write_bytes(torn, std::string(13, 'x'));
  try {
    (void)mrkit::read_key_file(torn);
    FAIL() << "a 13-byte file was accepted";
  } catch (const mrkit::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("13 bytes, not a whole number of 8-byte keys"),
              std::string::npos)
        << e.what();
  }
  std::remove(torn.c_str());
  EXPECT_THROW((void)mrkit::read_key_file(temp_path("missing")), mrkit::InputError);
  EXPECT_THROW((void)mrkit::read_key_file(std::filesystem::temp_directory_path().string()),
               mrkit::InputError);
  const std::string empty = temp_path("empty");
  write_bytes(empty, "");
  EXPECT_TRUE(mrkit::read_key_file(empty).empty());
  std::remove(empty.c_str());
}
