// write_file_together at 1 to 4 ranks: the file is every rank's bytes in rank order, against
// the concatenation that every rank computes from the same generated sizes (empty ranks
// included), written at offsets into a shared temporary file and, forced, streamed to the root
// in small pieces. Failures (a missing directory, a directory as target) give the same one-line
// CollectiveError on every rank and leave nothing behind; no rank waits on another.
#include "mpi_test.hpp"

#include <mrkit/core/runtime.hpp>
#include <mrkit/io/shared_output.hpp>

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

namespace {

namespace fs = std::filesystem;

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Rank r's bytes for a seed: empty for about one rank in three, else up to 20000 bytes of
// printable text that names the rank and the position (so a misplaced piece shows).
std::string bytes_of(std::uint64_t seed, int rank) {
  std::uint64_t state = seed * 7919 + static_cast<std::uint64_t>(rank) * 104729 + 1;
  if (splitmix(state) % 3 == 0) return {};
  const std::uint64_t size = splitmix(state) % 20000;
  std::string out;
  while (out.size() < size)
    out += "r" + std::to_string(rank) + ":" + std::to_string(out.size()) + ' ';
  out.resize(size);
  return out;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// The error this rank raised ("" if none).
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const mrkit::CollectiveError& e) {
    return std::string("CollectiveError: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("other: ") + e.what();
  }
  return {};
}

bool same_on_every_rank(const std::string& text) {
  std::vector<std::string> all;
  boost::mpi::all_gather(world(), text, all);
  return std::all_of(all.begin(), all.end(), [&](const std::string& t) { return t == text; });
}

// Writes the seed's bytes together and checks the file on the root (collective).
bool round_trip(const fs::path& path, std::uint64_t seed, const mrkit::SharedOutputOptions& o) {
  const std::string mine = bytes_of(seed, world().rank());
  const std::string error = error_of([&] { mrkit::write_file_together(world(), path, mine, o); });
  bool ok = error.empty();
  if (world().rank() == 0) {
    std::string want;
    for (int r = 0; r < world().size(); ++r) want += bytes_of(seed, r);
    const std::string got = read_all(path);
    ok = ok && got == want;
    ok = ok && names_in(path.parent_path()) == std::vector<std::string>{path.filename()};
    if (!ok)
      ADD_FAILURE() << "seed " << seed << ": " << error << " got " << got.size() << " bytes, want "
                    << want.size();
  }
  return all_ranks(ok);
}

}  // namespace

TEST(SharedOutput, FileIsTheRanksBytesInRankOrder) {
  const fs::path dir = mrkit::testing::shared_temp_dir();
  for (std::uint64_t seed = 0; seed < 12; ++seed) {
    ASSERT_TRUE(round_trip(dir / "out.txt", seed, {})) << "seed " << seed;
  }
}

TEST(SharedOutput, StreamedToTheRootInSmallPiecesGivesTheSameFile) {
  const fs::path dir = mrkit::testing::shared_temp_dir();
  mrkit::SharedOutputOptions o;
  o.force_streaming = true;
  o.piece_bytes = 777;  // many pieces per rank
  for (std::uint64_t seed = 0; seed < 12; ++seed) {
    ASSERT_TRUE(round_trip(dir / "out.txt", seed, o)) << "seed " << seed;
  }
}

TEST(SharedOutput, AllRanksEmptyGivesAnEmptyFile) {
  const fs::path dir = mrkit::testing::shared_temp_dir();
  const fs::path path = dir / "empty.txt";
  const std::string error = error_of([&] { mrkit::write_file_together(world(), path, ""); });
  bool ok = error.empty();
  if (world().rank() == 0) ok = ok && fs::exists(path) && fs::file_size(path) == 0;
  ASSERT_TRUE(all_ranks(ok)) << error;
}

TEST(SharedOutput, ReplacedFileKeepsItsModeAndLosesItsOldContent) {
  const fs::path dir = mrkit::testing::shared_temp_dir();
  const fs::path path = dir / "old.txt";
  if (world().rank() == 0) {
    std::ofstream(path) << std::string(100000, 'o');
    ::chmod(path.c_str(), 0640);
  }
  world().barrier();
  ASSERT_TRUE(round_trip(path, 3, {}));
  if (world().rank() == 0) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640U);
  }
}

TEST(SharedOutput, MissingDirectoryFailsAlikeOnEveryRankAndLeavesNothing) {
  const fs::path dir = mrkit::testing::shared_temp_dir();
  const fs::path path = dir / "no-such-dir" / "out.txt";
  for (const bool streaming : {false, true}) {
    mrkit::SharedOutputOptions o;
    o.force_streaming = streaming;
    const std::string error = error_of(
        [&] { mrkit::write_file_together(world(), path, bytes_of(5, world().rank()), o); });
    bool ok = error.starts_with("CollectiveError: ") &&
              error.find(path.string()) != std::string::npos &&
              error.find("No such file or directory") != std::string::npos &&
              error.find('\n') == std::string::npos;
    ok = ok && same_on_every_rank(error);
    if (world().rank() == 0) ok = ok && names_in(dir).empty();
    ASSERT_TRUE(all_ranks(ok)) << error;
  }
}

