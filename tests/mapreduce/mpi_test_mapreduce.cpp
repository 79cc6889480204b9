// The typed map-reduce engine at 1 to 4 ranks, against serial references computed here with
// std::map over the same generated records: every rank count and both schedules must give the
// reference exactly, and each key must live on the rank that owns it.
#include "mpi_test.hpp"

#include <mrkit/mapreduce.hpp>
#include <mrkit/text/tokenizer.hpp>

#include <gtest/gtest.h>
#include <stdlib.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

namespace {

constexpr std::uint64_t tasks = 37;

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Task t's text: 200 + t words from a skewed vocabulary ("w0" is frequent, "w499" rare),
// separated by spaces, tabs and newlines.
std::string task_text(std::uint64_t task) {
  std::uint64_t state = task * 7919 + 1;
  std::string text;
  for (std::uint64_t i = 0; i < 200 + task; ++i) {
    const std::uint64_t r = splitmix(state);
    text += "w" + std::to_string((r % 500) * (r % 500) / 500);
    text += "  \t\n"[splitmix(state) % 4];
  }
  return text;
}

std::map<std::string, std::uint64_t> reference_counts() {
  std::map<std::string, std::uint64_t> counts;
  for (std::uint64_t t = 0; t < tasks; ++t) {
    mrkit::for_each_word(task_text(t), [&](std::string_view w) { ++counts[std::string(w)]; });
  }
  return counts;
}

template <class K, class V>
bool on_their_owners(const mrkit::KeyValues<K, V>& result) {
  const mrkit::KeyHash<K> hash;
  for (const auto& entry : result.local()) {
    if (mrkit::owner_rank(hash(entry.first), world().size()) != world().rank()) return false;
  }
  return true;
}

mrkit::JobOptions with(mrkit::Schedule schedule) {
  mrkit::JobOptions options;
  options.schedule = schedule;
  return options;
}

const std::vector<mrkit::Schedule> schedules{mrkit::Schedule::static_blocks,
                                             mrkit::Schedule::dynamic};

}  // namespace

TEST(ReduceByKey, WordCountIsTheSerialCountAtEveryRankCountAndSchedule) {
  const auto want = reference_counts();
  for (const auto schedule : schedules) {
    auto counts = mrkit::reduce_by_key<std::string, std::uint64_t>(
        world(), tasks,
        [](std::uint64_t task, auto& emit) {
          mrkit::for_each_word(task_text(task), [&](std::string_view w) { emit(w, 1U); });
        },
        std::plus<>{}, with(schedule));
    const auto all = counts.gather();
    const auto size = counts.size();
    bool ok = on_their_owners(counts) && size == want.size();
    if (world().rank() == 0) {
      ok =
          ok && std::vector<std::pair<std::string, std::uint64_t>>(want.begin(), want.end()) == all;
    } else {
      ok = ok && all.empty();
    }
    ASSERT_TRUE(all_ranks(ok)) << mrkit::to_string(schedule);
  }
}

TEST(ReduceByKey, TopKByValueBreaksTiesByKey) {
  const auto want_all = reference_counts();
  std::vector<std::pair<std::string, std::uint64_t>> want(want_all.begin(), want_all.end());
  std::stable_sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
    return a.second > b.second;  // stable: equal counts keep key order
  });
  auto counts = mrkit::reduce_by_key<std::string, std::uint64_t>(
      world(), tasks,
      [](std::uint64_t task, auto& emit) {
        mrkit::for_each_word(task_text(task), [&](std::string_view w) { emit(w, 1U); });
      },
      std::plus<>{});
  bool ok = true;
  for (const std::uint64_t k : {1UL, 10UL, 57UL, 100000UL}) {
    const auto top = counts.top_k(k, mrkit::by_value_descending);
    if (world().rank() == 0) {
      const auto n = std::min<std::size_t>(k, want.size());
      ok = ok && top == std::vector(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }
  ASSERT_TRUE(all_ranks(ok));
}

TEST(ReduceByKey, IntegerKeysAndMaxCombine) {
  // key: x % 101 for x = task * 1000 + i; value: the largest x per key.
  std::map<std::int64_t, std::uint64_t> want;
  for (std::uint64_t t = 0; t < tasks; ++t) {
    for (std::uint64_t i = 0; i < 1000; ++i) {
      const std::uint64_t x = t * 1000 + i;
      auto& v = want[static_cast<std::int64_t>(x % 101) - 50];
      v = std::max(v, x);
    }
  }
  auto result = mrkit::reduce_by_key<std::int64_t, std::uint64_t>(
      world(), tasks,
      [](std::uint64_t task, auto& emit) {
        for (std::uint64_t i = 0; i < 1000; ++i) {
          const std::uint64_t x = task * 1000 + i;
          emit(static_cast<std::int64_t>(x % 101) - 50, x);
        }
      },
      [](std::uint64_t a, std::uint64_t b) { return std::max(a, b); });
  const auto all = result.gather();
  bool ok = on_their_owners(result);
  if (world().rank() == 0) {
    ok = ok && std::vector<std::pair<std::int64_t, std::uint64_t>>(want.begin(), want.end()) == all;
  }
  ASSERT_TRUE(all_ranks(ok));
}

namespace {

// A user's key: no std::hash, travels through Boost.Serialization.
struct Bigram {
  std::string first;
  std::string second;
  friend bool operator==(const Bigram&, const Bigram&) = default;
  friend auto operator<=>(const Bigram&, const Bigram&) = default;
  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& first& second;
  }
};

std::vector<std::string> words_of(std::uint64_t task) {
  std::vector<std::string> words;
  mrkit::for_each_word(task_text(task), [&](std::string_view w) { words.emplace_back(w); });
  return words;
}

}  // namespace

