#include <mrkit/cli/command_line.hpp>
#include <mrkit/tasks/rank_stats.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace {

std::vector<mrkit::RankTimes> two_ranks() {
  mrkit::RankTimes a;
  a.rank = 0;
  a.host = "node\"1";  // a quote must survive JSON
  a.tasks = 3;
  a.bytes = 1000;
  a.compute_seconds = 2.0;
  a.wait_seconds = 0.5;
  a.io_seconds = 1.0;
  a.elapsed_seconds = 4.0;  // 0.5 s other
  mrkit::RankTimes b = a;
  b.rank = 1;
  b.host = "node2";
  b.compute_seconds = 1.0;
  b.wait_seconds = 2.5;
  b.io_seconds = 0.0;
  b.elapsed_seconds = 4.0;  // 0.5 s other
  return {a, b};
}

}  // namespace

TEST(RankStats, TimerPutsScopesIntoTheirBuckets) {
  mrkit::RankTimer timer;
  {
    auto t = timer.time(mrkit::TimeBucket::io);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int v = timer.measure(mrkit::TimeBucket::compute, [] { return 7; });
  EXPECT_EQ(v, 7);
  timer.add(mrkit::TimeBucket::wait, 0.25);
  mrkit::ScheduleStats sched;
  sched.tasks = 4;
  sched.work_seconds = 1.0;
  sched.wait_seconds = 0.5;
  timer.add(sched);
  timer.add_io_inside_tasks(0.25);
  timer.add_bytes(10);
  timer.add_tasks(1);

  EXPECT_GE(timer.seconds(mrkit::TimeBucket::io), 0.005 + 0.25);
  EXPECT_NEAR(timer.seconds(mrkit::TimeBucket::wait), 0.75, 1e-12);
  EXPECT_GE(timer.seconds(mrkit::TimeBucket::compute), 0.75);
  EXPECT_LT(timer.seconds(mrkit::TimeBucket::compute), 0.76);
  const mrkit::RankTimes s = timer.snapshot(3);
  EXPECT_EQ(s.rank, 3);
  EXPECT_EQ(s.tasks, 5U);
  EXPECT_EQ(s.bytes, 10U);
  EXPECT_FALSE(s.host.empty());
  EXPECT_GE(s.elapsed_seconds, 0.005);
  EXPECT_GE(s.other_seconds(), 0.0);  // the buckets were partly made up: never negative
}

TEST(RankStats, SummaryShowsImbalanceAndShares) {
  const auto times = two_ranks();
  const mrkit::RankTimesSummary s = mrkit::summarize(times);
  EXPECT_EQ(s.ranks, 2);
  EXPECT_DOUBLE_EQ(s.elapsed_seconds, 4.0);
  EXPECT_EQ(s.busiest_rank, 0);
  EXPECT_DOUBLE_EQ(s.busiest_seconds, 3.0);
  EXPECT_DOUBLE_EQ(s.mean_busy_seconds, 2.0);
  EXPECT_DOUBLE_EQ(s.imbalance, 1.5);
  EXPECT_DOUBLE_EQ(s.compute_share, 3.0 / 8.0);
  EXPECT_DOUBLE_EQ(s.wait_share, 3.0 / 8.0);
  EXPECT_DOUBLE_EQ(s.io_share, 1.0 / 8.0);
  EXPECT_DOUBLE_EQ(s.other_share, 1.0 / 8.0);
  EXPECT_EQ(mrkit::summarize({}).ranks, 0);
}

TEST(RankStats, TableHasOneLinePerRankAndASummary) {
  const std::string table = mrkit::format_rank_times(two_ranks(), "demo");
  EXPECT_EQ(table.rfind("demo: 2 ranks, 4.000 s\n", 0), 0U) << table;
  EXPECT_NE(table.find("compute_s"), std::string::npos);
  EXPECT_NE(table.find("imbalance 1.50"), std::string::npos) << table;
  EXPECT_NE(table.find("wait 37.5 %"), std::string::npos) << table;
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 6);  // title, header, 2 ranks, summary
}

TEST(RankStats, JsonParsesAndCarriesEveryRank) {
  const std::string text = mrkit::rank_times_json(two_ranks(), "demo");
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["program"], "demo");
  EXPECT_EQ(j["ranks"], 2);
  ASSERT_EQ(j["per_rank"].size(), 2U);
  EXPECT_EQ(j["per_rank"][0]["host"], "node\"1");
  EXPECT_DOUBLE_EQ(j["per_rank"][1]["wait_seconds"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(j["per_rank"][0]["other_seconds"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["summary"]["imbalance"].get<double>(), 1.5);
}

TEST(RankStats, StatsOptionIsAFlagWithAnOptionalFormat) {
  const auto parse = [](std::vector<std::string> args) {
    CLI::App app;
    std::optional<mrkit::StatsFormat> stats;
    std::vector<std::string> paths;
    app.add_option("paths", paths);
    mrkit::add_stats_option(app, stats);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
    return std::make_pair(stats, paths.size());
  };
  EXPECT_EQ(parse({"a"}).first, std::nullopt);
  EXPECT_EQ(parse({"--stats", "a"}), std::make_pair(std::optional(mrkit::StatsFormat::table),
                                                    std::size_t{1}));  // "a" stays a path
  EXPECT_EQ(parse({"--stats=json", "a"}).first, mrkit::StatsFormat::json);
  EXPECT_EQ(parse({"--stats=table"}).first, mrkit::StatsFormat::table);
  EXPECT_THROW(parse({"--stats=xml"}), CLI::ValidationError);
}
