#include <mrkit/core/runtime.hpp>
#include <mrkit/io/input_files.hpp>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

class InputFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mrkit-inputs-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string write(const std::string& rel, const std::string& content) {
    const fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string root_;
};

std::vector<std::string> paths_of(const mrkit::InputListing& l) {
  std::vector<std::string> out;
  for (const auto& f : l.files) out.push_back(f.path);
  return out;
}

}  // namespace

TEST_F(InputFilesTest, WalksDirectoriesRecursivelyInBytewiseOrder) {
  write("b/z.txt", "zz");
  write("b/a.txt", "a");
  write("B/x.txt", "xxx");
  write("a.txt", "");
  write("b/sub/deep.txt", "deep");
  const auto listing = mrkit::list_input_files({root_});
  const std::vector<std::string> expected = {root_ + "/B/x.txt", root_ + "/a.txt",
                                             root_ + "/b/a.txt", root_ + "/b/sub/deep.txt",
                                             root_ + "/b/z.txt"};
  EXPECT_EQ(paths_of(listing), expected);
  EXPECT_EQ(listing.files[0].size, 3U);
  EXPECT_EQ(listing.files[1].size, 0U);
  EXPECT_TRUE(listing.warnings.empty());
}

TEST_F(InputFilesTest, KeepsCommandLineOrderAndDuplicates) {
  const auto a = write("a", "1");
  const auto b = write("b", "2");
  EXPECT_EQ(paths_of(mrkit::list_input_files({b, a, b})), (std::vector<std::string>{b, a, b}));
}

TEST_F(InputFilesTest, SkipsSpecialFilesInDirectoriesWithAWarning) {
  write("d/text", "words here");
  const std::string fifo = root_ + "/d/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string sock = root_ + "/d/sock";
  const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const auto listing = mrkit::list_input_files({root_ + "/d"});
  ::close(s);
  EXPECT_EQ(paths_of(listing), (std::vector<std::string>{root_ + "/d/text"}));
  ASSERT_EQ(listing.warnings.size(), 2U);
  EXPECT_NE(listing.warnings[0].find("a FIFO"), std::string::npos) << listing.warnings[0];
  EXPECT_NE(listing.warnings[0].find(fifo), std::string::npos);
  EXPECT_NE(listing.warnings[1].find("a socket"), std::string::npos) << listing.warnings[1];
}

TEST_F(InputFilesTest, DoesNotFollowDirectoryLinksSoLoopsEnd) {
  write("d/file", "x");
  fs::create_directory_symlink(root_ + "/d", root_ + "/d/loop");
  fs::create_symlink(root_ + "/d/file", root_ + "/d/link-to-file");
  const auto listing = mrkit::list_input_files({root_ + "/d"});
  EXPECT_EQ(paths_of(listing),
            (std::vector<std::string>{root_ + "/d/file", root_ + "/d/link-to-file"}));
}

TEST_F(InputFilesTest, BadPathsAreInputErrorsNamingThePath) {
  const std::string missing = root_ + "/missing";
  try {
    (void)mrkit::list_input_files({missing});
    FAIL() << "no error for a missing path";
  } catch (const mrkit::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), mrkit::ExitCode::input);
  }
  fs::create_directory(root_ + "/empty");
  EXPECT_THROW((void)mrkit::list_input_files({root_ + "/empty"}), mrkit::InputError);
  const std::string fifo = root_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW((void)mrkit::list_input_files({fifo}), mrkit::InputError);
  EXPECT_THROW((void)mrkit::list_input_files({}), mrkit::UsageError);
}

