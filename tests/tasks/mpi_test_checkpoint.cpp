// Checkpoint on every rank: records round-trip; a damaged, truncated, foreign, renumbered or
// misnamed record is never used (named in a warning, its record run again); a record that
// fails to decode is named; another job or a directory in use is refused on every rank.
#include "mpi_test.hpp"

#include <mrkit/core/runtime.hpp>
#include <mrkit/tasks/checkpoint.hpp>

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using mrkit::Checkpoint;
using mrkit::testing::all_ranks;
using mrkit::testing::shared_temp_dir;
using mrkit::testing::world;

namespace {

constexpr std::uint64_t records = 10;

std::string payload(std::uint64_t task) {
  return "payload of record " + std::to_string(task) + std::string(task, '\0');
}

// Every rank writes its share of the records (task % size == rank).
void write_all(const Checkpoint& ck) {
  for (std::uint64_t t = 0; t < records; ++t) {
    if (t % static_cast<std::uint64_t>(world().size()) ==
        static_cast<std::uint64_t>(world().rank())) {
      ck.record(t, payload(t));
    }
  }
  world().barrier();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spill(const std::string& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The mother changes the directory (as a user or a bad disk would), then all ranks go on.
template <class F>
void on_mother(F&& f) {
  if (world().rank() == mrkit::mother_rank) f();
  world().barrier();
}

template <class E, class F>
bool throws_everywhere(F&& f, std::string_view mentions = {}) {
  bool ok = false;
  try {
    f();
  } catch (const E& e) {
    ok = mentions.empty() || std::string_view(e.what()).find(mentions) != std::string_view::npos;
  }
  return all_ranks(ok);
}

bool warned(const Checkpoint& ck, std::string_view mentions) {
  if (world().rank() != mrkit::mother_rank) return ck.warnings().empty();
  for (const std::string& w : ck.warnings()) {
    if (w.find(mentions) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::uint64_t> all_but(std::vector<std::uint64_t> missing) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t t = 0; t < records; ++t) {
    if (std::find(missing.begin(), missing.end(), t) == missing.end()) out.push_back(t);
  }
  return out;
}

TEST(Checkpoint, RecordsRoundTripAndBadOnesAreNeverUsed) {
  const std::string dir = shared_temp_dir() + "/ck";
  {
    const Checkpoint ck(world(), dir, "job A", records);
    ASSERT_TRUE(all_ranks(ck.finished().empty() && ck.remaining().size() == records));
    write_all(ck);
  }
  {
    const Checkpoint ck(world(), dir, "job A", records);
    bool ok = ck.finished() == all_but({}) && ck.remaining().empty() && ck.warnings().empty();
    for (std::uint64_t t = 0; t < records; ++t) ok = ok && ck.load(t) == payload(t);
    ASSERT_TRUE(all_ranks(ok));
  }
  const auto path = [&](std::uint64_t t) {
    return (std::filesystem::path(dir) / ("task-0000000" + std::to_string(t) + ".done")).string();
  };
  on_mother([&] {
    std::string bytes = slurp(path(1));  // one flipped bit in the payload
    bytes.back() = static_cast<char>(bytes.back() ^ 1);
    spill(path(1), bytes);
    bytes = slurp(path(2));  // truncated
    spill(path(2), std::string_view(bytes).substr(0, bytes.size() - 3));
    // Record 4 of another job, record 3 of this one under record 5's name.
    spill(path(4), Checkpoint::encode_record(12345, 4, payload(4)));
    std::filesystem::copy_file(path(3), path(5), std::filesystem::copy_options::overwrite_existing);
    // Misnamed copies: ignored, never counted twice.
    for (const char* alias : {"task-6.done", "task-000000006.done", "task-00000099.done"}) {
      std::filesystem::copy_file(path(6), std::filesystem::path(dir) / alias);
    }
    spill(dir + "/task-00000007.done", "not a record");
  });
  {
    const Checkpoint ck(world(), dir, "job A", records);
    EXPECT_TRUE(all_ranks(ck.finished() == all_but({1, 2, 4, 5, 7})));
    EXPECT_TRUE(all_ranks(ck.remaining() == std::vector<std::uint64_t>{1, 2, 4, 5, 7}));
    EXPECT_TRUE(all_ranks(warned(ck, path(1) + "' is not used: its checksum does not match")));
    EXPECT_TRUE(all_ranks(warned(ck, path(2) + "' is not used: its length is wrong")));
    EXPECT_TRUE(all_ranks(warned(ck, path(4) + "' is not used: it belongs to another job")));
    EXPECT_TRUE(all_ranks(warned(ck, path(5) + "' is not used: it holds record 3, not 5")));
    EXPECT_TRUE(all_ranks(warned(ck, path(7) + "' is not used: it is truncated")));
    EXPECT_TRUE(all_ranks(warned(ck, "ignoring 3 files")));
    // Rerun: the bad records are rewritten and used again.
    for (const std::uint64_t t : ck.remaining()) {
      if (world().rank() == mrkit::mother_rank) ck.record(t, payload(t));
    }
    world().barrier();
  }
  {
    const Checkpoint ck(world(), dir, "job A", records);
    EXPECT_TRUE(all_ranks(ck.finished() == all_but({}) && ck.remaining().empty()));
    // A payload its decoder refuses: an InputError naming the file.
    bool named = false;
    try {
      ck.load(3, [](std::string_view) { throw std::runtime_error("truncated buffer"); });
    } catch (const mrkit::InputError& e) {
      named = std::string_view(e.what()).find(path(3) + "' cannot be used: truncated buffer") !=
              std::string_view::npos;
    }
    EXPECT_TRUE(all_ranks(named));
    // The same directory while this run holds it: in use, on every rank.
    EXPECT_TRUE(throws_everywhere<mrkit::InputError>(
        [&] { const Checkpoint again(world(), dir, "job A", records); },
        "is in use by another run"));
  }
  // Another job, or another number of records: refused on every rank.
  EXPECT_TRUE(throws_everywhere<mrkit::InputError>(
      [&] { const Checkpoint other(world(), dir, "job B", records); }, "different run"));
  EXPECT_TRUE(throws_everywhere<mrkit::InputError>(
      [&] { const Checkpoint other(world(), dir, "job A", records + 1); }, "different run"));
  // Disabled: nothing read or written, every record to run.
  const Checkpoint none(world(), "", "job A", records);
  EXPECT_TRUE(all_ranks(!none.enabled() && none.remaining().size() == records));
}

}  // namespace
