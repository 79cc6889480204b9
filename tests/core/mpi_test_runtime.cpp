#include "mpi_test.hpp"

#include <mrkit/core/runtime.hpp>

#include <gtest/gtest.h>

using mrkit::testing::all_ranks;
using mrkit::testing::world;

TEST(Runtime, AgreeThrowsTheLowestFailingRanksMessageEverywhere) {
  const int p = world().size();
  const int failing = p - 1;
  std::string got;
  try {
    mrkit::agree(world(), world().rank() != failing && world().rank() != failing + 1,
                 "rank " + std::to_string(world().rank()) + " failed", mrkit::ExitCode::input);
  } catch (const mrkit::CollectiveError& e) {
    got = e.what();
    EXPECT_EQ(e.code(), mrkit::ExitCode::input);
  }
  EXPECT_TRUE(all_ranks(got == "rank " + std::to_string(failing) + " failed")) << got;
  EXPECT_NO_THROW(mrkit::agree(world(), true));
}

TEST(Runtime, MotherErrorsReachEveryRank) {
  std::string got;
  try {
    mrkit::on_mother_then_agree(world(), [] { throw mrkit::InputError("no such corpus"); });
  } catch (const mrkit::InputError& e) {
    got = e.what();
    EXPECT_EQ(e.code(), mrkit::ExitCode::input);
  }
  EXPECT_TRUE(all_ranks(got == "no such corpus")) << got;
  int ran = 0;
  mrkit::on_mother_then_agree(world(), [&] { ++ran; });
  EXPECT_EQ(ran, world().rank() == 0 ? 1 : 0);
}
