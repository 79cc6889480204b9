#include "mrkit/core/runtime.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <mpi.h>
#include <poll.h>
#include <unistd.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <utility>

namespace mrkit {
namespace {

std::string g_program = "mrkit";  // NOLINT: set once by run(), read when aborting

// --- SIGINT and SIGTERM (see set_interrupt_note) ---
// The line the mother writes, for SIGINT [0] and SIGTERM [1], made in advance: the handler may
// only write(2) and _exit(2). Two copies: set_interrupt_note() fills the one not in use, then
// switches, since the handler may run at any moment on any thread.
struct InterruptLine {
  std::array<char, 1024> text{};
  std::size_t size = 0;
};
std::array<std::array<InterruptLine, 2>, 2> g_interrupt_lines;  // NOLINT
std::atomic<int> g_interrupt_copy{0};                           // NOLINT
volatile std::sig_atomic_t g_interrupt_linger_ms = 0;  // NOLINT: see install_interrupt_handlers
volatile std::sig_atomic_t g_interrupt_speaks = 0;     // NOLINT: this rank is the mother
std::string g_interrupt_note;                          // NOLINT
// Under mpirun with several ranks, SIGTERM comes from mpirun, interrupted or ending the job
// because another rank failed: the rank cannot tell which, so the line says both.
bool g_interrupt_by_mpirun = false;  // NOLINT

void fill_interrupt_lines() {
  const int copy = 1 - g_interrupt_copy.load();
  for (int i = 0; i < 2; ++i) {
    std::string line = fmt::format("{}: interrupted ({})", g_program,
                                   i == 0 ? "SIGINT"
                                   : g_interrupt_by_mpirun
                                       ? "SIGTERM from mpirun: a signal, or another rank failed"
                                       : "SIGTERM");
    if (!g_interrupt_note.empty()) line += "; " + g_interrupt_note;
    InterruptLine& out =
        g_interrupt_lines[static_cast<std::size_t>(copy)][static_cast<std::size_t>(i)];
    line.resize(std::min(line.size(), out.text.size() - 1));
    line += '\n';
    std::memcpy(out.text.data(), line.data(), line.size());
    out.size = line.size();
  }
  g_interrupt_copy.store(copy);
}

void on_interrupt(int sig) {
  if (g_interrupt_speaks != 0) {
    const InterruptLine& line =
        g_interrupt_lines[static_cast<std::size_t>(g_interrupt_copy.load())][sig == SIGINT ? 0 : 1];
    const ssize_t ignored = write(STDERR_FILENO, line.text.data(), line.size);
    (void)ignored;
  }
  if (g_interrupt_linger_ms > 0) (void)poll(nullptr, 0, g_interrupt_linger_ms);
  _exit(128 + sig);
}

// After MPI_Init, so that these handlers are the last word. A signal ignored from the start
// (nohup, a background job of a non-interactive shell) stays ignored.
void install_interrupt_handlers(bool mother, int ranks) {
  g_interrupt_speaks = mother ? 1 : 0;
  // Under mpirun the mother's stderr is a pipe that mpirun, busy ending the job, may close as
  // soon as she exits, dropping the line: she lingers a moment (well inside mpirun's grace
  // before SIGKILL) so that it is read.
  const bool under_mpirun = std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr;
  g_interrupt_linger_ms = under_mpirun ? 250 : 0;
  g_interrupt_by_mpirun = under_mpirun && ranks > 1;
  fill_interrupt_lines();
  for (const int sig : {SIGINT, SIGTERM}) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, SIGINT);
    sigaddset(&action.sa_mask, SIGTERM);
    sigaction(sig, &action, nullptr);
  }
}

}  // namespace

void set_interrupt_note(std::string_view note) {
  g_interrupt_note = std::string(note);
  fill_interrupt_lines();
}

std::string checkpoint_interrupt_note(std::string_view dir) {
  if (dir.empty()) return "nothing saved (use --checkpoint DIR to resume)";
  return fmt::format(
      "the tasks finished so far are saved in checkpoint {}: run the same command again to "
      "resume",
      dir);
}

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
  // The job ends on this error: no "interrupted" line after it when mpirun's SIGTERM comes.
  g_interrupt_speaks = 0;
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
  install_interrupt_handlers(runtime->is_mother(), runtime->size());
  try {
    const int code = body(*runtime);
    // The outcome is decided (and printed, on error): a SIGTERM from mpirun ending the job
    // now, because another rank left first, interrupts nothing worth a line.
    g_interrupt_speaks = 0;
    // Each rank for its own standard output (only the mother writes one, as a rule), with no
    // collective: a rank that failed to write says so and exits 1, the others are done.
    if (const std::string problem = standard_output_problem(); !problem.empty()) {
      fmt::print(stderr, "{}: {}\n", program, problem);
      return code == 0 ? static_cast<int>(ExitCode::failure) : code;
    }
    return code;
  } catch (const CollectiveError& e) {
    g_interrupt_speaks = 0;  // as above: this error is the job's last word
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