TEST(ReduceByKey, UserStructKeysWithBoostSerialization) {
  std::map<Bigram, std::uint64_t> want;
  for (std::uint64_t t = 0; t < tasks; ++t) {
    const auto words = words_of(t);
    for (std::size_t i = 1; i < words.size(); ++i) ++want[Bigram{words[i - 1], words[i]}];
  }
  auto result = mrkit::reduce_by_key<Bigram, std::uint64_t>(
      world(), tasks,
      [](std::uint64_t task, auto& emit) {
        const auto words = words_of(task);
        for (std::size_t i = 1; i < words.size(); ++i) emit(Bigram{words[i - 1], words[i]}, 1U);
      },
      std::plus<>{});
  const auto all = result.gather();
  bool ok = on_their_owners(result);
  if (world().rank() == 0) {
    ok = ok && std::vector<std::pair<Bigram, std::uint64_t>>(want.begin(), want.end()) == all;
  }
  ASSERT_TRUE(all_ranks(ok));
}

TEST(GroupByKey, InvertedIndexHasSortedPostings) {
  // word -> sorted (task, count in task).
  using Posting = std::pair<std::uint64_t, std::uint64_t>;
  std::map<std::string, std::vector<Posting>> want;
  for (std::uint64_t t = 0; t < tasks; ++t) {
    std::map<std::string, std::uint64_t> here;
    for (const auto& w : words_of(t)) ++here[w];
    for (const auto& [w, n] : here) want[w].emplace_back(t, n);
  }
  for (const auto schedule : schedules) {
    auto index = mrkit::group_by_key<std::string, std::vector<std::uint64_t>>(
        world(), tasks,
        [](std::uint64_t task, auto& emit) {
          std::map<std::string, std::uint64_t> here;
          for (const auto& w : words_of(task)) ++here[w];
          for (const auto& [w, n] : here) emit(w, std::vector<std::uint64_t>{task, n});
        },
        with(schedule));
    const auto all = index.gather();
    bool ok = on_their_owners(index);
    if (world().rank() == 0) {
      ok = ok && all.size() == want.size();
      auto expected = want.begin();
      for (std::size_t i = 0; ok && i < all.size(); ++i, ++expected) {
        std::vector<std::vector<std::uint64_t>> postings;
        for (const auto& [t, n] : expected->second) postings.push_back({t, n});
        ok = all[i].first == expected->first && all[i].second == postings;
      }
    }
    ASSERT_TRUE(all_ranks(ok)) << mrkit::to_string(schedule);
  }
}

TEST(MapOnly, RecordsComeBackInTaskOrder) {
  std::vector<std::string> want;
  for (std::uint64_t t = 0; t < tasks; ++t) {
    for (std::uint64_t i = 0; i < t % 4; ++i)
      want.push_back(std::to_string(t) + "." + std::to_string(i));
  }
  for (const auto schedule : schedules) {
    auto records = mrkit::map_only<std::string>(
        world(), tasks,
        [](std::uint64_t task, auto& emit) {
          for (std::uint64_t i = 0; i < task % 4; ++i)
            emit(std::to_string(task) + "." + std::to_string(i));
        },
        with(schedule));
    const auto all = records.gather();
    const bool ok = world().rank() == 0 ? all == want : all.empty();
    ASSERT_TRUE(all_ranks(ok)) << mrkit::to_string(schedule);
  }
}

