#include "mrkit/io/shared_output.hpp"

#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/core/tags.hpp"
#include "mrkit/io/detail/replace_file.hpp"
#include "mrkit/io/scratch_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/mpi/collectives.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mrkit {
namespace {

namespace fs = std::filesystem;

constexpr int root = mother_rank;

// Where the bytes go: a temporary file that replaces the target, standard output, or a stream
// (pipe, terminal, device) written straight into.
enum class Kind : char { file = 'f', standard_output = 'o', stream = 's' };

// The most one write(2) call is asked for (Linux moves at most about 2 GiB per call anyway).
constexpr std::size_t max_write = std::size_t{1} << 30;

// Writes all of `bytes` (at `offset` with pwrite, or at the file position when offset is
// unset), through short writes and EINTR; returns 0 or the errno of the failure.
int write_fully(int fd, std::string_view bytes, std::optional<std::uint64_t> offset) {
  while (!bytes.empty()) {
    const std::size_t ask = std::min(bytes.size(), max_write);
    const ssize_t n = offset ? ::pwrite(fd, bytes.data(), ask, static_cast<off_t>(*offset))
                             : ::write(fd, bytes.data(), ask);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // no progress and no error: do not spin
    bytes.remove_prefix(static_cast<std::size_t>(n));
    if (offset) *offset += static_cast<std::uint64_t>(n);
  }
  return 0;
}

// The test hook (see the header).
void die_if_asked(int rank) {
  const char* victim = std::getenv("MRKIT_TEST_DIE_BEFORE_WRITE");
  if (victim != nullptr && std::to_string(rank) == victim) ::_exit(9);
}

// What the root found and made, as all ranks learn it.
struct Target {
  Kind kind = Kind::file;
  std::string temp;   // Kind::file: the temporary file beside the target
  std::string error;  // not empty: the target cannot be written (the same on every rank)
};

// On the root: the file to write into. Sets fd (the temporary file, or the stream) and, for a
// file, what the replaced file was.
struct RootState {
  int fd = -1;
  fs::path target;  // the file the links lead to
  fs::path dir;
  bool exists = false;
  struct stat old {};
};

bool is_standard_output(const std::string& path) {
  return path.empty() || path == "-" || path == "/dev/stdout";
}

// The checks and the temporary file of write_file_atomically, on the root.
Target prepare(const std::string& path, RootState& state) {
  Target t;
  if (is_standard_output(path)) {
    t.kind = Kind::standard_output;
    std::fflush(stdout);  // what the program printed before comes first
    state.fd = STDOUT_FILENO;
    return t;
  }
  try {
    state.exists = ::stat(path.c_str(), &state.old) == 0;  // through links
    if (state.exists && S_ISDIR(state.old.st_mode)) detail::fail_write(path, "open", EISDIR);
    if (detail::names_open_stream(path) || (state.exists && !S_ISREG(state.old.st_mode))) {
      t.kind = Kind::stream;
      state.fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
      if (state.fd < 0) detail::fail_write(path, "open", errno);
      return t;
    }
    state.target = detail::follow_links(path);
    state.dir = state.target.has_parent_path() ? state.target.parent_path() : fs::path(".");
    if (state.exists && ::faccessat(AT_FDCWD, state.target.c_str(), W_OK, AT_EACCESS) != 0) {
      detail::fail_write(path, "open", errno);
    }
    state.fd = detail::create_temporary(state.dir, state.target.filename().string(),
                                        state.exists ? 0600 : 0666, t.temp, path);
  } catch (const std::exception& e) {
    t.error = e.what();
  }
  return t;
}

std::string encode(const Target& t) {
  return std::string(1, static_cast<char>(t.kind)) +
         (t.error.empty() ? "+" + t.temp : "-" + t.error);
}

Target decode(const std::string& bytes) {
  Target t;
  t.kind = static_cast<Kind>(bytes.at(0));
  (bytes.at(1) == '+' ? t.temp : t.error) = bytes.substr(2);
  return t;
}

// "cannot write 'PATH' (STEP[ on rank R]): REASON", or "write error: REASON" on standard output.
std::string failure(const boost::mpi::communicator& comm, const std::string& path, Kind kind,
                    const char* step, int err) {
  if (kind == Kind::standard_output) return std::string("write error: ") + std::strerror(err);
  std::string where = step;
  if (comm.size() > 1) where += " on rank " + std::to_string(comm.rank());
  return "cannot write '" + path + "' (" + where + "): " + std::strerror(err);
}

// The root's own bytes, then every other rank's, piece by piece, in rank order. After a failed
// write the root still takes every piece (and drops it), so that no sender waits forever.
// Returns the root's failure ("" if none; other ranks: "").
std::string stream_to_root(const boost::mpi::communicator& comm, const std::string& path, Kind kind,
                           int fd, std::string_view local_bytes,
                           const std::vector<std::uint64_t>& sizes, std::size_t piece) {
  if (comm.rank() != root) {
    die_if_asked(comm.rank());
    for (std::size_t at = 0; at < local_bytes.size(); at += piece) {
      send_bytes(comm, root, tags::shared_output_piece, local_bytes.substr(at, piece));
    }
    return {};
  }
  const bool positioned = kind == Kind::file;
  std::uint64_t offset = 0;
  int err = 0;
  auto put = [&](std::string_view bytes) {
    if (err == 0) {
      err =
          write_fully(fd, bytes, positioned ? std::optional<std::uint64_t>(offset) : std::nullopt);
    }
    offset += bytes.size();
  };
  die_if_asked(root);
  put(local_bytes);
  for (int r = 1; r < comm.size(); ++r) {
    const std::uint64_t size = sizes[static_cast<std::size_t>(r)];
    for (std::uint64_t at = 0; at < size; at += piece) {
      const std::string bytes = recv_bytes(comm, r, tags::shared_output_piece);
      put(bytes);
    }
  }
  return err == 0 ? std::string() : failure(comm, path, kind, "write", err);
}

// Every rank writes its bytes at its offset into the temporary file, fsyncs and closes it.
std::string write_at_offset(const boost::mpi::communicator& comm, const std::string& path, int fd,
                            std::string_view local_bytes, std::uint64_t offset) {
  die_if_asked(comm.rank());
  int err = write_fully(fd, local_bytes, offset);
  const char* step = "write";
  if (err == 0 && ::fsync(fd) != 0) {
    err = errno;
    step = "fsync";
  }
  if (comm.rank() != root && ::close(fd) != 0 && err == 0 && errno != EINTR) {
    err = errno;
    step = "close";
  }
  return err == 0 ? std::string() : failure(comm, path, Kind::file, step, err);
}

// On the root, once every rank has written: the replaced file's owner and mode, fsync, close,
// rename over the target, fsync the directory. Throws on failure (the caller removes temp).
void finish_file(const std::string& path, RootState& state, const std::string& temp) {
  if (state.exists) detail::keep_owner_and_mode(state.fd, state.old);
  if (::fsync(state.fd) != 0) detail::fail_write(path, "fsync", errno);
  const int fd = std::exchange(state.fd, -1);
  if (::close(fd) != 0 && errno != EINTR) detail::fail_write(path, "close", errno);
  if (::rename(temp.c_str(), state.target.c_str()) != 0) detail::fail_write(path, "rename", errno);
  const int dfd = ::open(state.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);  // best effort, as write_file_atomically: the rename is visible
    ::close(dfd);
  }
}

}  // namespace

