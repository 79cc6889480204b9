#include "mpi_test.hpp"

#include <mrkit/core/runtime.hpp>
#include <mrkit/io/input_files.hpp>
#include <mrkit/text/tokenizer.hpp>
#include "wordcount/word_count.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <boost/mpi/collectives.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

using mrkit::testing::all_ranks;
using mrkit::testing::world;
namespace fs = std::filesystem;

namespace {

struct Corpus {
  std::string dir;
  std::vector<std::string> texts;  // in listing order (file names sort as written)
};

// Files of uneven sizes: empty, tiny, a huge word, Zipf-like words, CRLF, NUL, no newline.
const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus out;
    out.dir = mrkit::testing::shared_temp_dir();
    std::mt19937_64 rng(11);
    const std::vector<std::string> vocab = {"the",
                                            "The",
                                            "of",
                                            "MPI",
                                            "mpi",
                                            "caf\xc3\xa9",
                                            "a\xc2\xa0"
                                            "b",
                                            std::string("nul\0x", 5),
                                            "rank",
                                            "mother"};
    auto zipf = [&](std::size_t words) {
      std::string s;
      for (std::size_t i = 0; i < words; ++i) {
        const std::size_t k = std::min<std::size_t>(
            vocab.size() - 1,
            static_cast<std::size_t>(rng() % 64 == 0 ? rng() % vocab.size() : (rng() % 4)));
        s += vocab[k];
        s += (i % 13 == 12) ? "\r\n" : (i % 7 == 6 ? "\t" : " ");
      }
      return s;
    };
    out.texts = {"",
                 "one",
                 zipf(50000),
                 "  \n\t ",
                 std::string(70000, 'W') + " end",
                 zipf(3000) + "tail-no-newline",
                 zipf(20)};
    if (world().rank() == 0) {
      for (std::size_t i = 0; i < out.texts.size(); ++i) {
        std::ofstream(fs::path(out.dir) / ("f" + std::to_string(i)), std::ios::binary)
            << out.texts[i];
      }
    }
    world().barrier();
    return out;
  }();
  return c;
}

std::map<std::string, std::uint64_t> reference_counts(bool fold) {
  std::map<std::string, std::uint64_t> m;
  for (std::string t : corpus().texts) {
    if (fold) mrkit::to_lower_ascii(t);
    mrkit::for_each_word(t, [&](std::string_view w) { ++m[std::string(w)]; });
  }
  return m;
}

}  // namespace

struct Setting {
  mrkit::Schedule schedule;
  std::uint64_t split;
  std::size_t buffer;
};

class WordCountTest : public ::testing::TestWithParam<Setting> {};

TEST_P(WordCountTest, MatchesTheSerialReference) {
  const Setting s = GetParam();
  for (const bool fold : {false, true}) {
    mrkit::WordCountOptions opt;
    opt.schedule = s.schedule;
    opt.split_bytes = s.split;
    opt.buffer_bytes = s.buffer;
    opt.frequencies = true;
    opt.ignore_case = fold;
    const auto r = mrkit::count_words(world(), {corpus().dir}, opt);
    bool ok = true;
    std::string why;
    if (world().rank() == 0) {
      const auto ref = reference_counts(fold);
      std::uint64_t total = 0;
      for (std::size_t i = 0; i < corpus().texts.size(); ++i) {
        std::uint64_t n = 0;
        mrkit::for_each_word(corpus().texts[i], [&](std::string_view) { ++n; });
        if (r.words_per_file.at(i) != n) {
          ok = false;
          why += "file " + std::to_string(i) + ": " + std::to_string(r.words_per_file[i]) + " vs " +
                 std::to_string(n) + "; ";
        }
        total += n;
      }
      ok = ok && r.total_words == total && r.distinct_words == ref.size() &&
           r.top.size() == ref.size();
      for (const auto& w : r.top) ok = ok && ref.count(w.word) == 1 && ref.at(w.word) == w.count;
      if (r.ranks != world().size() ||
          r.rank_times.size() != static_cast<std::size_t>(world().size()))
        ok = false;
    }
    ASSERT_TRUE(all_ranks(ok)) << why << " fold=" << fold;
  }
}

