// Spill runs against an in-memory reference: random runs (empty, one, many; keys repeated across
// runs; several sections) written, read back and merged must give what a std::map gives.
#include <mrkit/io/scratch_dir.hpp>
#include <mrkit/mapreduce/spill_runs.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

using U64Runs = std::vector<std::vector<std::map<std::uint64_t, std::uint64_t>>>;  // run, section

// Writes each run (its sections in order) and returns the runs on disk.
template <class K, class V>
std::vector<mrkit::SpillRun> write_runs(const mrkit::ScratchDir& scratch,
                                        const std::vector<std::vector<std::map<K, V>>>& runs,
                                        std::size_t buffer) {
  std::vector<mrkit::SpillRun> out;
  for (const auto& run : runs) {
    mrkit::SpillRunWriter<K, V> w(scratch, buffer);
    for (const auto& section : run) {
      for (const auto& [k, v] : section) w.add(k, v);
      w.next_section();
    }
    out.push_back(w.finish(run.size()));
  }
  return out;
}

template <class K, class V, class Combine>
std::vector<std::pair<K, V>> merge_section(const std::vector<mrkit::SpillRun>& runs,
                                           std::size_t section, Combine combine,
                                           std::size_t buffer) {
  std::vector<mrkit::RunCursor<K, V>> cursors;
  for (const mrkit::SpillRun& run : runs) {
    auto file = std::make_shared<const mrkit::SpillFileReader>(run.path);
    cursors.emplace_back(file, run.bounds[section], run.bounds[section + 1], buffer);
  }
  mrkit::RunMerge<K, V, Combine> merge(std::move(cursors), combine);
  std::vector<std::pair<K, V>> got;
  K key{};
  V value{};
  while (merge.next(key, value)) got.emplace_back(key, value);
  return got;
}

TEST(SpillRuns, MergeOfRandomRunsEqualsAMapReference) {
  std::mt19937_64 rng(17);
  const auto plus = [](std::uint64_t a, std::uint64_t b) { return a + b; };
  for (const int run_count : {0, 1, 2, 3, 7, 40}) {
    for (const std::size_t buffer : {std::size_t{1}, std::size_t{20}, std::size_t{4096}}) {
      const mrkit::ScratchDir scratch;
      const std::size_t sections = 3;
      U64Runs runs(static_cast<std::size_t>(run_count));
      std::vector<std::map<std::uint64_t, std::uint64_t>> reference(sections);
      for (auto& run : runs) {
        run.resize(sections);
        const int n = static_cast<int>(rng() % 60);  // some runs and sections empty
        for (int i = 0; i < n; ++i) {
          const std::size_t s = rng() % sections;
          const std::uint64_t k = rng() % 50;  // keys repeat across runs
          const std::uint64_t v = rng() % 1000;
          run[s][k] += v;
          reference[s][k] += v;
        }
      }
      const auto on_disk = write_runs(scratch, runs, buffer);
      for (std::size_t s = 0; s < sections; ++s) {
        const auto got = merge_section<std::uint64_t, std::uint64_t>(on_disk, s, plus, buffer);
        const std::vector<std::pair<std::uint64_t, std::uint64_t>> want(reference[s].begin(),
                                                                        reference[s].end());
        EXPECT_EQ(got, want) << run_count << " runs, section " << s << ", buffer " << buffer;
      }
    }
  }
}

TEST(SpillRuns, StringKeysAndValueListsConcatenatedInRunOrder) {
  std::mt19937_64 rng(4);
  using Values = std::vector<std::string>;
  const auto append = [](Values a, Values b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const mrkit::ScratchDir scratch;
  std::vector<std::vector<std::map<std::string, Values>>> runs(9);
  std::map<std::string, Values> reference;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    runs[r].resize(1);
    for (int i = 0; i < 30; ++i) {
      const std::string key(1 + rng() % 3, static_cast<char>('a' + rng() % 4));
      const std::string value = "r" + std::to_string(r) + "v" + std::to_string(i) +
                                std::string(rng() % 3 == 0 ? 300 : 0, 'x');
      runs[r][0][key].push_back(value);
    }
  }
  // The reference: each key's lists in run order.
  for (const auto& run : runs) {
    for (const auto& [k, v] : run[0]) reference[k].insert(reference[k].end(), v.begin(), v.end());
  }
  const auto on_disk = write_runs(scratch, runs, 64);
  const auto got = merge_section<std::string, Values>(on_disk, 0, append, 64);
  const std::vector<std::pair<std::string, Values>> want(reference.begin(), reference.end());
  EXPECT_EQ(got, want);
}

TEST(SpillRuns, AStringViewKeyIsWrittenAsAString) {
  const mrkit::ScratchDir scratch;
  mrkit::SpillRunWriter<std::string, std::uint64_t> w(scratch, 8);
  w.add(std::string_view("apple"), 3);
  w.add(std::string_view("pear"), 5);
  const mrkit::SpillRun run = w.finish(1);
  EXPECT_EQ(run.pairs, 2U);
  EXPECT_EQ(run.bytes(), fs::file_size(run.path));
  const auto got = merge_section<std::string, std::uint64_t>(
      {run}, 0, [](std::uint64_t a, std::uint64_t b) { return a + b; }, 8);
  const std::vector<std::pair<std::string, std::uint64_t>> want{{"apple", 3}, {"pear", 5}};
  EXPECT_EQ(got, want);
}

TEST(SpillRuns, ATruncatedRunIsAnError) {
  const mrkit::ScratchDir scratch;
  mrkit::SpillRunWriter<std::string, std::uint64_t> w(scratch, 8);
  w.add(std::string("a longer key"), 3);
  mrkit::SpillRun run = w.finish(1);
  fs::resize_file(run.path, run.bytes() - 3);
  const auto plus = [](std::uint64_t a, std::uint64_t b) { return a + b; };
  const auto merge = [&] { (void)merge_section<std::string, std::uint64_t>({run}, 0, plus, 8); };
  EXPECT_THROW(merge(), std::runtime_error);
}

}  // namespace