void write_file_together(const boost::mpi::communicator& comm, const std::string& path,
                         std::string_view local_bytes, const SharedOutputOptions& options) {
  const std::size_t piece = std::max<std::size_t>(1, options.piece_bytes);
  std::vector<std::uint64_t> sizes;
  boost::mpi::all_gather(comm, static_cast<std::uint64_t>(local_bytes.size()), sizes);
  std::uint64_t offset = 0;
  for (int r = 0; r < comm.rank(); ++r) offset += sizes[static_cast<std::size_t>(r)];

  // The root checks the target and makes the temporary file; every rank learns the outcome.
  RootState state;
  std::string message;
  if (comm.rank() == root) message = encode(prepare(path, state));
  broadcast_bytes(comm, message, root);
  const Target target = decode(message);
  if (!target.error.empty()) throw CollectiveError(ExitCode::failure, target.error);

  // The root's clean-up on any failure from here on: the temporary file goes, the target stays.
  auto abandon = [&] {
    if (comm.rank() != root) return;
    if (target.kind != Kind::standard_output && state.fd >= 0) ::close(state.fd);
    state.fd = -1;
    if (target.kind == Kind::file) ::unlink(target.temp.c_str());
  };
  try {
    // Shared: every rank could open the temporary file; else the bytes stream to the root.
    int fd = state.fd;
    bool opened = true;
    if (target.kind == Kind::file && comm.rank() != root) {
      fd = options.force_streaming ? -1 : ::open(target.temp.c_str(), O_WRONLY | O_CLOEXEC);
      opened = fd >= 0;
    }
    const int can_share = target.kind == Kind::file && !options.force_streaming && opened ? 1 : 0;
    int all_share = 0;
    boost::mpi::all_reduce(comm, can_share, all_share, boost::mpi::minimum<int>());
    const bool shared = all_share == 1;
    std::string error;
    if (shared) {
      error = write_at_offset(comm, path, fd, local_bytes, offset);
    } else {
      if (comm.rank() != root && fd >= 0) ::close(fd);
      error = stream_to_root(comm, path, target.kind, state.fd, local_bytes, sizes, piece);
    }
    agree(comm, error.empty(), error, ExitCode::failure);
    // The root finishes: rename (a file) or close (a stream); standard output stays open.
    std::string last;
    if (comm.rank() == root) {
      try {
        if (target.kind == Kind::file) {
          finish_file(path, state, target.temp);
        } else if (target.kind == Kind::stream) {
          const int stream_fd = std::exchange(state.fd, -1);
          if (::close(stream_fd) != 0 && errno != EINTR) detail::fail_write(path, "close", errno);
        }
      } catch (const std::exception& e) {
        last = e.what();
      }
    }
    agree(comm, last.empty(), last, ExitCode::failure);
  } catch (...) {
    abandon();
    throw;
  }
}