INSTANTIATE_TEST_SUITE_P(Settings, WordCountTest,
                         ::testing::Values(Setting{mrkit::Schedule::static_blocks, 0, 1 << 20},
                                           Setting{mrkit::Schedule::dynamic, 0, 1 << 20},
                                           Setting{mrkit::Schedule::static_blocks, 1, 5},
                                           Setting{mrkit::Schedule::dynamic, 7, 3},
                                           Setting{mrkit::Schedule::dynamic, 4096, 1000},
                                           Setting{mrkit::Schedule::static_blocks, 65536, 4096}));

TEST(WordCount, TopKWithoutFrequenciesIsEmptyAndCountsStillRight) {
  mrkit::WordCountOptions opt;
  const auto r = mrkit::count_words(world(), {corpus().dir}, opt);
  bool ok = true;
  if (world().rank() == 0) {
    std::uint64_t total = 0;
    for (const auto& [w, c] : reference_counts(false)) total += c;
    ok = r.total_words == total && r.top.empty();
  }
  EXPECT_TRUE(all_ranks(ok));
}

TEST(WordCount, MissingPathIsAnInputErrorOnEveryRank) {
  const std::string missing = corpus().dir + "/no-such-file";
  bool thrown = false;
  try {
    (void)mrkit::count_words(world(), {missing}, {});
  } catch (const mrkit::InputError& e) {
    thrown = std::string(e.what()).find(missing) != std::string::npos;
  }
  EXPECT_TRUE(all_ranks(thrown));
}

// The collective listing (the ranks share the stats) lists what the one-rank listing lists.
TEST(InputListing, CollectiveListingEqualsTheOneRankListingOnEveryRank) {
  const std::string dir = mrkit::testing::shared_temp_dir() + "/listing";
  if (world().rank() == mrkit::mother_rank) {
    for (int d = 0; d < 5; ++d) {
      for (int f = 0; f < 7 + d; ++f) {
        const fs::path p = fs::path(dir) / ("d" + std::to_string(d)) / ("f" + std::to_string(f));
        fs::create_directories(p.parent_path());
        std::ofstream(p) << std::string(static_cast<std::size_t>(d * 100 + f), 'x');
      }
    }
    fs::create_directories(fs::path(dir) / "empty");
    ::mkfifo((dir + "/d1/a-fifo").c_str(), 0600);                    // skipped, with a warning
    fs::create_symlink(dir + "/d0/f1", dir + "/d2/link-to-a-file");  // counted
    std::ofstream(dir + "/named") << "named file";
  }
  world().barrier();
  const std::vector<std::string> paths = {dir + "/named", dir, dir + "/empty"};
  const mrkit::InputListing want = mrkit::list_input_files(paths);
  const mrkit::InputListing got = mrkit::list_input_files(world(), paths);
  bool same = got.files.size() == want.files.size();
  for (std::size_t i = 0; same && i < want.files.size(); ++i) {
    same = got.files[i].path == want.files[i].path && got.files[i].size == want.files[i].size &&
           got.files[i].mtime_ns == want.files[i].mtime_ns;
  }
  const bool warnings = world().rank() == mrkit::mother_rank
                            ? got.warnings == want.warnings && want.warnings.size() == 2
                            : got.warnings.empty();
  EXPECT_TRUE(all_ranks(same)) << got.files.size() << " files, want " << want.files.size();
  EXPECT_TRUE(all_ranks(warnings));
  EXPECT_TRUE(all_ranks(want.files.size() == 1 + 45 + 2));  // named; 7+...+11, the link, named
}

TEST(InputListing, NoFileAnywhereIsTheSameInputErrorOnEveryRank) {
  const std::string dir = mrkit::testing::shared_temp_dir() + "/nothing";
  if (world().rank() == mrkit::mother_rank) fs::create_directories(dir + "/sub/sub");
  world().barrier();
  std::string message;
  try {
    (void)mrkit::list_input_files(world(), {dir});
  } catch (const mrkit::InputError& e) {
    message = e.what();
  }
  EXPECT_TRUE(all_ranks(message == "no regular file found in '" + dir + "'")) << message;
}