TEST_F(InputFilesTest, EmptyDirectoryBesideFilesIsAWarning) {
  const auto f = write("f", "x");
  fs::create_directory(root_ + "/empty");
  const auto listing = mrkit::list_input_files({f, root_ + "/empty"});
  EXPECT_EQ(listing.files.size(), 1U);
  ASSERT_EQ(listing.warnings.size(), 1U);
  EXPECT_NE(listing.warnings[0].find("holds no regular file"), std::string::npos);
}

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_F(InputFilesTest, AFileListedWithSizeZeroIsReadWhenListed) {
  if (!fs::exists("/proc/version")) GTEST_SKIP() << "no /proc/version here";
  const std::string want = slurp("/proc/version");  // does not change while the system runs
  ASSERT_FALSE(want.empty());
  write("d/empty", "");
  write("d/plain", "two words");
  fs::create_symlink("/proc/version", root_ + "/d/version");
  const auto listing = mrkit::list_input_files({"/proc/version", root_ + "/d"});
  ASSERT_EQ(listing.files.size(), 4U);
  for (const std::size_t i : {0U, 3U}) {  // named, and through a link in a directory
    const mrkit::InputFile& f = listing.files[i];
    ASSERT_TRUE(f.content.has_value()) << f.path;
    EXPECT_EQ(*f.content, want);
    EXPECT_EQ(f.size, want.size());
  }
  EXPECT_FALSE(listing.files[1].content.has_value());  // a genuine empty file stays ordinary
  EXPECT_EQ(listing.files[1].size, 0U);
  EXPECT_FALSE(listing.files[2].content.has_value());
  EXPECT_EQ(listing.files[2].size, 9U);
}

TEST_F(InputFilesTest, SysfsFilesAreHeldAtTheirRealSize) {
  const std::string path = "/sys/class/net/lo/address";
  if (!fs::exists(path)) GTEST_SKIP() << "no " << path << " here";
  const auto listing = mrkit::list_input_files({path});
  ASSERT_EQ(listing.files.size(), 1U);
  ASSERT_TRUE(listing.files[0].content.has_value());
  EXPECT_EQ(*listing.files[0].content, slurp(path));
  EXPECT_EQ(listing.files[0].size, slurp(path).size());  // not the 4096 sysfs lists
}

TEST_F(InputFilesTest, AnEndlessSizeZeroFileIsRefusedNamingIt) {
  const std::string path = "/proc/self/pagemap";  // 8 bytes per page of the address space
  if (::access(path.c_str(), R_OK) != 0) GTEST_SKIP() << "no readable " << path;
  try {
    (void)mrkit::list_input_files({path});
    FAIL() << "no error for " << path;
  } catch (const mrkit::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("64 MiB"), std::string::npos) << e.what();
  }
}

TEST_F(InputFilesTest, StandardInputIsAUsageError) {
  const auto f = write("f", "x");
  try {
    (void)mrkit::list_input_files({f, "-"});
    FAIL() << "no error for '-'";
  } catch (const mrkit::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("standard input"), std::string::npos) << e.what();
  }
}

TEST_F(InputFilesTest, ReadToEndAndListedSizeIsContent) {
  const auto f = write("f", "12345678");
  const auto empty = write("e", "");
  const int fd = ::open(f.c_str(), O_RDONLY);
  const int efd = ::open(empty.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_GE(efd, 0);
  EXPECT_TRUE(mrkit::listed_size_is_content(fd));
  EXPECT_FALSE(mrkit::listed_size_is_content(efd));
  EXPECT_EQ(mrkit::read_to_end(fd, f), "12345678");
  EXPECT_EQ(mrkit::read_to_end(efd, empty), "");
  ::close(fd);
  ::close(efd);
  const int big = ::open(f.c_str(), O_RDONLY);
  EXPECT_THROW((void)mrkit::read_to_end(big, f, 7), mrkit::InputError);
  ::close(big);
  if (fs::exists("/proc/version")) {
    const int pfd = ::open("/proc/version", O_RDONLY);
    EXPECT_FALSE(mrkit::listed_size_is_content(pfd));
    EXPECT_EQ(mrkit::read_to_end(pfd, "/proc/version"), slurp("/proc/version"));
    ::close(pfd);
  }
}

TEST_F(InputFilesTest, AFileTheBitsForbidIsAnInputErrorEvenInADirectory) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root reads any file (tests/apps/wordcount/special_inputs_e2e.py "
                    "covers this case as the user nobody)";
  write("d/a", "readable");
  const auto bad = write("d/b", "secret");
  ASSERT_EQ(::chmod(bad.c_str(), 0), 0);
  try {
    (void)mrkit::list_input_files({root_ + "/d"});
    FAIL() << "no error for an unreadable file";
  } catch (const mrkit::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}
