// Durable record of finished tasks, so that a run that crashed resumes where it stopped: each
// finished record (a task, or a run of tasks the caller groups) goes to its own file
// `task-NNNNNNNN.done`, written atomically (fsync, rename) by the rank that ran it, beside a
// manifest that fingerprints the job. A changed input or changed options give another
// fingerprint, and the checkpoint is refused with a clear message instead of mixing results.
// The directory must be visible to every rank (a shared file system).
//
// Every record file starts with a header: magic, format version, the job's id (a hash of the
// manifest), its record number, its payload's length and an XXH3-64 checksum over header and
// payload. The mother verifies every record when the checkpoint is opened: a damaged,
// truncated or foreign record, or a file not named exactly as the writer names them, is never
// used (one warning names it) and its task is run again.
//
// The manifest is claimed atomically (written aside, then link(2)ed into place), so of two runs
// with different options on one directory exactly one proceeds. The mother also holds an
// exclusive flock(2) on DIR/lock for the whole run, so a second run of the same job at the same
// time is refused too ("in use by another run (pid N on HOST)"). flock is advisory and may be a
// no-op on some network file systems (older NFS, some parallel file systems): there, only the
// atomic manifest protects the directory, and the user must not start two runs at once.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

class Checkpoint {
 public:
  // Collective. An empty `dir` disables checkpointing (nothing is read or written). Creates the
  // directory and claims its manifest if need be; throws InputError on every rank if the
  // directory holds a checkpoint of another job (`fingerprint` or `records` differ), is in use
  // by another run, or cannot be used. `records` is the number of records the job writes.
  Checkpoint(const boost::mpi::communicator& comm, std::string dir, std::string_view fingerprint,
             std::uint64_t records);
  ~Checkpoint();
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  [[nodiscard]] bool enabled() const noexcept { return !dir_.empty(); }
  // Records finished (and verified) by an earlier run, in increasing order, each once (the same
  // on every rank).
  [[nodiscard]] const std::vector<std::uint64_t>& finished() const noexcept { return finished_; }
  // Records still to run, in increasing order.
  [[nodiscard]] std::vector<std::uint64_t> remaining() const;
  // What the mother found wrong with the directory's files (records not used, names ignored),
  // one line each without the program's name; empty on the other ranks.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept { return warnings_; }

  // Records a finished record's payload durably (any rank, any time).
  void record(std::uint64_t task, std::string_view payload) const;
  // The payload recorded for a finished record, verified again; throws InputError naming the
  // file if it cannot be read or no longer verifies.
  [[nodiscard]] std::string load(std::uint64_t task) const;
  // Calls `use` with the payload of a finished record; any error `use` throws (a payload its
  // decoder cannot read) becomes an InputError that names the record's file.
  void load(std::uint64_t task, const std::function<void(std::string_view)>& use) const;
  // The file of a record.
  [[nodiscard]] std::string task_path(std::uint64_t task) const;

  // The bytes of a record file: header and payload (exposed for tests).
  [[nodiscard]] static std::string encode_record(std::uint64_t job, std::uint64_t task,
                                                 std::string_view payload);

 private:
  std::string dir_;
  std::uint64_t tasks_ = 0;
  std::uint64_t job_ = 0;    // XXH3-64 of the manifest text
  bool owner_only_ = false;  // the directory has no group or other permissions: files get 0600
  int lock_fd_ = -1;         // the mother's flock on DIR/lock, held for the run
  std::vector<std::uint64_t> finished_;
  std::vector<std::string> warnings_;
};

}  // namespace mrkit
