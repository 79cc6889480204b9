#include <mrkit/atomic_file.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(AtomicFile, ReplacesContentAndLeavesNoTemporaryFile) {
  std::string pattern = (fs::temp_directory_path() / "mrkit-atomic-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path dir(pattern);
  const fs::path target = dir / "out.txt";
  mrkit::write_file_atomically(target.string(), "first\n");
  EXPECT_EQ(read(target), "first\n");
  const std::string big(3 << 20, 'x');
  mrkit::write_file_atomically(target.string(), big);
  EXPECT_EQ(read(target), big);
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  fs::remove_all(dir);
}

TEST(AtomicFile, FailureNamesThePathAndCreatesNothing) {
  const std::string target = "/nonexistent-dir-for-mrkit/out.txt";
  try {
    mrkit::write_file_atomically(target, "x");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(target), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(target));
}

TEST(AtomicFile, WritesThroughSymbolicLinksAndKeepsThem) {
  std::string pattern = (fs::temp_directory_path() / "mrkit-atomic-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path dir(pattern);
  fs::create_symlink("target.txt", dir / "link.txt");  // dangling and relative
  mrkit::write_file_atomically((dir / "link.txt").string(), "through\n");
  EXPECT_TRUE(fs::is_symlink(dir / "link.txt"));
  EXPECT_EQ(read(dir / "target.txt"), "through\n");
  mrkit::write_file_atomically((dir / "link.txt").string(), "again\n");
  EXPECT_TRUE(fs::is_symlink(dir / "link.txt"));
  EXPECT_EQ(read(dir / "target.txt"), "again\n");
  fs::remove_all(dir);
}

TEST(AtomicFile, StreamsAreWrittenStraightIn) {
  mrkit::write_file_atomically("/dev/null", "discarded\n");
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  EXPECT_THROW(mrkit::write_file_atomically("/tmp", "x"), std::runtime_error);
}
