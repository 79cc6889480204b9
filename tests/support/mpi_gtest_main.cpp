// GoogleTest main for MPI tests: every rank runs every test; rank 0 prints as usual, other
// ranks print only their failures, prefixed with their rank; all ranks then agree on the
// verdict so mpiexec exits non-zero if any rank failed.
#include <gtest/gtest.h>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/environment.hpp>

#include <cstdio>

namespace {

class FailuresOnlyPrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailuresOnlyPrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_,
                 r.file_name() != nullptr ? r.file_name() : "?", r.line_number(), r.summary());
    std::fflush(stderr);
  }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result()->Failed()) {
      std::fprintf(stderr, "[rank %d] FAILED %s.%s\n", rank_, info.test_suite_name(), info.name());
    }
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  boost::mpi::environment env(argc, argv, /*abort_on_exception=*/true);
  boost::mpi::communicator world;
  ::testing::InitGoogleTest(&argc, argv);
  if (world.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailuresOnlyPrinter(world.rank()));
  }
  const int local = RUN_ALL_TESTS();
  int global = 0;
  boost::mpi::all_reduce(world, local, global, boost::mpi::maximum<int>());
  if (world.rank() == 0 && global != 0 && local == 0) {
    std::fprintf(stderr, "some tests failed on other ranks (see [rank N] lines above)\n");
  }
  return global;
}
