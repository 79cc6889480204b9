// Sorted results and part files at 1 to 4 ranks, against serial references computed on every
// rank with std::sort over the same generated records: the ranges of sort_across_ranks,
// concatenated in rank order, must be the reference exactly (so the same at every rank count),
// and the parts write_parts leaves, concatenated in name order, the reference's text.
#include "mpi_test.hpp"

#include <mrkit/comm/chunked_messages.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/mapreduce.hpp>

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

namespace {

namespace fs = std::filesystem;

using Pair = std::pair<std::string, std::uint64_t>;
using Pairs = std::vector<Pair>;

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The generated records: task t emits `per_task` (key, value) pairs, keys among `distinct`.
// hot: every value is 1 but for the key "k0", which gets every emit's weight (one hot value).
struct Records {
  std::uint64_t tasks = 23;
  std::uint64_t per_task = 300;
  std::uint64_t distinct = 5000;
  bool equal_values = false;  // every key's value is 7 (max of 7s)

  template <class Emit>
  void emit_task(std::uint64_t task, Emit&& emit) const {
    std::uint64_t state = task * 104729 + 17;
    for (std::uint64_t i = 0; i < per_task; ++i) {
      const std::uint64_t r = splitmix(state);
      const std::uint64_t k = distinct == 0 ? 0 : r % distinct;
      emit("k" + std::to_string(k), equal_values ? 7 : 1 + (r >> 40) % 50);
    }
  }

  [[nodiscard]] std::uint64_t combine(std::uint64_t a, std::uint64_t b) const {
    return equal_values ? std::max(a, b) : a + b;
  }

  // The engine's result.
  [[nodiscard]] mrkit::KeyValues<std::string, std::uint64_t> run() const {
    return mrkit::reduce_by_key<std::string, std::uint64_t>(
        world(), tasks,
        [this](std::uint64_t task, auto& emit) {
          emit_task(task, [&](std::string key, std::uint64_t v) { emit(std::move(key), v); });
        },
        [this](std::uint64_t a, std::uint64_t b) { return combine(a, b); });
  }

