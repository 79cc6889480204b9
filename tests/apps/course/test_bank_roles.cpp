#include "course/bank_race.hpp"

#include <gtest/gtest.h>

TEST(BankRole, WithdrawalsAndDepositsAlwaysMatch) {
  for (int ranks = 1; ranks <= 9; ++ranks) {
    int withdrawals = 0;
    int deposits = 0;
    for (int r = 0; r < ranks; ++r) {
      const auto role = mrkit::bank_role(r, ranks);
      withdrawals += role != mrkit::BankRole::deposit ? 1 : 0;
      deposits += role != mrkit::BankRole::withdraw ? 1 : 0;
    }
    EXPECT_EQ(withdrawals, deposits) << ranks << " ranks";
  }
  EXPECT_EQ(mrkit::bank_role(0, 1), mrkit::BankRole::both);
  EXPECT_EQ(mrkit::bank_role(0, 2), mrkit::BankRole::withdraw);
  EXPECT_EQ(mrkit::bank_role(1, 2), mrkit::BankRole::deposit);
  EXPECT_EQ(mrkit::bank_role(2, 3), mrkit::BankRole::both);
}

TEST(BankMode, NamesRoundTrip) {
  for (const auto m : {mrkit::BankMode::unsafe, mrkit::BankMode::lock, mrkit::BankMode::atomic}) {
    EXPECT_EQ(mrkit::bank_mode_named(mrkit::to_string(m)), m);
  }
  EXPECT_FALSE(mrkit::bank_mode_named("careful"));
}