TEST(ReduceByKey, NoTasksNoKeys) {
  auto counts = mrkit::reduce_by_key<std::string, std::uint64_t>(
      world(), 0, [](std::uint64_t, auto& emit) { emit(std::string_view("never"), 1U); },
      std::plus<>{});
  const auto all = counts.gather();
  const bool ok = counts.size() == 0 && all.empty() && counts.local().empty();
  ASSERT_TRUE(all_ranks(ok));
}

TEST(KeyHash, OwnersSpreadKeysAndAgreeWithTheHash) {
  // Owners of 10000 integer keys over 1..4 ranks: each rank gets a fair share (within 20%).
  bool ok = true;
  for (int ranks = 1; ranks <= 4; ++ranks) {
    std::vector<int> per(static_cast<std::size_t>(ranks));
    const mrkit::KeyHash<std::uint64_t> hash;
    for (std::uint64_t k = 0; k < 10000; ++k) {
      const int owner = mrkit::owner_rank(hash(k), ranks);
      ok = ok && owner >= 0 && owner < ranks;
      if (owner >= 0 && owner < ranks) ++per[static_cast<std::size_t>(owner)];
    }
    for (const int n : per) ok = ok && n > 10000 / ranks * 8 / 10 && n < 10000 / ranks * 12 / 10;
  }
  // Strings hash the same as their views (the tables search with std::string_view).
  ok = ok && mrkit::KeyHash<std::string>{}(std::string("abc")) ==
                 mrkit::KeyHash<std::string>{}(std::string_view("abc"));
  ASSERT_TRUE(all_ranks(ok));
}