struct SharedOutputFile::State {
  const boost::mpi::communicator* comm = nullptr;
  std::string path;
  SharedOutputOptions options;
  std::string scratch_parent;
  std::vector<std::uint64_t> sizes;
  std::uint64_t offset = 0;  // where this rank's next byte goes (shared), or its count so far
  std::uint64_t written = 0;
  Target target;
  RootState root_state;
  int fd = -1;  // shared, on a rank other than the root: its own descriptor of the temporary file
  bool is_shared = false;
  bool committed = false;
  // Streaming, on a rank other than the root: its pieces until commit().
  std::unique_ptr<ScratchDir> spool_dir;
  std::unique_ptr<SpillFileWriter> spool;
  std::string spool_path;
};

SharedOutputFile::SharedOutputFile(const boost::mpi::communicator& comm, std::string path,
                                   std::uint64_t local_bytes, const SharedOutputOptions& options,
                                   std::string scratch_parent)
    : state_(std::make_unique<State>()) {
  State& st = *state_;
  st.comm = &comm;
  st.path = std::move(path);
  st.options = options;
  st.options.piece_bytes = std::max<std::size_t>(1, options.piece_bytes);
  st.scratch_parent = std::move(scratch_parent);
  boost::mpi::all_gather(comm, local_bytes, st.sizes);
  for (int r = 0; r < comm.rank(); ++r) st.offset += st.sizes[static_cast<std::size_t>(r)];
  std::string message;
  if (comm.rank() == root) message = encode(prepare(st.path, st.root_state));
  broadcast_bytes(comm, message, root);
  st.target = decode(message);
  if (!st.target.error.empty()) throw CollectiveError(ExitCode::failure, st.target.error);
  st.fd = st.root_state.fd;  // the root: the temporary file or the stream
  bool opened = true;
  if (st.target.kind == Kind::file && comm.rank() != root) {
    st.fd = options.force_streaming ? -1 : ::open(st.target.temp.c_str(), O_WRONLY | O_CLOEXEC);
    opened = st.fd >= 0;
  }
  const int can_share = st.target.kind == Kind::file && !options.force_streaming && opened ? 1 : 0;
  int all_share = 0;
  boost::mpi::all_reduce(comm, can_share, all_share, boost::mpi::minimum<int>());
  st.is_shared = all_share == 1;
  if (!st.is_shared && comm.rank() != root && st.fd >= 0) {
    ::close(st.fd);
    st.fd = -1;
  }
  if (!st.is_shared && comm.rank() == root) st.offset = 0;  // the root writes first, from 0
}

SharedOutputFile::~SharedOutputFile() {
  State& st = *state_;
  if (st.committed) return;
  if (st.comm->rank() != root) {
    if (st.fd >= 0) ::close(st.fd);
    return;
  }
  if (st.target.kind != Kind::standard_output && st.root_state.fd >= 0) ::close(st.root_state.fd);
  if (st.target.kind == Kind::file) ::unlink(st.target.temp.c_str());
}

