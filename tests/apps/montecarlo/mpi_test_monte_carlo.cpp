#include "mpi_test.hpp"

#include <mrkit/core/runtime.hpp>
#include <mrkit/random/estimator.hpp>
#include "montecarlo/pi_kernels.hpp"
#include "montecarlo/seed_sweep.hpp"

#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using mrkit::testing::all_ranks;
using mrkit::testing::shared_temp_dir;
using mrkit::testing::world;

namespace {

// Every rank alone: the serial run, computed next to the parallel one in the same job.
const boost::mpi::communicator& alone() {
  static const boost::mpi::communicator self(MPI_COMM_SELF, boost::mpi::comm_attach);
  return self;
}

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool same_estimate(const mrkit::Estimate& a, const mrkit::Estimate& b) {
  return same_bits(a.value, b.value) && same_bits(a.standard_error, b.standard_error) &&
         same_bits(a.ci_low, b.ci_low) && same_bits(a.ci_high, b.ci_high) &&
         a.samples == b.samples && a.tasks == b.tasks && a.moments.count() == b.moments.count() &&
         same_bits(a.moments.m2(), b.moments.m2()) && a.stopped_early == b.stopped_early;
}

// numpy's draw, written out with std::mt19937 (init_genrand) and masked rejection.
std::uint32_t numpy_randint_0_10(std::uint32_t seed) {
  std::mt19937 gen(seed);
  for (;;) {
    const auto v = static_cast<std::uint32_t>(gen() & 15U);
    if (v <= 9) return v;
  }
}

std::vector<std::uint64_t> reference_counts(std::uint32_t first, std::uint64_t seeds) {
  std::vector<std::uint64_t> counts(10, 0);
  for (std::uint64_t i = 0; i < seeds; ++i) {
    ++counts[numpy_randint_0_10(static_cast<std::uint32_t>(first + i))];
  }
  return counts;
}

// Exact lattice test of the quarter disc (see test_random_streams.cpp).
bool inside(std::uint32_t wx, std::uint32_t wy) {
  const std::uint64_t x = 2 * std::uint64_t{wx >> 1} + 1;
  const std::uint64_t y = 2 * std::uint64_t{wy >> 1} + 1;
  return y * y <= ~(x * x);
}

// Removes, on the mother, the checkpoint records whose number n has n % modulus == residue (as a
// crash would have left them unwritten); every rank returns how many (collective).
std::uint64_t drop_records(const std::string& dir, std::uint64_t modulus, std::uint64_t residue) {
  std::uint64_t dropped = 0;
  if (world().rank() == 0) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with("task-")) continue;
      if (std::stoull(name.substr(5)) % modulus == residue) {
        std::filesystem::remove(entry.path());
        ++dropped;
      }
    }
  }
  boost::mpi::broadcast(world(), dropped, 0);
  return dropped;
}

// Runs `job` expecting an exception of type E on every rank.
template <class E, class Job>
bool throws_everywhere(Job&& job) {
  bool threw = false;
  try {
    job();
  } catch (const E&) {
    threw = true;
  }
  return all_ranks(threw);
}

}  // namespace

class SeedSweepTest : public ::testing::TestWithParam<mrkit::Schedule> {};

TEST_P(SeedSweepTest, CountsEqualNumpysAlgorithmAtEveryRankCount) {
  struct Case {
    std::uint32_t first;
    std::uint64_t seeds;
    std::uint64_t per_task;
  };
  const std::uint32_t top = 4294967295U;
  for (const Case c : {Case{0, 30000, 0}, Case{0, 30000, 1000}, Case{top - 9999, 10000, 333},
                       Case{top, 1, 0}, Case{17, 5, 1}, Case{123456789, 4099, 128}}) {
    mrkit::SeedSweepOptions opt;
    opt.first_seed = c.first;
    opt.seeds = c.seeds;
    opt.seeds_per_task = c.per_task;
    opt.schedule = GetParam();
    const mrkit::SeedSweep r = mrkit::sweep_numpy_seeds(world(), opt);
    const bool ok = r.counts == reference_counts(c.first, c.seeds) && r.seeds == c.seeds &&
                    r.ranks == world().size();
    EXPECT_TRUE(all_ranks(ok)) << "first " << c.first << " seeds " << c.seeds << " per task "
                               << c.per_task;
  }
}

