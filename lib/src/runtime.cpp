#include "mrkit/runtime.hpp"

#include <fmt/format.h>
#include <mpi.h>
#include <unistd.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>

#include <array>
#include <cstdio>
#include <exception>
#include <utility>

namespace mrkit {
namespace {

std::string g_program = "mrkit";  // NOLINT: set once by run(), read when aborting

}  // namespace

Runtime::Runtime(int& argc, char**& argv)
    // abort_on_exception=false: run() decides how each kind of error ends the job.
    : env_(std::make_unique<boost::mpi::environment>(argc, argv, false)) {}

Runtime::~Runtime() = default;

std::string Runtime::host() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "unknown-host";
  return name.data();
}

void abort_job(std::string_view program, std::string_view message, ExitCode code) {
  int rank = -1;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized != 0) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::fflush(stdout);
  fmt::print(stderr, "{}: error on rank {} ({}): {}\n", program, rank, Runtime::host(), message);
  std::fflush(stderr);
  int size = 1;
  if (initialized != 0) MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Alone there is nobody to stop: skip MPI_Abort and its multi-line banner.
  if (initialized != 0 && size > 1) MPI_Abort(MPI_COMM_WORLD, static_cast<int>(code));
  std::_Exit(static_cast<int>(code));
}

int run(int& argc, char**& argv, std::string_view program,
        const std::function<int(Runtime&)>& body) {
  g_program = std::string(program);
  std::unique_ptr<Runtime> runtime;
  try {
    runtime = std::make_unique<Runtime>(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: cannot start MPI: {}\n", program, e.what());
    return static_cast<int>(ExitCode::failure);
  }
  try {
    return body(*runtime);
  } catch (const CollectiveError& e) {
    if (runtime->is_mother()) {
      std::fflush(stdout);
      fmt::print(stderr, "{}: {}\n", program, e.what());
    }
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    abort_job(program, e.what());
  } catch (...) {
    abort_job(program, "unknown exception");
  }
}

void throw_collective(ExitCode code, const std::string& message) {
  switch (code) {
    case ExitCode::usage:
      throw UsageError(message);
    case ExitCode::input:
      throw InputError(message);
    default:
      throw CollectiveError(code, message);
  }
}

void on_mother_then_agree(const boost::mpi::communicator& comm, const std::function<void()>& fn) {
  // status: 0 = ok, otherwise the ExitCode of a CollectiveError.
  int status = 0;
  std::string message;
  if (comm.rank() == mother_rank) {
    try {
      fn();
    } catch (const CollectiveError& e) {
      status = static_cast<int>(e.code());
      message = e.what();
    } catch (const std::exception& e) {
      abort_job(g_program, e.what());
    }
  }
  boost::mpi::broadcast(comm, status, mother_rank);
  if (status == 0) return;
  boost::mpi::broadcast(comm, message, mother_rank);
  throw_collective(static_cast<ExitCode>(status), message);
}

void agree(const boost::mpi::communicator& comm, bool ok, const std::string& message,
           ExitCode code) {
  // The lowest failing rank speaks for all.
  const int mine = ok ? comm.size() : comm.rank();
  int first_failure = comm.size();
  boost::mpi::all_reduce(comm, mine, first_failure, boost::mpi::minimum<int>());
  if (first_failure == comm.size()) return;
  std::pair<int, std::string> verdict{static_cast<int>(code), message};
  boost::mpi::broadcast(comm, verdict, first_failure);
  throw_collective(static_cast<ExitCode>(verdict.first), verdict.second);
}

}  // namespace mrkit
