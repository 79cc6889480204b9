// MPI start-up, the mother/worker roles, and one exit path that never leaves a rank waiting.
#pragma once

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mrkit {

// Rank 0 is the mother: it splits the work, hands it out and gathers the results. "Mother" is
// the course's word for rank 0 and names the programs' roles (is_mother, on_mother_then_agree);
// a rank parameter is named by its part in the call: `root` where a collective starts or ends
// (MPI's and Boost.MPI's word), `host` for the rank that keeps a shared object, `owner` for
// the rank that holds a key. Where such a parameter has a default, it is mother_rank.
inline constexpr int mother_rank = 0;

// Documented process exit codes, shared by every mrkit program.
enum class ExitCode : int {
  ok = 0,       // success
  failure = 1,  // a run-time failure on some rank (I/O error, exception, killed rank)
  usage = 2,    // bad command line
  input = 3,    // bad input (missing path, no files, unreadable file)
};

// An error that every rank raises identically (a bad argument parsed on every rank, or a
// status the mother broadcast). All ranks then leave cleanly with the same exit code.
class CollectiveError : public std::runtime_error {
 public:
  CollectiveError(ExitCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  [[nodiscard]] ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

class UsageError : public CollectiveError {
 public:
  explicit UsageError(const std::string& message) : CollectiveError(ExitCode::usage, message) {}
};

class InputError : public CollectiveError {
 public:
  explicit InputError(const std::string& message) : CollectiveError(ExitCode::input, message) {}
};

// Throws the CollectiveError subclass that matches `code` (UsageError, InputError, ...).
[[noreturn]] void throw_collective(ExitCode code, const std::string& message);

// One MPI job as seen by one rank.
class Runtime {
 public:
  Runtime(int& argc, char**& argv);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  [[nodiscard]] const boost::mpi::communicator& world() const noexcept { return world_; }
  [[nodiscard]] int rank() const noexcept { return world_.rank(); }
  [[nodiscard]] int size() const noexcept { return world_.size(); }
  [[nodiscard]] bool is_mother() const noexcept { return rank() == mother_rank; }
  [[nodiscard]] static std::string host();

 private:
  std::unique_ptr<boost::mpi::environment> env_;
  boost::mpi::communicator world_;
};

// Runs `body` on every rank and returns the process exit code.
// - A CollectiveError (raised on all ranks alike) is printed once by the mother as
//   "PROGRAM: message" and every rank returns its code after a clean MPI finalize.
// - Any other exception on any rank prints "PROGRAM: error on rank R (HOST): message" and
//   aborts the whole job at once, so no rank is left waiting in a collective.
[[nodiscard]] int run(int& argc, char**& argv, std::string_view program,
                      const std::function<int(Runtime&)>& body);

// SIGINT and SIGTERM. run() installs a handler (unless the signal was ignored when the program
// started) that ends the rank at once: the mother writes one precomputed line,
// "PROGRAM: interrupted (SIGTERM); NOTE", and every rank exits with 128 + the signal (130 for
// SIGINT, 143 for SIGTERM) without running anything else (async-signal-safe: write(2) and
// _exit(2) only). Whatever was saved stays: -o files are replaced atomically (an interrupted
// run leaves the old one), checkpoint records are written whole. mpirun passes either signal
// to the ranks as SIGTERM (then SIGKILL after a grace of about 2 s) and exits 1 itself; there
// every rank lingers 250 ms before it exits, or mpirun may drop the mother's line. mpirun also
// sends SIGTERM when it ends the job because a rank failed; the ranks cannot tell the two
// apart, so with several ranks the line says "(SIGTERM from mpirun: a signal, or another rank
// failed)".
// `note` says what was saved (empty: nothing said); it may be set again at any time.
void set_interrupt_note(std::string_view note);
// The note for a program with --checkpoint DIR (`dir` empty: without one).
[[nodiscard]] std::string checkpoint_interrupt_note(std::string_view dir);

// Ends the whole job now from any rank: prints the message (naming rank and host) and aborts.
[[noreturn]] void abort_job(std::string_view program, std::string_view message,
                            ExitCode code = ExitCode::failure);

// Runs `fn` on the mother only and broadcasts whether it succeeded. If it threw a
// CollectiveError, every rank throws the same error; any other exception ends the job.
// Use it for work only the mother does (listing inputs) whose failure all ranks must see.
void on_mother_then_agree(const boost::mpi::communicator& comm, const std::function<void()>& fn);

// Every rank passes its own status; if any rank failed, every rank throws the message of the
// lowest failing rank as a CollectiveError with its code. Call before collective-dependent asserts.
void agree(const boost::mpi::communicator& comm, bool ok, const std::string& message = {},
           ExitCode code = ExitCode::failure);

}  // namespace mrkit