TEST_P(SeedSweepTest, SeedsPast2To32AreRefusedOnEveryRank) {
  mrkit::SeedSweepOptions opt;
  opt.first_seed = 4294967295U;
  opt.seeds = 2;
  opt.schedule = GetParam();
  bool threw = false;
  try {
    (void)mrkit::sweep_numpy_seeds(world(), opt);
  } catch (const std::out_of_range&) {
    threw = true;
  }
  EXPECT_TRUE(all_ranks(threw));
}

TEST_P(SeedSweepTest, ACheckpointResumesToTheSameTallyAtAnyRankCount) {
  mrkit::SeedSweepOptions opt;
  opt.first_seed = 4000000000U;
  opt.seeds = 1000003;  // 16 tasks of 2^16 seeds (the default with a checkpoint), the last short
  opt.schedule = GetParam();
  const mrkit::SeedSweep reference = mrkit::sweep_numpy_seeds(world(), opt);
  opt.checkpoint_dir = shared_temp_dir() + "/sweep";
  const mrkit::SeedSweep first = mrkit::sweep_numpy_seeds(world(), opt);
  EXPECT_TRUE(
      all_ranks(first.counts == reference.counts && first.tasks == 16 && first.resumed_tasks == 0));

  // The mother alone resumes after a crash that lost half the records.
  const std::uint64_t lost = drop_records(opt.checkpoint_dir, 2, 1);
  bool ok = true;
  if (world().rank() == 0) {
    const mrkit::SeedSweep alone_resumed = mrkit::sweep_numpy_seeds(alone(), opt);
    ok = lost == 8 && alone_resumed.counts == reference.counts &&
         alone_resumed.resumed_tasks == 16 - lost;
  }
  EXPECT_TRUE(all_ranks(ok));
  // All ranks resume after a crash that lost the last task and two others.
  const std::uint64_t lost_again = drop_records(opt.checkpoint_dir, 5, 0);
  const mrkit::SeedSweep resumed = mrkit::sweep_numpy_seeds(world(), opt);
  EXPECT_TRUE(all_ranks(resumed.counts == reference.counts &&
                        resumed.resumed_tasks == 16 - lost_again && resumed.seeds == opt.seeds));

  // Another sweep is refused: InputError on every rank, the checkpoint left alone.
  opt.first_seed += 1;
  EXPECT_TRUE(
      throws_everywhere<mrkit::InputError>([&] { (void)mrkit::sweep_numpy_seeds(world(), opt); }));
}

INSTANTIATE_TEST_SUITE_P(Schedules, SeedSweepTest,
                         ::testing::Values(mrkit::Schedule::static_blocks,
                                           mrkit::Schedule::dynamic),
                         [](const auto& p) { return std::string(mrkit::to_string(p.param)); });

class EstimatorTest : public ::testing::TestWithParam<mrkit::Schedule> {};

TEST_P(EstimatorTest, PiIsTheSameBitsAtEveryRankCountAndCountsExactly) {
  for (const std::uint64_t per_task : {std::uint64_t{0}, std::uint64_t{999}, std::uint64_t{1}}) {
    mrkit::EstimatorOptions opt;
    opt.samples = per_task == 1 ? 3001 : 1000003;
    opt.seed = 2024;
    opt.samples_per_task = per_task;
    opt.schedule = GetParam();
    auto kernel = [](mrkit::RandomStream& s, std::uint64_t n) {
      return mrkit::quarter_disc_hits(s, n);
    };
    const mrkit::Estimate parallel = mrkit::estimate_proportion(world(), opt, kernel);
    const mrkit::Estimate serial = mrkit::estimate_proportion(alone(), opt, kernel);
    EXPECT_TRUE(all_ranks(same_estimate(parallel, serial))) << "per task " << per_task;
    EXPECT_TRUE(all_ranks(parallel.samples == opt.samples && !parallel.stopped_early));

    // The hits, counted here word by word from the streams of the documented task split.
    const std::uint64_t tasks = parallel.tasks;
    std::uint64_t hits = 0;
    for (std::uint64_t t = 0; t < tasks; ++t) {
      const std::uint64_t n = opt.samples / tasks + (t < opt.samples % tasks ? 1 : 0);
      mrkit::RandomStream s(opt.seed, opt.stream, t);
      for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint32_t x = s();
        hits += inside(x, s()) ? 1 : 0;
      }
    }
    const auto expected = mrkit::Moments::of_bernoulli(opt.samples, hits);
    EXPECT_TRUE(all_ranks(parallel.moments == expected)) << "per task " << per_task;
    const mrkit::Estimate pi = parallel.scaled(4);
    EXPECT_TRUE(all_ranks(std::fabs(pi.value - mrkit::pi) < 5 * pi.standard_error))
        << pi.value << " +- " << pi.standard_error;
  }
}

