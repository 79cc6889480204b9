#include <mrkit/io/whole_files.hpp>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

class WholeFiles : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mrkit-whole-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A reader that uses io_uring when the parameter is true (and the machine allows it).
  [[nodiscard]] std::unique_ptr<mrkit::WholeFileReader> reader(
      unsigned max_files = 64, std::size_t max_bytes = std::size_t{8} << 20) const {
    ::setenv("MRKIT_IO_URING", GetParam() ? "1" : "0", 1);
    auto r = std::make_unique<mrkit::WholeFileReader>(max_files, max_bytes);
    ::unsetenv("MRKIT_IO_URING");
    return r;
  }

  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // Reads `files` and returns what on_file saw, checking the order and the padding.
  static std::vector<std::string> read_all(mrkit::WholeFileReader& r,
                                           const std::vector<mrkit::WholeFile>& files) {
    std::vector<std::string> seen;
    r.read(files, 16, [&](std::size_t i, std::span<char> bytes) {
      EXPECT_EQ(i, seen.size());
      seen.emplace_back(bytes.data(), bytes.size());
      for (std::size_t k = 0; k < 16; ++k) bytes.data()[bytes.size() + k] = '#';  // writable
      if (!bytes.empty()) bytes[0] = '!';  // may be changed in place
    });
    return seen;
  }

  fs::path dir_;
};

TEST(WholeFileReaderMode, ReportsWhetherItBatches) {
  ::setenv("MRKIT_IO_URING", "0", 1);
  const mrkit::WholeFileReader off;
  ::unsetenv("MRKIT_IO_URING");
  EXPECT_FALSE(off.batched());
  const mrkit::WholeFileReader maybe;
  RecordProperty("io_uring", maybe.batched() ? "yes" : "no");
}

TEST_P(WholeFiles, EveryFileWholeInOrderAcrossBatches) {
  std::mt19937_64 rng(7);
  std::vector<std::string> paths;
  std::vector<std::string> contents;
  for (const std::size_t size :
       {0UL, 1UL, 15UL, 4095UL, 4096UL, 4097UL, 65536UL, 300001UL, 7UL, 0UL, 100UL, 2UL, 9000UL}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const std::string sub = paths.size() % 3 == 0 ? "sub/" : "";  // several directories
    paths.push_back(write(sub + "f" + std::to_string(paths.size()), bytes));
    contents.push_back(bytes);
  }
  std::vector<mrkit::WholeFile> files;
  for (std::size_t i = 0; i < paths.size(); ++i) files.push_back({&paths[i], contents[i].size()});
  // Batches cut by file count, by bytes, and one batch for all.
  for (const auto& [max_files, max_bytes] :
       std::vector<std::pair<unsigned, std::size_t>>{{3, 1 << 20}, {64, 10000}, {64, 8 << 20}}) {
    const auto r = reader(max_files, max_bytes);
    const std::vector<std::string> seen = read_all(*r, files);
    ASSERT_EQ(seen.size(), contents.size());
    for (std::size_t i = 0; i < seen.size(); ++i) {
      EXPECT_EQ(seen[i], contents[i]) << "file " << i << " batches of " << max_files;
    }
  }
}

TEST_P(WholeFiles, AFileThatGrewGivesOneByteMoreAndOneThatShrankWhatIsLeft) {
  const std::string grew = write("grew", "0123456789");
  const std::string shrank = write("shrank", "0123");
  const std::string same = write("same", "abc");
  const auto r = reader();
  const std::vector<std::string> seen = read_all(*r, {{&grew, 5}, {&shrank, 9}, {&same, 3}});
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[0], "012345");  // listed 5: reads 5 + 1
  EXPECT_EQ(seen[1], "0123");
  EXPECT_EQ(seen[2], "abc");
}

TEST_P(WholeFiles, AMissingFileIsNamedInTheError) {
  const std::string there = write("there", "a b");
  const std::string gone = (dir_ / "gone").string();
  const auto r = reader();
  try {
    (void)read_all(*r, {{&there, 3}, {&gone, 3}});
    FAIL() << "no error for a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open '" + gone + "': No such file or directory");
  }
}

TEST_P(WholeFiles, AFileReplacedByAFifoFailsWithoutBlocking) {
  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto r = reader();
  EXPECT_THROW((void)read_all(*r, {{&fifo, 10}}), std::runtime_error);  // no writer: no hang
}

INSTANTIATE_TEST_SUITE_P(IoUringAndOneByOne, WholeFiles, ::testing::Bool(),
                         [](const auto& test) { return test.param ? "io_uring" : "one_by_one"; });

}  // namespace
