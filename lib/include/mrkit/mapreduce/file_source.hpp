// Records over files, exact at every split: the inputs are listed once (collectively, as
// wordcount lists them), laid end to end and cut into byte-range tasks; a task owns the records
// that BEGIN in its range and reads past its end to finish the last one. So every record is
// seen exactly once, whatever the split size, the rank count or the schedule.
//
//   mrkit::FileSource source(comm, paths);
//   auto counts = mrkit::reduce_by_key<std::string, std::uint64_t>(
//       comm, source.tasks(),
//       [&](std::uint64_t task, auto& emit) {
//         source.for_each_word(task, [&](const mrkit::Record& w) { emit(w.bytes, 1); });
//       },
//       std::plus<>{});
//
// Records:
//  - words: maximal runs of bytes that are not ASCII white space (text/tokenizer.hpp, Python's
//    bytes.split()); optionally with ASCII letters folded to lower case;
//  - lines: mapreduce/range_records.hpp (a '\n' ends a line, a '\r' before it is dropped, a last
//    line without '\n' counts unless empty);
//  - fixed-size binary records: record k of a file is its bytes [k*n, (k+1)*n); a file whose
//    size is not a multiple of n is refused: check_record_size() before the job.
// A file may be read whole when listed (procfs and the like: io/input_files.hpp); its records
// are those of that snapshot. Small files read whole by a task are read in batches
// (io/whole_files.hpp).
//
// The for_each_* functions run on the rank that runs the task, and call `f` in file order, then
// offset order; the Record's bytes are valid only during the call. They let the scheduler
// answer other ranks between blocks (mapreduce/task_yield.hpp). Not thread-safe: one
// FileSource per thread.
#pragma once

#include "mrkit/io/byte_ranges.hpp"
#include "mrkit/io/input_files.hpp"
#include "mrkit/tasks/scheduler.hpp"

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

class WordCounts;

struct FileSourceOptions {
  // Bytes per task; 0 picks one: about 16 tasks per rank between 1 and 64 MiB (dynamic), one
  // task per rank (static), or, with same_tasks_at_every_rank_count, a size from the input
  // alone (about 256 tasks between 1 and 64 MiB).
  std::uint64_t split_bytes = 0;
  Schedule schedule = Schedule::dynamic;
  // Task numbers that do not depend on the rank count: a checkpoint written at one rank count
  // then resumes at another.
  bool same_tasks_at_every_rank_count = false;
  std::size_t block_bytes = std::size_t{1} << 20;  // bytes per read
};

// One record: its bytes (valid only during the call), the file it is in (an index into
// FileSource::files()) and the offset in that file where it begins.
struct Record {
  std::string_view bytes;
  std::size_t file = 0;
  std::uint64_t offset = 0;
};

using RecordFunction = std::function<void(const Record&)>;

class FileSource {
 public:
  // Collective: lists `paths` (files, and directories walked recursively: list_input_files)
  // and cuts them into tasks; the same on every rank. Throws InputError / UsageError on every
  // rank as list_input_files does; UsageError for a block size of 0.
  FileSource(const boost::mpi::communicator& comm, const std::vector<std::string>& paths,
             const FileSourceOptions& options = {});
  ~FileSource();
  FileSource(FileSource&&) noexcept;
  FileSource& operator=(FileSource&&) noexcept;

  [[nodiscard]] const std::vector<InputFile>& files() const noexcept { return files_; }
  // Files skipped while listing (FIFOs, devices...), one sentence each; on the mother only.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept { return warnings_; }
  [[nodiscard]] std::uint64_t tasks() const noexcept { return ranges_.size(); }
  [[nodiscard]] std::uint64_t split_bytes() const noexcept { return split_bytes_; }
  [[nodiscard]] std::uint64_t total_bytes() const noexcept { return space_.total(); }
  // The file pieces of a task, in file order.
  [[nodiscard]] std::vector<FilePiece> pieces(std::uint64_t task) const;
  // What identifies this input for a checkpoint: the split and every file's path, size and
  // modification time (and content, for a file read when listed). Several lines of text.
  [[nodiscard]] std::string fingerprint() const;

  // The records that begin in task `task`, in order. Throw std::runtime_error naming the file
  // when it cannot be opened or read, or is shorter than listed.
  void for_each_word(std::uint64_t task, const RecordFunction& f, bool ignore_case = false) const;
  void for_each_line(std::uint64_t task, const RecordFunction& f) const;
  void for_each_fixed_record(std::uint64_t task, std::size_t record_bytes,
                             const RecordFunction& f) const;
  // Throws InputError naming the first file whose size is not a multiple of `record_bytes`
  // (UsageError for 0). From the listing alone: every rank throws the same, so call it on
  // every rank before a job over fixed records.
  void check_record_size(std::size_t record_bytes) const;

  // The fast path of a word count: counts the words that begin in `task` per file piece into
  // `words` (file, words; in order) and, given a table, tabulates them with the word scanner
  // (text/word_scan.hpp: no call per word). Unlike the for_each_* functions, a file that
  // changed since it was listed is not an error: its words are those read (up to the listed
  // size), and changed_files() names it.
  struct PieceWords {
    std::size_t file = 0;
    std::uint64_t words = 0;
  };
  void count_words(std::uint64_t task, WordCounts* table, bool ignore_case,
                   std::vector<PieceWords>& words) const;
  // Collective: a warning for each file that count_words saw change while it was read (its
  // size, or for a big file its modification time), in file order, on the mother.
  [[nodiscard]] std::vector<std::string> changed_files(const boost::mpi::communicator& comm) const;

  // Bytes read by this rank so far (including look-back and read-ahead), for --stats; and the
  // seconds spent opening and reading.
  [[nodiscard]] std::uint64_t bytes_read() const noexcept;
  [[nodiscard]] double io_seconds() const noexcept;

 private:
  struct Reader;
  template <class OnRange, class OnWhole>
  void for_each_piece(std::uint64_t task, const OnRange& on_range, const OnWhole& on_whole,
                      std::size_t padding) const;
  template <class OnRange>
  void for_each_piece(std::uint64_t task, const OnRange& on_range) const;

  std::vector<InputFile> files_;
  std::vector<std::string> warnings_;
  ByteSpace space_{std::vector<std::uint64_t>{}};
  std::uint64_t split_bytes_ = 0;
  std::vector<IndexRange> ranges_;
  std::size_t block_bytes_ = std::size_t{1} << 20;
  std::unique_ptr<Reader> reader_;  // open files and buffers of this rank
};

}  // namespace mrkit