TEST_P(EstimatorTest, MeansMergeExactlyAndAgreeWithASerialComputation) {
  mrkit::EstimatorOptions opt;
  opt.samples = 200017;
  opt.seed = 77;
  opt.stream = 4;
  opt.samples_per_task = 1013;
  opt.schedule = GetParam();
  // Integer-valued samples: the serial reference is exact integer arithmetic.
  auto kernel = [](mrkit::RandomStream& s) { return static_cast<double>(s() & 0xffU); };
  const mrkit::Estimate parallel = mrkit::estimate_mean(world(), opt, kernel);
  const mrkit::Estimate serial = mrkit::estimate_mean(alone(), opt, kernel);
  EXPECT_TRUE(all_ranks(same_estimate(parallel, serial)));

  std::uint64_t sum = 0;
  std::uint64_t sum_squares = 0;
  const std::uint64_t tasks = parallel.tasks;
  EXPECT_EQ(tasks, (opt.samples + opt.samples_per_task - 1) / opt.samples_per_task);
  for (std::uint64_t t = 0; t < tasks; ++t) {
    const std::uint64_t n = opt.samples / tasks + (t < opt.samples % tasks ? 1 : 0);
    mrkit::RandomStream s(opt.seed, opt.stream, t);
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t x = s() & 0xffU;
      sum += x;
      sum_squares += x * x;
    }
  }
  const auto n = static_cast<long double>(opt.samples);
  const auto mean = static_cast<double>(static_cast<long double>(sum) / n);
  const auto m2 = static_cast<double>(static_cast<long double>(sum_squares) -
                                      static_cast<long double>(sum) * sum / n);
  const bool ok = parallel.samples == opt.samples &&
                  std::fabs(parallel.value - mean) <= 1e-13 * mean &&
                  std::fabs(parallel.moments.m2() - m2) <= 1e-11 * m2;
  EXPECT_TRUE(all_ranks(ok)) << parallel.value << " vs " << mean << ", M2 " << parallel.moments.m2()
                             << " vs " << m2;
}

TEST_P(EstimatorTest, BatchKernelsAreTheSameBitsAtEveryRankCount) {
  mrkit::EstimatorOptions opt;
  opt.samples = 3000000;
  opt.seed = 5;
  opt.stream = 1;
  opt.schedule = GetParam();
  auto kernel = [](mrkit::RandomStream& s, std::uint64_t n) {
    return mrkit::arctan_integrand(s, n);
  };
  const mrkit::Estimate parallel = mrkit::estimate_mean(world(), opt, kernel);
  const mrkit::Estimate serial = mrkit::estimate_mean(alone(), opt, kernel);
  EXPECT_TRUE(all_ranks(same_estimate(parallel, serial)));
  EXPECT_TRUE(all_ranks(std::fabs(parallel.value - mrkit::pi) < 5 * parallel.standard_error))
      << parallel.value << " +- " << parallel.standard_error;
  const double half_width = mrkit::z_95 * parallel.standard_error;
  EXPECT_TRUE(all_ranks(std::fabs(parallel.ci_high - parallel.value - half_width) < 1e-15));
}

TEST_P(EstimatorTest, ATimeLimitStopsEveryRankWithAPartialEstimate) {
  mrkit::EstimatorOptions opt;
  opt.samples = std::uint64_t{30000} << 14;  // 30000 tasks: far more than the limit allows
  opt.samples_per_task = 1 << 14;
  opt.time_limit = 0.2;
  opt.schedule = GetParam();
  const mrkit::Estimate e = mrkit::estimate_proportion(
      world(), opt,
      [](mrkit::RandomStream& s, std::uint64_t n) { return mrkit::quarter_disc_hits(s, n); });
  EXPECT_TRUE(all_ranks(e.stopped_early && e.samples < opt.samples &&
                        e.samples == e.tasks * opt.samples_per_task));
}

