#include <mrkit/io/scratch_dir.hpp>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;

namespace {

// A fresh parent directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mrkit-scratch-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::permissions(path_, fs::perms::owner_all, ignored);
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ScratchDir, CreatesAPrivateDirectoryAndRemovesItWithItsFiles) {
  const TempDir parent;
  std::string path;
  {
    const mrkit::ScratchDir scratch(parent.path().string());
    path = scratch.path();
    EXPECT_EQ(fs::path(path).parent_path(), parent.path());
    EXPECT_EQ(fs::path(path).filename().string().rfind("mrkit-scratch-", 0), 0U);
    ASSERT_TRUE(fs::is_directory(path));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700U);
    const std::string a = scratch.new_file_path("run");
    const std::string b = scratch.new_file_path("run");
    EXPECT_NE(a, b);
    mrkit::SpillFileWriter w(a, scratch.path());
    w.write("hello");
    w.close();
    fs::create_directory(fs::path(path) / "sub");
    mrkit::SpillFileWriter(fs::path(path) / "sub" / "x", scratch.path()).close();
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(parent.path()));
}

TEST(ScratchDir, IsRemovedWhenAnExceptionUnwinds) {
  const TempDir parent;
  EXPECT_THROW(
      {
        const mrkit::ScratchDir scratch(parent.path().string());
        mrkit::SpillFileWriter w(scratch.new_file_path("run"), scratch.path());
        w.write(std::string(100000, 'x'));
        throw std::runtime_error("map failed");
      },
      std::runtime_error);
  EXPECT_TRUE(fs::is_empty(parent.path()));
}

TEST(ScratchDir, DefaultParentIsTmpdirThenTmp) {
  const TempDir parent;
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("TMPDIR", parent.path().c_str(), 1);
  EXPECT_EQ(mrkit::default_scratch_parent(), parent.path().string());
  {
    const mrkit::ScratchDir scratch;
    EXPECT_EQ(fs::path(scratch.path()).parent_path(), parent.path());
  }
  ::setenv("TMPDIR", "", 1);
  EXPECT_EQ(mrkit::default_scratch_parent(), "/tmp");
  ::unsetenv("TMPDIR");
  EXPECT_EQ(mrkit::default_scratch_parent(), "/tmp");
  if (old != nullptr) ::setenv("TMPDIR", saved.c_str(), 1);
}

TEST(ScratchDir, AMissingParentIsAOneLineErrorNamingIt) {
  const TempDir parent;
  const std::string missing = (parent.path() / "nope").string();
  const std::string m = message_of([&] { const mrkit::ScratchDir scratch(missing); });
  EXPECT_NE(m.find("cannot create a scratch directory in '" + missing + "'"), std::string::npos)
      << m;
  EXPECT_NE(m.find("No such file or directory"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(ScratchDir, AReadOnlyParentIsAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may write into a read-only directory";
  const TempDir parent;
  fs::permissions(parent.path(), fs::perms::owner_read | fs::perms::owner_exec);
  const std::string m = message_of([&] { const mrkit::ScratchDir scratch(parent.path()); });
  EXPECT_NE(m.find("cannot create a scratch directory in '" + parent.path().string() + "'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("Permission denied"), std::string::npos) << m;
}

TEST(SpillFile, WritesAndReadsBackAtOffsets) {
  const TempDir parent;
  const mrkit::ScratchDir scratch(parent.path().string());
  const std::string path = scratch.new_file_path("run");
  std::string all;
  {
    mrkit::SpillFileWriter w(path, scratch.path(), 16);  // a tiny buffer: many writes
    for (int i = 0; i < 1000; ++i) {
      const std::string piece = std::to_string(i) + ",";
      all += piece;
      w.write(piece);
      EXPECT_EQ(w.offset(), all.size());
    }
    w.write(std::string(5000, 'z'));
    all += std::string(5000, 'z');
    w.close();
    EXPECT_EQ(w.offset(), all.size());
  }
  EXPECT_EQ(fs::file_size(path), all.size());
  const mrkit::SpillFileReader r(path);
  std::string got(all.size(), '\0');
  r.read_at(0, got.data(), got.size());
  EXPECT_EQ(got, all);
  std::string mid(10, '\0');
  r.read_at(100, mid.data(), mid.size());
  EXPECT_EQ(mid, all.substr(100, 10));
  EXPECT_THROW(r.read_at(all.size() - 2, mid.data(), mid.size()), std::runtime_error);
}

TEST(SpillFile, NoSpaceIsReportedNamingTheScratchDirectory) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  // A large write goes straight to the file: the write fails.
  std::string m = message_of([] {
    mrkit::SpillFileWriter w("/dev/full", "/some/scratch", 16);
    w.write(std::string(1000, 'x'));
    w.close();
  });
  EXPECT_NE(m.find("no space left on device"), std::string::npos) << m;
  EXPECT_NE(m.find("/some/scratch"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
  // A small write stays in the buffer: close() must report it.
  m = message_of([] {
    mrkit::SpillFileWriter w("/dev/full", "/some/scratch", 1 << 16);
    w.write("abc");
    w.close();
  });
  EXPECT_NE(m.find("no space left on device"), std::string::npos) << m;
}

}  // namespace
