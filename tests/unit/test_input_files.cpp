#include <mrkit/input_files.hpp>
#include <mrkit/runtime.hpp>

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