TEST(SharedOutput, DirectoryAsTargetFailsAlikeOnEveryRank) {
  const fs::path dir = mrkit::testing::shared_temp_dir();
  if (world().rank() == 0) fs::create_directory(dir / "sub");
  world().barrier();
  const std::string error =
      error_of([&] { mrkit::write_file_together(world(), dir / "sub", "x\n"); });
  bool ok = error.starts_with("CollectiveError: ") &&
            error.find("Is a directory") != std::string::npos && same_on_every_rank(error);
  if (world().rank() == 0) ok = ok && names_in(dir) == std::vector<std::string>{"sub"};
  ASSERT_TRUE(all_ranks(ok)) << error;
}

namespace {

// SharedOutputFile: the seed's bytes announced, then written in uneven pieces, then committed;
// the file on the root must be every rank's bytes in rank order, nothing else in the directory.
bool round_trip_in_pieces(const fs::path& path, std::uint64_t seed,
                          const mrkit::SharedOutputOptions& o, const std::string& spool_parent) {
  const std::string mine = bytes_of(seed, world().rank());
  std::string error = error_of([&] {
    mrkit::SharedOutputFile out(world(), path, mine.size(), o, spool_parent);
    std::string local;
    try {
      std::uint64_t state = seed + 99;
      for (std::size_t at = 0; at < mine.size();) {
        const std::size_t n = std::min<std::size_t>(mine.size() - at, 1 + splitmix(state) % 3000);
        out.write(std::string_view(mine).substr(at, n));
        at += n;
      }
    } catch (const std::exception& e) {
      local = e.what();
    }
    mrkit::agree(world(), local.empty(), local);
    out.commit();
  });
  bool ok = error.empty();
  if (world().rank() == 0) {
    std::string want;
    for (int r = 0; r < world().size(); ++r) want += bytes_of(seed, r);
    const std::string got = read_all(path);
    ok = ok && got == want;
    ok = ok && names_in(path.parent_path()) == std::vector<std::string>{path.filename()};
    if (!ok)
      ADD_FAILURE() << "seed " << seed << ": " << error << " got " << got.size() << " bytes, want "
                    << want.size();
  }
  ok = ok && (spool_parent.empty() || fs::is_empty(spool_parent));
  return all_ranks(ok);
}

}  // namespace

TEST(SharedOutputFile, PiecesAtOffsetsGiveTheRanksBytesInRankOrder) {
  const fs::path dir = mrkit::testing::shared_temp_dir();
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    ASSERT_TRUE(round_trip_in_pieces(dir / "out.txt", seed, {}, {})) << "seed " << seed;
  }
}

TEST(SharedOutputFile, StreamedPiecesGoThroughSpoolsAndLeaveNothingBehind) {
  const fs::path dir = mrkit::testing::shared_temp_dir();
  const fs::path spools = mrkit::testing::shared_temp_dir();
  mrkit::SharedOutputOptions o;
  o.force_streaming = true;
  o.piece_bytes = 501;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    ASSERT_TRUE(round_trip_in_pieces(dir / "out.txt", seed, o, spools)) << "seed " << seed;
  }
}

TEST(SharedOutputFile, DroppedBeforeCommitLeavesTheTargetAndNoTemporaryFile) {
  const fs::path dir = mrkit::testing::shared_temp_dir();
  const fs::path path = dir / "kept.txt";
  if (world().rank() == 0) std::ofstream(path) << "old\n";
  world().barrier();
  const std::string error = error_of([&] {
    mrkit::SharedOutputFile out(world(), path, 4);
    out.write("new\n");
    // no commit: as when the caller fails between write and commit
  });
  world().barrier();
  bool ok = error.empty();
  if (world().rank() == 0) {
    ok = ok && read_all(path) == "old\n" &&
         names_in(dir) == std::vector<std::string>{path.filename()};
  }
  ASSERT_TRUE(all_ranks(ok)) << error;
}

TEST(SharedOutputFile, WritingMoreThanAnnouncedIsRefused) {
  const fs::path dir = mrkit::testing::shared_temp_dir();
  std::string local;
  {
    mrkit::SharedOutputFile out(world(), dir / "x.txt", 2);
    try {
      out.write("abc");
    } catch (const std::logic_error& e) {
      local = e.what();
    }
  }
  ASSERT_TRUE(all_ranks(local.find("more bytes") != std::string::npos)) << local;
}
