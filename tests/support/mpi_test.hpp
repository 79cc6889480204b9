// Helpers for tests that run on every rank: the world communicator, agreement across ranks
// before asserting (so a failing rank never leaves others waiting), and a shared scratch dir.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <string>

namespace mrkit::testing {

// The communicator of all test ranks.
[[nodiscard]] const boost::mpi::communicator& world();

// True on every rank if `ok` holds on every rank (collective). Use it as
// ASSERT_TRUE(all_ranks(ok)) so all ranks return from a test together.
[[nodiscard]] bool all_ranks(bool ok);

// A fresh directory that all ranks see (collective); removed when the process ends.
[[nodiscard]] std::string shared_temp_dir();

}  // namespace mrkit::testing
