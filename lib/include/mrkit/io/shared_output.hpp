// One output file written by all ranks together: the file is every rank's bytes, concatenated in
// rank order, and no rank ever holds more than its own bytes (plus one piece when streaming).
//
//   std::string mine = format(my_sorted_range);              // this rank's part of the result
//   mrkit::write_file_together(comm, "out.tsv", mine);        // out.tsv: rank 0's, rank 1's, ...
//
// Collective: every rank calls it with the same path and options.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace mrkit {

struct SharedOutputOptions {
  // When streaming (below), a rank's bytes travel to the root in pieces of at most this many
  // bytes (at least 1).
  std::size_t piece_bytes = std::size_t{64} << 20;
  // Tests: stream even when every rank could open the temporary file.
  bool force_streaming = false;
};

// Writes the ranks' `local_bytes`, concatenated in rank order, to `path`.
//
// A regular file (new, or replaced: it keeps its owner and mode, a new one follows the umask, as
// write_file_atomically in io/atomic_file.hpp, whose rules on links and permissions apply): the
// sizes' exclusive prefix sum gives each rank its offset; the root creates a temporary file
// beside the target (`.NAME.XXXXXX`, O_EXCL) and broadcasts its name; every rank opens it,
// pwrite()s its bytes at its offset, fsyncs and closes it (every call checked); when every rank
// succeeded the root renames the temporary file over the target and fsyncs the directory. Readers
// see the old file or the whole new one, never a part.
//
// Streaming: when some rank cannot open the temporary file (no file system shared between the
// nodes), each rank sends its bytes to the root in pieces of piece_bytes, in rank order, and the
// root writes them into the temporary file (then renamed as above). Standard output (`path` "",
// "-" or "/dev/stdout") and targets that are not regular files (a pipe, a terminal, /dev/null)
// are always streamed, written straight in. The root holds one piece at a time.
//
// Failure on any rank (a missing directory, no space left on device, a failed fsync) throws the
// same one-line CollectiveError (ExitCode::failure) on every rank: "cannot write 'PATH' (STEP):
// REASON" naming the first failing rank when there are several ("write error: REASON" for
// standard output); the root removes the temporary file and the target is untouched. Every rank
// reaches the same agreement first, so no rank waits forever on another. (A rank that dies
// leaves the job to mpirun, which ends it: the target is untouched, the temporary file stays.)
//
// Test hook: MRKIT_TEST_DIE_BEFORE_WRITE=RANK in the environment makes rank RANK _exit(9) just
// before it writes its bytes.
void write_file_together(const boost::mpi::communicator& comm, const std::string& path,
                         std::string_view local_bytes, const SharedOutputOptions& options = {});

// The same file, for results that no rank holds whole: each rank says first how many bytes it
// will write, then writes them in any number of pieces as it makes them, then all commit.
//
//   mrkit::SharedOutputFile out(comm, "sorted.bin", my_bytes);   // collective
//   while (...) out.write(block);                                  // this rank alone
//   out.commit();                                                  // collective: renamed
//
// Shared (every rank can open the temporary file): write() pwrite()s at the rank's offset.
// Streaming (standard output, a pipe, or a temporary file some rank cannot open): the root writes
// its own pieces straight in; every other rank keeps its pieces in a scratch file
// (io/scratch_dir.hpp, under `scratch_parent`: empty for $TMPDIR or /tmp) and at commit() sends
// them to the root in rank order, piece_bytes at a time; no rank holds more than a piece. write()
// throws std::runtime_error on this rank alone (the caller agrees before its next collective, as
// commit() does); commit() throws the same CollectiveError on every rank. A SharedOutputFile
// destroyed before commit() leaves the target untouched and removes the temporary file.
class SharedOutputFile {
 public:
  SharedOutputFile(const boost::mpi::communicator& comm, std::string path,
                   std::uint64_t local_bytes, const SharedOutputOptions& options = {},
                   std::string scratch_parent = {});
  ~SharedOutputFile();
  SharedOutputFile(const SharedOutputFile&) = delete;
  SharedOutputFile& operator=(const SharedOutputFile&) = delete;

  void write(std::string_view bytes);
  void commit();
  // True when every rank writes at its offset (false: streamed through the root).
  [[nodiscard]] bool shared() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mrkit
