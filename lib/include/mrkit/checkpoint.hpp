// Durable record of finished tasks, so that a run that crashed resumes where it stopped: each
// finished task's result goes to its own file, written atomically (fsync, rename) by the rank
// that ran it, beside a manifest that fingerprints the job. A changed input or changed options
// give another fingerprint, and the checkpoint is refused with a clear message instead of
// mixing results. The directory must be visible to every rank (a shared file system).
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

class Checkpoint {
 public:
  // Collective. An empty `dir` disables checkpointing (nothing is read or written). Creates the
  // directory and its manifest if need be; throws InputError on every rank if the directory
  // holds a checkpoint of another job (`fingerprint` differs) or cannot be used.
  Checkpoint(const boost::mpi::communicator& comm, std::string dir, std::string_view fingerprint,
             std::uint64_t tasks);

  [[nodiscard]] bool enabled() const noexcept { return !dir_.empty(); }
  // Tasks finished by an earlier run, in increasing order (the same on every rank).
  [[nodiscard]] const std::vector<std::uint64_t>& finished() const noexcept { return finished_; }
  // Tasks still to run, in increasing order.
  [[nodiscard]] std::vector<std::uint64_t> remaining() const;

  // Records a finished task's result durably (any rank, any time).
  void record(std::uint64_t task, std::string_view payload) const;
  // The result recorded for a finished task; throws if it cannot be read.
  [[nodiscard]] std::string load(std::uint64_t task) const;

 private:
  [[nodiscard]] std::string task_path(std::uint64_t task) const;
  std::string dir_;
  std::uint64_t tasks_ = 0;
  std::vector<std::uint64_t> finished_;
};

}  // namespace mrkit
