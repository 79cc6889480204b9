#include "mrkit/runtime.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <mpi.h>
#include <unistd.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
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

namespace {

// A standard stream the program was started without (`>&-`) gets /dev/null opened the wrong
// way round, as gnulib's stdopen does: MPI's own files never take its number, and a write to
// a closed standard output fails with EBADF instead of landing in one of them.
void reserve_standard_streams() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int got = ::open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
    if (got >= 0 && got != fd) {
      ::dup2(got, fd);
      ::close(got);
    }
  }
}

// What gnulib's close_stdout checks at exit: everything written to standard output (std::cout
// and stdio share fd 1) reached it. Closing a duplicate of fd 1 reports a write-back error that
// a file system gives only at close (NFS) and leaves fd 1 to MPI_Finalize. Empty if all is well.
std::string standard_output_problem() {
  std::cout.flush();
  errno = 0;
  if (std::fflush(stdout) != 0) return std::string("write error: ") + std::strerror(errno);
  if (std::ferror(stdout) != 0 || std::cout.bad()) return "write error";
  const int fd = ::dup(1);
  if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) {
    return std::string("write error: ") + std::strerror(errno);
  }
  return {};
}

}  // namespace

int run(int& argc, char**& argv, std::string_view program,
        const std::function<int(Runtime&)>& body) {
  g_program = std::string(program);
  reserve_standard_streams();
  std::unique_ptr<Runtime> runtime;
  try {
    runtime = std::make_unique<Runtime>(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: cannot start MPI: {}\n", program, e.what());
    return static_cast<int>(ExitCode::failure);
  }
  try {
    const int code = body(*runtime);
    // Each rank for its own standard output (only the mother writes one, as a rule), with no
    // collective: a rank that failed to write says so and exits 1, the others are done.
    if (const std::string problem = standard_output_problem(); !problem.empty()) {
      fmt::print(stderr, "{}: {}\n", program, problem);
      return code == 0 ? static_cast<int>(ExitCode::failure) : code;
    }
    return code;
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