namespace {

// A fresh directory path shared by every rank (the mother makes it unique; none creates it).
std::string shared_temp_path(const char* stem) {
  std::string path;
  if (world().rank() == 0) {
    char dir[] = "/tmp/mrkit-mr-XXXXXX";
    path = std::string(::mkdtemp(dir)) + "/" + stem;
  }
  boost::mpi::broadcast(world(), path, 0);
  return path;
}

// Removes the temporary directory of shared_temp_path (after every rank is done with it).
void remove_shared(const std::string& path) {
  world().barrier();
  if (world().rank() == 0) std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

// reduce_by_key's word count over the generated tasks; counts the tasks this run mapped.
std::vector<std::pair<std::string, std::uint64_t>> checkpointed_count(
    const mrkit::JobOptions& options, std::uint64_t& mapped) {
  std::uint64_t mine = 0;
  auto counts = mrkit::reduce_by_key<std::string, std::uint64_t>(
      world(), tasks,
      [&](std::uint64_t task, auto& emit) {
        ++mine;
        mrkit::for_each_word(task_text(task), [&](std::string_view w) { emit(w, 1U); });
      },
      std::plus<>{}, options);
  mapped = mrkit::sum_all(world(), mine);
  return counts.gather();
}

}  // namespace

TEST(ReduceByKey, ACheckpointedJobStoppedEarlyResumesToTheSameResult) {
  const auto want = reference_counts();
  const std::vector<std::pair<std::string, std::uint64_t>> want_all(want.begin(), want.end());
  for (const auto schedule : schedules) {
    mrkit::JobOptions options = with(schedule);
    options.checkpoint_dir = shared_temp_path("ckpt");
    options.fingerprint = "test word count";
    // The first run stops early (as if interrupted): only some tasks are recorded.
    int asked = 0;
    options.stop = [&asked] { return ++asked > 5; };
    std::uint64_t first = 0;
    (void)checkpointed_count(options, first);
    // The second runs only the rest, and merges what the first one recorded.
    options.stop = {};
    std::uint64_t second = 0;
    const auto resumed = checkpointed_count(options, second);
    // A third finds every task recorded and maps none.
    std::uint64_t third = 0;
    const auto again = checkpointed_count(options, third);
    // Another job's options are refused on every rank.
    mrkit::JobOptions other = options;
    other.fingerprint = "another job";
    bool refused = false;
    try {
      std::uint64_t ignored = 0;
      (void)checkpointed_count(other, ignored);
    } catch (const mrkit::InputError&) {
      refused = true;
    }
    bool ok = first > 0 && first < tasks && first + second == tasks && third == 0 && refused;
    if (world().rank() == 0) ok = ok && resumed == want_all && again == want_all;
    remove_shared(options.checkpoint_dir);
    ASSERT_TRUE(all_ranks(ok)) << mrkit::to_string(schedule) << " mapped " << first << " + "
                               << second << " + " << third << " of " << tasks;
  }
}

TEST(ReduceByKey, ReissuedStragglersCountOnce) {
  // Task 3 is slow: with re-issue, idle ranks run copies of it; only one copy may count.
  const auto want = reference_counts();
  mrkit::JobOptions options = with(mrkit::Schedule::dynamic);
  options.dynamic.task_time_limit = 0.05;
  options.dynamic.reissue = true;
  options.dynamic.on_straggler = [](const mrkit::StragglerReport&) {};
  auto counts = mrkit::reduce_by_key<std::string, std::uint64_t>(
      world(), tasks,
      [&](std::uint64_t task, auto& emit) {
        mrkit::for_each_word(task_text(task), [&](std::string_view w) { emit(w, 1U); });
        if (task == 3) {
          for (int i = 0; i < 30; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            mrkit::yield_in_task();
          }
        }
      },
      std::plus<>{}, options);
  const auto all = counts.gather();
  bool ok = true;
  if (world().rank() == 0) {
    ok = std::vector<std::pair<std::string, std::uint64_t>>(want.begin(), want.end()) == all;
  }
  ASSERT_TRUE(all_ranks(ok));
}

TEST(GroupByKey, ACheckpointedGroupResumesWithEveryValueOnce) {
  mrkit::JobOptions options = with(mrkit::Schedule::dynamic);
  options.checkpoint_dir = shared_temp_path("ckpt-group");
  options.fingerprint = "test group";
  const auto group = [&] {
    return mrkit::group_by_key<std::uint64_t, std::uint64_t>(
               world(), tasks,
               [](std::uint64_t task, auto& emit) {
                 for (std::uint64_t i = 0; i < 5; ++i) emit(task % 4, task * 10 + i);
               },
               options)
        .gather();
  };
  int asked = 0;
  options.stop = [&asked] { return ++asked > 7; };
  (void)group();
  options.stop = {};
  const auto all = group();
  bool ok = true;
  if (world().rank() == 0) {
    std::map<std::uint64_t, std::vector<std::uint64_t>> want;
    for (std::uint64_t t = 0; t < tasks; ++t) {
      for (std::uint64_t i = 0; i < 5; ++i) want[t % 4].push_back(t * 10 + i);
    }
    ok = std::vector<std::pair<std::uint64_t, std::vector<std::uint64_t>>>(want.begin(),
                                                                           want.end()) == all;
  }
  remove_shared(options.checkpoint_dir);
  ASSERT_TRUE(all_ranks(ok));
}

TEST(CountByKey, IsReduceByKeysWordCountOnTheWordTable) {
  // The specialisation for string keys with counts gives what the generic reduce_by_key gives:
  // the serial reference, each key on its KeyHash owner, top-k with ties by key; emit(key, n)
  // adds n; a checkpointed run stopped early resumes to the same counts.
  const auto want = reference_counts();
  const std::vector<std::pair<std::string, std::uint64_t>> want_all(want.begin(), want.end());
  for (const auto schedule : schedules) {
    auto counts = mrkit::count_by_key(
        world(), tasks,
        [](std::uint64_t task, auto& emit) {
          bool odd = false;
          mrkit::for_each_word(task_text(task), [&](std::string_view w) {
            // Half the words go through emit(key, 1), half through emit(key).
            odd = !odd;
            if (odd) {
              emit(w, 1);
            } else {
              emit(w);
            }
          });
        },
        with(schedule));
    const auto all = counts.gather();
    const auto top = counts.top_k(10, mrkit::by_value_descending);
    bool ok = on_their_owners(counts) && counts.size() == want.size();
    if (world().rank() == 0) {
      auto want_top = want_all;
      std::stable_sort(want_top.begin(), want_top.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      want_top.resize(10);
      ok = ok && all == want_all && top == want_top;
    }
    ASSERT_TRUE(all_ranks(ok)) << mrkit::to_string(schedule);
  }
  mrkit::JobOptions options = with(mrkit::Schedule::dynamic);
  options.checkpoint_dir = shared_temp_path("ckpt-count");
  options.fingerprint = "count";
  const auto run = [&](std::uint64_t& mapped) {
    std::uint64_t mine = 0;
    auto counts = mrkit::count_by_key(
        world(), tasks,
        [&](std::uint64_t task, auto& emit) {
          ++mine;
          mrkit::for_each_word(task_text(task), [&](std::string_view w) { emit(w); });
        },
        options);
    mapped = mrkit::sum_all(world(), mine);
    return counts.gather();
  };
  int asked = 0;
  options.stop = [&asked] { return ++asked > 4; };
  std::uint64_t first = 0;
  (void)run(first);
  options.stop = {};
  std::uint64_t second = 0;
  const auto resumed = run(second);
  bool ok = first > 0 && first + second == tasks;
  if (world().rank() == 0) ok = ok && resumed == want_all;
  remove_shared(options.checkpoint_dir);
  ASSERT_TRUE(all_ranks(ok)) << first << " + " << second;
}