TEST_P(EstimatorTest, TheMotherReportsProgress) {
  mrkit::EstimatorOptions opt;
  opt.samples = 1 << 22;
  opt.samples_per_task = 1 << 14;
  opt.schedule = GetParam();
  int reports = 0;
  std::uint64_t last = 0;
  bool rising = true;
  opt.progress = [&](std::uint64_t done, std::uint64_t total) {
    rising = rising && done >= last && done <= total && total == 256;
    last = done;
    ++reports;
  };
  (void)mrkit::estimate_proportion(world(), opt, [](mrkit::RandomStream& s, std::uint64_t n) {
    return mrkit::quarter_disc_hits(s, n);
  });
  const bool ok = world().rank() == 0 ? reports > 0 && rising : reports == 0;
  EXPECT_TRUE(all_ranks(ok)) << "rank " << world().rank() << " reports " << reports;
}

// A job with a checkpoint, resumed after crashes that lost records, on the mother alone and on
// all ranks, gives the same bits as a run without one; another job is refused.
template <class Run>
void check_checkpoint(mrkit::EstimatorOptions opt, Run&& estimate) {
  // 96 tasks of 131075 samples; 8 tasks (2^20 samples) per record: 12 records.
  opt.samples = 96 * 131075 - 50;
  opt.samples_per_task = 131075;
  const mrkit::Estimate reference = estimate(world(), opt);
  opt.checkpoint_dir = shared_temp_dir() + "/estimator";
  opt.checkpoint_job = "test";
  const mrkit::Estimate first = estimate(world(), opt);
  EXPECT_TRUE(
      all_ranks(same_estimate(first, reference) && first.tasks == 96 && first.resumed_tasks == 0));

  const std::uint64_t lost = drop_records(opt.checkpoint_dir, 2, 0);
  bool ok = true;
  if (world().rank() == 0) {
    const mrkit::Estimate alone_resumed = estimate(alone(), opt);
    ok = lost == 6 && same_estimate(alone_resumed, reference) &&
         alone_resumed.resumed_tasks == 96 - 8 * lost;
  }
  EXPECT_TRUE(all_ranks(ok));
  const std::uint64_t lost_again = drop_records(opt.checkpoint_dir, 4, 3);
  const mrkit::Estimate resumed = estimate(world(), opt);
  EXPECT_TRUE(
      all_ranks(same_estimate(resumed, reference) && resumed.resumed_tasks == 96 - 8 * lost_again));
  // Complete: nothing left to run, still the same bits.
  const mrkit::Estimate again = estimate(world(), opt);
  EXPECT_TRUE(all_ranks(same_estimate(again, reference) && again.resumed_tasks == 96));

  auto other = opt;
  other.seed += 1;
  EXPECT_TRUE(throws_everywhere<mrkit::InputError>([&] { (void)estimate(world(), other); }));
  other = opt;
  other.checkpoint_job = "another kernel";
  EXPECT_TRUE(throws_everywhere<mrkit::InputError>([&] { (void)estimate(world(), other); }));
  other = opt;
  other.time_limit = 10;
  EXPECT_TRUE(throws_everywhere<std::invalid_argument>([&] { (void)estimate(world(), other); }));
}

TEST_P(EstimatorTest, ACheckpointOfCountsResumesToTheSameBits) {
  mrkit::EstimatorOptions opt;
  opt.seed = 31;
  opt.schedule = GetParam();
  check_checkpoint(opt, [](const boost::mpi::communicator& comm, const mrkit::EstimatorOptions& o) {
    return mrkit::estimate_proportion(comm, o, [](mrkit::RandomStream& s, std::uint64_t n) {
      return mrkit::quarter_disc_hits(s, n);
    });
  });
}

TEST_P(EstimatorTest, ACheckpointOfMeansResumesToTheSameBits) {
  mrkit::EstimatorOptions opt;
  opt.seed = 32;
  opt.stream = 1;
  opt.schedule = GetParam();
  check_checkpoint(opt, [](const boost::mpi::communicator& comm, const mrkit::EstimatorOptions& o) {
    return mrkit::estimate_mean(comm, o, [](mrkit::RandomStream& s, std::uint64_t n) {
      return mrkit::arctan_integrand(s, n);
    });
  });
}

INSTANTIATE_TEST_SUITE_P(Schedules, EstimatorTest,
                         ::testing::Values(mrkit::Schedule::static_blocks,
                                           mrkit::Schedule::dynamic),
                         [](const auto& p) { return std::string(mrkit::to_string(p.param)); });