bool SharedOutputFile::shared() const noexcept {
  return state_->is_shared;
}

void SharedOutputFile::write(std::string_view bytes) {
  State& st = *state_;
  const auto& comm = *st.comm;
  const std::uint64_t mine = st.sizes[static_cast<std::size_t>(comm.rank())];
  if (st.written + bytes.size() > mine) {
    throw std::logic_error("SharedOutputFile: more bytes written than announced");
  }
  if (st.written == 0) die_if_asked(comm.rank());
  st.written += bytes.size();
  if (st.is_shared || comm.rank() == root) {
    const bool positioned = st.target.kind == Kind::file;
    const int err = write_fully(
        st.fd, bytes, positioned ? std::optional<std::uint64_t>(st.offset) : std::nullopt);
    st.offset += bytes.size();
    if (err != 0) throw std::runtime_error(failure(comm, st.path, st.target.kind, "write", err));
    return;
  }
  if (!st.spool) {
    st.spool_dir = std::make_unique<ScratchDir>(st.scratch_parent);
    st.spool_path = st.spool_dir->new_file_path("output");
    st.spool = std::make_unique<SpillFileWriter>(st.spool_path, st.spool_dir->path());
  }
  st.spool->write(bytes);
}

void SharedOutputFile::commit() {
  State& st = *state_;
  const auto& comm = *st.comm;
  const std::size_t piece = st.options.piece_bytes;
  std::string error;
  try {
    if (st.written != st.sizes[static_cast<std::size_t>(comm.rank())]) {
      throw std::logic_error("SharedOutputFile: fewer bytes written than announced");
    }
    if (st.is_shared && comm.rank() != root) {
      const char* step = nullptr;
      int err = 0;
      if (::fsync(st.fd) != 0) err = errno, step = "fsync";
      const int fd = std::exchange(st.fd, -1);
      if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno, step = "close";
      if (err != 0) error = failure(comm, st.path, Kind::file, step, err);
    } else if (!st.is_shared && comm.rank() != root && st.spool) {
      st.spool->close();
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  agree(comm, error.empty(), error, ExitCode::failure);
  if (!st.is_shared) {
    // Every other rank's pieces to the root, in rank order. A sender that cannot read its spool
    // sends an empty piece and stops; the root takes every rank's pieces to the end regardless.
    if (comm.rank() != root) {
      try {
        if (st.spool) {
          SpillFileReader in(st.spool_path);
          std::string buffer;
          for (std::uint64_t at = 0; at < st.written; at += piece) {
            buffer.resize(
                static_cast<std::size_t>(std::min<std::uint64_t>(piece, st.written - at)));
            in.read_at(at, buffer.data(), buffer.size());
            send_bytes(comm, root, tags::shared_output_piece, buffer);
          }
        }
      } catch (const std::exception& e) {
        error = e.what();
        send_bytes(comm, root, tags::shared_output_piece, {});
      }
      st.spool.reset();
      st.spool_dir.reset();
    } else {
      int err = 0;
      const bool positioned = st.target.kind == Kind::file;
      for (int r = 1; r < comm.size(); ++r) {
        const std::uint64_t size = st.sizes[static_cast<std::size_t>(r)];
        for (std::uint64_t got = 0; got < size;) {
          const std::string bytes = recv_bytes(comm, r, tags::shared_output_piece);
          if (bytes.empty()) break;  // that rank failed and says so below
          if (err == 0) {
            err = write_fully(st.fd, bytes,
                              positioned ? std::optional<std::uint64_t>(st.offset) : std::nullopt);
          }
          st.offset += bytes.size();
          got += bytes.size();
        }
      }
      if (err != 0) error = failure(comm, st.path, st.target.kind, "write", err);
    }
    agree(comm, error.empty(), error, ExitCode::failure);
  }
  std::string last;
  if (comm.rank() == root) {
    try {
      if (st.target.kind == Kind::file) {
        finish_file(st.path, st.root_state, st.target.temp);
      } else if (st.target.kind == Kind::stream) {
        const int stream_fd = std::exchange(st.root_state.fd, -1);
        if (::close(stream_fd) != 0 && errno != EINTR) detail::fail_write(st.path, "close", errno);
      }
    } catch (const std::exception& e) {
      last = e.what();
    }
  }
  agree(comm, last.empty(), last, ExitCode::failure);
  st.committed = true;
}

}  // namespace mrkit