  // The serial reference, sorted by `before`.
  template <class Before>
  [[nodiscard]] Pairs reference(Before before) const {
    std::map<std::string, std::uint64_t> all;
    for (std::uint64_t t = 0; t < tasks; ++t) {
      emit_task(t, [&](const std::string& key, std::uint64_t v) {
        const auto found = all.find(key);
        if (found == all.end()) {
          all.emplace(key, v);
        } else {
          found->second = combine(found->second, v);
        }
      });
    }
    Pairs sorted(all.begin(), all.end());
    std::sort(sorted.begin(), sorted.end(), before);
    return sorted;
  }
};

// Every rank's range, in rank order, on every rank.
template <class P>
std::vector<std::vector<P>> ranges_of(const std::vector<P>& mine) {
  std::vector<std::vector<P>> all;
  boost::mpi::all_gather(world(), mine, all);
  return all;
}

template <class P>
std::vector<P> concatenation(const std::vector<std::vector<P>>& ranges) {
  std::vector<P> all;
  for (const auto& r : ranges) all.insert(all.end(), r.begin(), r.end());
  return all;
}

std::string tsv(const Pair& p) {
  return p.first + "\t" + std::to_string(p.second) + "\n";
}

std::string text_of(const Pairs& pairs) {
  std::string text;
  for (const auto& p : pairs) text += tsv(p);
  return text;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The names in `dir`, sorted.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The parts of `dir` (part- and 5 digits or more), concatenated in name order.
std::string parts_text(const fs::path& dir) {
  std::string text;
  for (const auto& name : names_in(dir)) {
    const bool part = name.starts_with("part-") && name.size() >= 10 &&
                      name.find_first_not_of("0123456789", 5) == std::string::npos;
    if (part) text += read_file(dir / name);
  }
  return text;
}

std::vector<std::string> expected_names(bool success) {
  std::vector<std::string> names;
  if (success) names.emplace_back("_SUCCESS");
  for (int r = 0; r < world().size(); ++r) {
    char name[32];
    std::snprintf(name, sizeof name, "part-%05d", r);
    names.emplace_back(name);
  }
  return names;
}

// The error write_parts raised on this rank ("" if none), and whether every rank raised the
// same one (collective).
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

constexpr auto by_key = mrkit::by_key;
constexpr auto by_value_descending = mrkit::by_value_descending;

}  // namespace

TEST(SortAcrossRanks, ByKeyAndByValueDescendingAreTheSerialSort) {
  const Records records;
  const auto result = records.run();
  const auto by_key_ranges = ranges_of(result.sorted(by_key));
  const auto by_value_ranges = ranges_of(result.sorted(by_value_descending));
  const Pairs want_by_key = records.reference(by_key);
  const Pairs want_by_value = records.reference(by_value_descending);
  bool ok = concatenation(by_key_ranges) == want_by_key;
  ok = ok && concatenation(by_value_ranges) == want_by_value;
  ok = ok && by_key_ranges.size() == static_cast<std::size_t>(world().size());
  // The generated data has ties in value: the reference breaks them by key.
  ok = ok && want_by_value.size() > 1000 &&
       std::adjacent_find(want_by_value.begin(), want_by_value.end(),
                          [](const Pair& a, const Pair& b) { return a.second == b.second; }) !=
           want_by_value.end();
  ASSERT_TRUE(all_ranks(ok));
}

TEST(SortAcrossRanks, AUsersOrder) {
  // Longest key first, then by value ascending, then by key descending: a strict total order.
  const auto before = [](const Pair& a, const Pair& b) {
    if (a.first.size() != b.first.size()) return a.first.size() > b.first.size();
    if (a.second != b.second) return a.second < b.second;
    return a.first > b.first;
  };
  const Records records;
  const auto ranges = ranges_of(records.run().sorted(before));
  ASSERT_TRUE(all_ranks(concatenation(ranges) == records.reference(before)));
}

TEST(SortAcrossRanks, AllEqualValuesAreInKeyOrder) {
  Records records;
  records.equal_values = true;
  const auto ranges = ranges_of(records.run().sorted(by_value_descending));
  const Pairs want = records.reference(by_key);  // all values equal: key order
  bool ok = concatenation(ranges) == want && want.size() > 1000;
  ok = ok && std::all_of(want.begin(), want.end(), [](const Pair& p) { return p.second == 7; });
  ASSERT_TRUE(all_ranks(ok));
}

TEST(SortAcrossRanks, FewerPairsThanRanksAndNone) {
  for (const std::uint64_t distinct : {1U, 2U, 3U}) {
    Records records;
    records.tasks = 2;
    records.per_task = 5;
    records.distinct = distinct;
    const auto result = records.run();
    const auto by_value = ranges_of(result.sorted(by_value_descending));
    const auto by_k = ranges_of(result.sorted(by_key));
    bool ok = concatenation(by_value) == records.reference(by_value_descending);
    ok = ok && concatenation(by_k) == records.reference(by_key);
    ASSERT_TRUE(all_ranks(ok)) << distinct << " keys";
  }
  Records none;
  none.tasks = 0;
  const auto result = none.run();
  const auto sorted = result.sorted(by_key);
  ASSERT_TRUE(all_ranks(sorted.empty() && result.size() == 0));
}

TEST(SortAcrossRanks, OneHotValue) {
  // Every value 1 but one key's, which holds nearly everything: by value, it comes first and
  // the rest follow in key order.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> mine;
  const std::uint64_t n = 30000;
  for (std::uint64_t k = static_cast<std::uint64_t>(world().rank()); k < n;
       k += static_cast<std::uint64_t>(world().size())) {
    mine.emplace_back(k * 2654435761ULL % 1000003, k == 12345 ? 1000000 : 1);
  }
  auto want = concatenation(ranges_of(mine));
  std::sort(want.begin(), want.end(), by_value_descending);
  const auto ranges = ranges_of(mrkit::sort_across_ranks(world(), mine, by_value_descending));
  bool ok = concatenation(ranges) == want && want.size() == n && want[0].second == 1000000;
  ok = ok && want[1].second == 1 && want[1].first < want[2].first;
  ASSERT_TRUE(all_ranks(ok));
}

TEST(SortAcrossRanks, RangesAreBalancedWhateverTheInputSizes) {
  // 40000 distinct keys, spread three ways: evenly, all on rank 0, and rank r holding
  // (r + 1)^3 shares. Regular sampling bounds every range by the mean plus (P + 1) sample steps
  // (about 1.4x the mean at 2 ranks, less at more); assert 1.5x loosely.
  const std::uint64_t n = 40000;
  const auto ranks = static_cast<std::uint64_t>(world().size());
  const auto rank = static_cast<std::uint64_t>(world().rank());
  for (const char* spread : {"even", "rank 0", "cubic"}) {
    std::vector<std::pair<std::uint64_t, double>> mine;
    std::uint64_t total_shares = 0;
    for (std::uint64_t r = 0; r < ranks; ++r) total_shares += (r + 1) * (r + 1) * (r + 1);
    std::uint64_t begin = 0;
    for (std::uint64_t r = 0; r < rank; ++r)
      begin += n * (r + 1) * (r + 1) * (r + 1) / total_shares;
    const std::uint64_t end =
        rank + 1 == ranks ? n : begin + n * (rank + 1) * (rank + 1) * (rank + 1) / total_shares;
    for (std::uint64_t i = 0; i < n; ++i) {
      const bool keep = spread == std::string("even")     ? i % ranks == rank
                        : spread == std::string("rank 0") ? rank == 0
                                                          : (i >= begin && i < end);
      if (keep) mine.emplace_back(i * 48271 % 2147483647, static_cast<double>(i % 97));
    }
    auto want = concatenation(ranges_of(mine));
    std::sort(want.begin(), want.end(), by_value_descending);
    const auto ranges = ranges_of(mrkit::sort_across_ranks(world(), mine, by_value_descending));
    std::size_t largest = 0;
    for (const auto& r : ranges) largest = std::max(largest, r.size());
    const double mean = static_cast<double>(n) / static_cast<double>(ranks);
    if (world().rank() == 0) {
      std::printf("[ balance  ] %s, %llu ranks: largest range %zu = %.3fx the mean\n", spread,
                  static_cast<unsigned long long>(ranks), largest,
                  static_cast<double>(largest) / mean);
      std::fflush(stdout);
    }
    bool ok = want.size() == n && concatenation(ranges) == want;
    ok = ok && static_cast<double>(largest) <= 1.5 * mean + 1;
    ASSERT_TRUE(all_ranks(ok)) << spread;
  }
}

TEST(SortAcrossRanks, PiecesOfAFewBytes) {
  // The all-to-all and the samples travel in pieces: at 7 bytes a piece, still the same sort.
  const Records records;
  const auto result = records.run();
  mrkit::set_max_message_bytes(7);
  const auto ranges = ranges_of(result.sorted(by_value_descending));
  mrkit::set_max_message_bytes(0);
  ASSERT_TRUE(all_ranks(concatenation(ranges) == records.reference(by_value_descending)));
}

TEST(WriteParts, SortedPartsConcatenateToTheReferenceAndStaleOnesGo) {
  const fs::path dir = fs::path(mrkit::testing::shared_temp_dir()) / "out";
  if (world().rank() == 0) {
    // An earlier run's leftovers: parts and a marker (removed), and other files (kept).
    fs::create_directory(dir);
    for (const char* name : {"part-00007", "part-00000", "_SUCCESS"}) {
      std::ofstream(dir / name) << "stale\n";
    }
    for (const char* name : {"keep.txt", "part-7", "_SUCCESS.bak", ".part-00001.tmp"}) {
      std::ofstream(dir / name) << "mine\n";
    }
  }
  world().barrier();
  const Records records;
  const auto result = records.run();
  const std::string error = error_of(
      [&] { mrkit::write_sorted_parts(world(), dir.string(), result, by_value_descending, tsv); });
  bool ok = error.empty();
  if (world().rank() == 0) {
    auto want_names = expected_names(true);
    for (const char* name : {".part-00001.tmp", "_SUCCESS.bak", "keep.txt", "part-7"}) {
      want_names.emplace_back(name);
    }
    std::sort(want_names.begin(), want_names.end());
    ok = ok && names_in(dir) == want_names;
    ok = ok && parts_text(dir) == text_of(records.reference(by_value_descending));
    ok = ok && read_file(dir / "_SUCCESS").empty() && read_file(dir / "keep.txt") == "mine\n";
  }
  ASSERT_TRUE(all_ranks(ok)) << error;

  // Again by key, into the same directory: the parts are replaced.
  const std::string again =
      error_of([&] { mrkit::write_sorted_parts(world(), dir.string(), result, by_key, tsv); });
  ok = again.empty();
  if (world().rank() == 0) ok = ok && parts_text(dir) == text_of(records.reference(by_key));
  ASSERT_TRUE(all_ranks(ok)) << again;
}

TEST(WriteParts, CreatesTheDirectoryAndWritesEmptyParts) {
  const fs::path dir = fs::path(mrkit::testing::shared_temp_dir()) / "fresh";
  const std::string mine = world().rank() % 2 == 0 ? "" : "rank " + std::to_string(world().rank());
  const std::string error = error_of([&] { mrkit::write_parts(world(), dir.string(), mine); });
  std::string want;
  for (int r = 1; r < world().size(); r += 2) want += "rank " + std::to_string(r);
  bool ok = error.empty();
  if (world().rank() == 0) {
    ok = ok && names_in(dir) == expected_names(true) && parts_text(dir) == want;
  }
  ASSERT_TRUE(all_ranks(ok)) << error;
}

TEST(WriteParts, ADirectoryThatCannotBeMadeIsOneErrorOnEveryRankAndNoMarker) {
  const fs::path base(mrkit::testing::shared_temp_dir());
  if (world().rank() == 0) std::ofstream(base / "a-file") << "x";
  world().barrier();
  for (const fs::path& dir : {base / "missing" / "out", base / "a-file" / "out", base / "a-file"}) {
    const std::string error =
        error_of([&] { mrkit::write_parts(world(), dir.string(), "some text\n"); });
    bool ok = same_on_every_rank(error) && error.starts_with("CollectiveError: ");
    ok = ok && error.find(dir.string()) != std::string::npos;
    ok = ok && error.find("rank 0 (" + mrkit::Runtime::host() + ")") != std::string::npos;
    ok = ok && error.find('\n') == std::string::npos;
    ok = ok && !fs::exists(dir / "_SUCCESS") && !fs::exists(base / "missing");
    ASSERT_TRUE(all_ranks(ok)) << dir << ": " << error;
  }
}

TEST(WriteParts, ARankThatCannotWriteIsOneErrorOnEveryRankAndNoMarker) {
  // Rank 1 does not see the mother's directory (as on a host without the shared file system):
  // its part fails, every rank reports it, and the mother writes no _SUCCESS.
  if (world().size() < 2) GTEST_SKIP() << "needs 2 ranks";
  const fs::path base(mrkit::testing::shared_temp_dir());
  const fs::path good = base / "out";
  const fs::path unseen = base / "elsewhere" / "out";
  if (world().rank() == 0) {
    fs::create_directory(good);
    std::ofstream(good / "_SUCCESS") << "";  // an earlier run's marker
  }
  world().barrier();
  const fs::path dir = world().rank() == 1 ? unseen : good;
  const std::string error = error_of([&] { mrkit::write_parts(world(), dir.string(), "x\n"); });
  bool ok = same_on_every_rank(error) && error.starts_with("CollectiveError: ");
  ok = ok && error.find((unseen / "part-00001").string()) != std::string::npos;
  ok = ok && error.find("rank 1 (" + mrkit::Runtime::host() + ")") != std::string::npos;
  ok = ok && error.find('\n') == std::string::npos;
  ok = ok && !fs::exists(good / "_SUCCESS");
  ASSERT_TRUE(all_ranks(ok)) << error;
}

TEST(WriteParts, AFormatThatThrowsIsOneErrorOnEveryRankAndWritesNothing) {
  const fs::path dir = fs::path(mrkit::testing::shared_temp_dir()) / "out";
  const Records records;
  const auto result = records.run();
  // Only the rank holding "k42" fails.
  const auto format = [](const Pair& p) -> std::string {
    if (p.first == "k42") throw std::runtime_error("no text for k42");
    return tsv(p);
  };
  const std::string error =
      error_of([&] { mrkit::write_sorted_parts(world(), dir.string(), result, by_key, format); });
  bool ok = same_on_every_rank(error) && error.starts_with("CollectiveError: ");
  ok = ok && error.find("no text for k42") != std::string::npos;
  ok = ok && error.find(" (" + mrkit::Runtime::host() + ")") != std::string::npos;
  ok = ok && !fs::exists(dir);
  ASSERT_TRUE(all_ranks(ok)) << error;
}

namespace {

// A user's key: no std::hash, travels through Boost.Serialization.
struct Version {
  std::vector<int> parts;
  std::string tag;
  friend bool operator==(const Version&, const Version&) = default;
  friend auto operator<=>(const Version&, const Version&) = default;
  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& parts& tag;
  }
};

}  // namespace

TEST(SortAcrossRanks, UserStructKeys) {
  using VersionPair = std::pair<Version, std::int64_t>;
  std::vector<VersionPair> all;
  for (int i = 0; i < 500; ++i) {
    all.emplace_back(Version{{i % 7, i % 11, i}, i % 3 == 0 ? "rc" : ""}, -(i % 13));
  }
  std::vector<VersionPair> mine;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (static_cast<int>(i * 7 % static_cast<std::size_t>(world().size())) == world().rank()) {
      mine.push_back(all[i]);
    }
  }
  auto want_by_key = all;
  std::sort(want_by_key.begin(), want_by_key.end(), by_key);
  auto want_by_value = all;
  std::sort(want_by_value.begin(), want_by_value.end(), by_value_descending);
  const auto got_by_key = concatenation(ranges_of(mrkit::sort_across_ranks(world(), mine, by_key)));
  const auto got_by_value =
      concatenation(ranges_of(mrkit::sort_across_ranks(world(), mine, by_value_descending)));
  ASSERT_TRUE(all_ranks(got_by_key == want_by_key && got_by_value == want_by_value));
}
