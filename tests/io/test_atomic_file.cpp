#include <mrkit/io/atomic_file.hpp>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mrkit-atomic-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// Sets the umask for the lifetime of the object.
class Umask {
 public:
  explicit Umask(mode_t mask) : old_(::umask(mask)) {}
  ~Umask() { ::umask(old_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t old_;
};

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

TEST(AtomicFile, NewFilesFollowTheUmask) {
  TempDir dir;
  {
    Umask mask(077);
    mrkit::write_file_atomically((dir.path() / "private.txt").string(), "x\n");
  }
  EXPECT_EQ(mode_of(dir.path() / "private.txt"), 0600);
  {
    Umask mask(022);
    mrkit::write_file_atomically((dir.path() / "shared.txt").string(), "x\n");
  }
  EXPECT_EQ(mode_of(dir.path() / "shared.txt"), 0644);
  {
    Umask mask(002);
    mrkit::write_file_atomically((dir.path() / "group.txt").string(), "x\n");
  }
  EXPECT_EQ(mode_of(dir.path() / "group.txt"), 0664);
}

TEST(AtomicFile, AnExplicitModeIsGivenToNewFilesOnly) {
  TempDir dir;
  Umask mask(0);
  const mrkit::AtomicWriteOptions owner_only{.new_file_mode = 0600};
  mrkit::write_file_atomically((dir.path() / "new.txt").string(), "x\n", owner_only);
  EXPECT_EQ(mode_of(dir.path() / "new.txt"), 0600);
  fs::permissions(dir.path() / "new.txt", fs::perms(0640));
  mrkit::write_file_atomically((dir.path() / "new.txt").string(), "y\n", owner_only);
  EXPECT_EQ(mode_of(dir.path() / "new.txt"), 0640);
  EXPECT_EQ(read(dir.path() / "new.txt"), "y\n");
}

TEST(AtomicFile, AReplacedFileKeepsItsMode) {
  TempDir dir;
  Umask mask(022);
  for (const mode_t mode : {0600, 0640, 0660, 0755}) {
    const fs::path target = dir.path() / "kept.txt";
    mrkit::write_file_atomically(target.string(), "old\n");
    ASSERT_EQ(::chmod(target.c_str(), mode), 0);
    mrkit::write_file_atomically(target.string(), "new\n");
    EXPECT_EQ(read(target), "new\n");
    EXPECT_EQ(mode_of(target), mode) << std::oct << mode;
  }
}

TEST(AtomicFile, AReadOnlyFileIsRefusedUnlessRoot) {
  TempDir dir;
  const fs::path target = dir.path() / "read-only.txt";
  mrkit::write_file_atomically(target.string(), "old\n");
  ASSERT_EQ(::chmod(target.c_str(), 0444), 0);
  if (::geteuid() == 0) {
    // root may write it directly, so may replace it; the replacement stays read-only.
    mrkit::write_file_atomically(target.string(), "new\n");
    EXPECT_EQ(read(target), "new\n");
    EXPECT_EQ(mode_of(target), 0444);
  } else {
    try {
      mrkit::write_file_atomically(target.string(), "new\n");
      FAIL() << "a 0444 file was replaced";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("Permission denied"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read(target), "old\n");
  }
}

TEST(AtomicFile, ALongNameGetsAShortTemporaryName) {
  TempDir dir;
  for (const std::size_t length : {247, 248, 250, 255}) {
    const fs::path target = dir.path() / std::string(length, 'n');
    mrkit::write_file_atomically(target.string(), "first\n");
    mrkit::write_file_atomically(target.string(), "second\n");
    EXPECT_EQ(read(target), "second\n") << length;
  }
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    EXPECT_NE(e.path().filename().string().front(), '.') << e.path();
    ++entries;
  }
  EXPECT_EQ(entries, 4);
}

TEST(AtomicFile, ARegularFileUnderDevIsReplacedNotAppendedTo) {
  if (!fs::is_directory("/dev/shm") || ::access("/dev/shm", W_OK) != 0) {
    GTEST_SKIP() << "no writable /dev/shm";
  }
  const fs::path target = fs::path("/dev/shm") / ("mrkit-atomic-" + std::to_string(::getpid()));
  mrkit::write_file_atomically(target.string(), "{\"a\":1}\n");
  struct stat first {};
  ASSERT_EQ(::stat(target.c_str(), &first), 0);
  mrkit::write_file_atomically(target.string(), "{\"a\":2}\n");
  const std::string content = read(target);
  struct stat second {};
  ASSERT_EQ(::stat(target.c_str(), &second), 0);
  fs::remove(target);
  EXPECT_EQ(content, "{\"a\":2}\n");
  EXPECT_NE(first.st_ino, second.st_ino) << "written in place, not replaced";
}

TEST(AtomicFile, AFifoIsWrittenStraightIn) {
  TempDir dir;
  const fs::path fifo = dir.path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = read(fifo); });
  mrkit::write_file_atomically(fifo.string(), "through the pipe\n");
  reader.join();
  EXPECT_EQ(got, "through the pipe\n");
  EXPECT_TRUE(fs::is_fifo(fifo));
}

TEST(AtomicFile, ADeviceFullIsAnError) {
  try {
    mrkit::write_file_atomically("/dev/full", "x");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
  }
  EXPECT_THROW(mrkit::write_file_atomically("", "x"), std::runtime_error);
}
