#include "word_count.hpp"
#include "word_count_record.hpp"

#include <mrkit/comm/byte_codec.hpp>
#include <mrkit/comm/chunked_messages.hpp>
#include <mrkit/comm/reduce.hpp>
#include <mrkit/core/clock.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/io/byte_ranges.hpp>
#include <mrkit/io/detail/directory_fds.hpp>
#include <mrkit/io/whole_files.hpp>
#include <mrkit/tasks/checkpointed_tasks.hpp>
#include <mrkit/text/word_reduce.hpp>
#include <mrkit/text/word_scan.hpp>
#include <mrkit/version.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>

namespace mrkit {
namespace {

// Files of at least this size are checked for a rewrite in place (modification time) when read.
constexpr std::uint64_t mtime_check_bytes = std::uint64_t{1} << 20;

// Keeps the last file opened by this rank (consecutive pieces are usually of the same file) and
// the directory of the last one: files of one directory are opened relative to it, so that many
// small files do not cost a walk of their whole path each.
class OpenFile {
 public:
  OpenFile() = default;
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile() { close(); }

  int get(std::size_t index, const std::string& path, std::uint64_t size) {
    if (fd_ >= 0 && index_ == index) return fd_;
    close();
    const detail::DirectoryFds::Where where = dirs_.at(path);
    fd_ = ::openat(where.dir_fd, where.name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd_ < 0) throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
    // Worth a system call only for files read in many buffers.
    if (size >= (std::uint64_t{4} << 20)) ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    index_ = index;
    return fd_;
  }

 private:
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
  std::size_t index_ = 0;
  detail::DirectoryFds dirs_;
};

// A file whose size or modification time differs, once read, from when it was listed was
// written to while it was counted: its count is of the bytes that were there when read (up to
// the listed size), which may mix old and new content. Called when a read saw the size change,
// and for the modification time of big files by the rank that reads a file's last piece.
void note_if_changed(int fd, std::size_t index, const InputFile& file, bool size_changed,
                     std::map<std::size_t, std::string>& changed) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::int64_t mtime =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (!size_changed && size == file.size && mtime == file.mtime_ns) return;
  changed[index] =
      size == file.size
          ? fmt::format(
                "'{}' was modified while it was counted: its count may mix old and new "
                "content",
                file.path)
          : fmt::format(
                "'{}' {} while it was counted ({} bytes listed, {} now): its count is of "
                "the bytes read, at most the first {}",
                file.path, size < file.size ? "shrank" : "grew", file.size, size, file.size);
}

// Collective: every rank's changed files reach the mother's warnings, in file order.
void gather_changed_files(const boost::mpi::communicator& comm,
                          std::map<std::size_t, std::string>& changed,
                          std::vector<std::string>& warnings) {
  if (comm.rank() != mother_rank) {
    boost::mpi::gather(comm, changed, mother_rank);
    return;
  }
  std::vector<std::map<std::size_t, std::string>> all;
  boost::mpi::gather(comm, changed, all, mother_rank);
  std::map<std::size_t, std::string> merged;  // a re-issued task may see a file twice
  for (auto& m : all) merged.merge(m);
  for (auto& [index, text] : merged) warnings.push_back(std::move(text));
}

// What makes two runs the same job: the options that change results or task numbers, and
// every input file's path, size and modification time (and content, when read at listing).
std::string job_fingerprint(const WordCountOptions& o, std::uint64_t split,
                            const std::vector<InputFile>& files) {
  std::string inputs;
  std::uint64_t bytes = 0;
  for (const InputFile& f : files) {
    inputs += fmt::format("{}\t{}\t{}\n", f.path, f.size, f.mtime_ns);
    // A file read whole when listed (/proc, /sys) may change without changing its size or
    // time: its content is part of the job, so a resume never mixes two snapshots of it.
    if (f.content) inputs += fmt::format("content {:016x}\n", WordCounts::hash(*f.content));
    bytes += f.size;
  }
  return fmt::format(
      "job wordcount {}\nfrequencies {}\nignore_case {}\nsplit_bytes {}\nfiles {}\nbytes {}\n"
      "inputs {:016x}",
      version, o.frequencies, o.ignore_case, split, files.size(), bytes, WordCounts::hash(inputs));
}

// A finished record's result (word_count_record.hpp).
using wordcount::encode_task;
using wordcount::merge_task;

}  // namespace

namespace wordcount {

std::string encode_task(const std::vector<std::pair<std::size_t, std::uint64_t>>& counts,
                        const WordCounts* table) {
  std::string out;
  ByteWriter writer(out);
  writer.u64(counts.size());
  for (const auto& [file, words] : counts) {
    writer.u64(file);
    writer.u64(words);
  }
  if (table != nullptr) writer.bytes(table->encode());
  return out;
}

void merge_task(std::string_view bytes, std::vector<std::uint64_t>& words_per_file,
                WordCounts* table) {
  ByteReader in(bytes, "truncated checkpoint record");
  const std::uint64_t n = in.u64();
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t file = in.u64();
    const std::uint64_t words = in.u64();
    if (file >= words_per_file.size()) throw std::runtime_error("corrupt checkpoint record");
    words_per_file[static_cast<std::size_t>(file)] += words;
  }
  if (table != nullptr) table->merge_encoded(in.rest());
}

}  // namespace wordcount

WordCountResult count_words(const boost::mpi::communicator& comm,
                            const std::vector<std::string>& paths,
                            const WordCountOptions& options) {
  const auto start = Clock::now();
  if (options.task_time_limit > 0 && options.schedule != Schedule::dynamic) {
    throw UsageError("a task time limit needs the dynamic schedule");
  }
  WordCountResult result;
  result.ranks = comm.size();

  // The mother lists the inputs, the ranks ask their sizes; all learn the same list or error.
  InputListing listing = list_input_files(comm, paths);
  result.files = std::move(listing.files);
  if (comm.rank() == mother_rank) result.warnings = std::move(listing.warnings);

  std::vector<std::uint64_t> sizes;
  sizes.reserve(result.files.size());
  for (const InputFile& f : result.files) sizes.push_back(f.size);
  const ByteSpace space(sizes);

  result.split_bytes = options.split_bytes;
  if (result.split_bytes == 0 && !options.checkpoint_dir.empty()) {
    // Task numbers must not depend on the rank count, so a run can resume on other ranks.
    result.split_bytes = balanced_split_bytes(space.total(), 1, 256, std::uint64_t{1} << 20,
                                              std::uint64_t{64} << 20);
  }
  if (result.split_bytes == 0) {
    // Static: one contiguous share per rank. Dynamic: ~16 tasks per rank for balance,
    // between 1 MiB (amortise a request) and 64 MiB.
    result.split_bytes =
        options.schedule == Schedule::static_blocks
            ? balanced_split_bytes(space.total(), comm.size(), 1, 1, UINT64_MAX)
            : balanced_split_bytes(space.total(), comm.size(), 16, std::uint64_t{1} << 20,
                                   std::uint64_t{64} << 20);
  }
  const std::vector<IndexRange> tasks = split_evenly(space.total(), result.split_bytes);
  result.tasks = tasks.size();
  // With a checkpoint, runs of consecutive tasks are counted and recorded together (one file,
  // one fsync each): enough for 16 KiB of input, at most 4096 records (--split-bytes 1 would
  // otherwise write a file per byte); from the split and task count alone, so a checkpoint
  // resumes at any rank count. Without, every task on its own.
  const std::uint64_t group =
      options.checkpoint_dir.empty()
          ? 1
          : tasks_per_record(result.split_bytes, std::uint64_t{16} << 10, tasks.size());
  const CheckpointedTasks checkpointed(
      comm, options.checkpoint_dir,
      fmt::format("{}\ntasks_per_record {}",
                  job_fingerprint(options, result.split_bytes, result.files), group),
      tasks.size(), group);
  result.resumed_tasks = checkpointed.resumed_tasks();
  if (comm.rank() == mother_rank) {
    for (const std::string& w : checkpointed.warnings()) result.warnings.push_back(w);
  }

  RankTimer timer;
  double io_seconds = 0;  // inside tasks: opening and reading files
  result.words_per_file.assign(result.files.size(), 0);
  WordCounts table;
  WordCounts* table_ptr = options.frequencies ? &table : nullptr;
  ScanOptions scan;
  scan.buffer_bytes = options.buffer_bytes;
  scan.ignore_case = options.ignore_case;
  std::vector<char> buffer;
  OpenFile open_file;

  // Files found changed (size or modification time) after they were listed, by index.
  std::map<std::size_t, std::string> changed;
  // A task's words per file.
  std::vector<std::pair<std::size_t, std::uint64_t>> counts;
  // Counts one piece of a file, reading it in buffers.
  const auto scan_piece = [&](const FilePiece& piece, const Yield& yield, WordCounts* into) {
    const InputFile& file = result.files[piece.file];
    if (file.content) {  // read when listed (its listed size was not its content): one snapshot
      const ScanResult r = scan_words(memory_reader(*file.content), file.size,
                                      {piece.begin, piece.end}, scan, into, buffer, yield);
      timer.add_bytes(r.bytes_read);
      counts.emplace_back(piece.file, r.words);
      return;
    }
    auto io_start = Clock::now();
    const int fd = open_file.get(piece.file, file.path, file.size);
    const ReadAt pread_at = pread_reader(fd, file.path);
    io_seconds += seconds_since(io_start);
    const ReadAt reader = [&](std::uint64_t offset, std::span<char> into_buffer) {
      io_start = Clock::now();
      const std::size_t got = pread_at(offset, into_buffer);
      io_seconds += seconds_since(io_start);
      return got;
    };
    const ScanResult r =
        scan_words(reader, file.size, {piece.begin, piece.end}, scan, into, buffer, yield);
    timer.add_bytes(r.bytes_read);
    counts.emplace_back(piece.file, r.words);
    // A size change is seen by the reads; a rewrite in place only by the modification time,
    // worth a system call for files read in many buffers.
    if (r.size_changed || (piece.end == file.size && file.size >= mtime_check_bytes)) {
      note_if_changed(fd, piece.file, file, r.size_changed, changed);
    }
  };
  // Small files, whole: read a batch at a time (whole_files.hpp), counted from memory. A file
  // whose size changed since it was listed goes through scan_piece, which reports it.
  WholeFileReader whole_files;
  std::vector<WholeFile> batch;
  std::vector<std::size_t> batch_files;
  const std::uint64_t small_file_bytes =
      std::min<std::uint64_t>(options.buffer_bytes, mtime_check_bytes);
  const auto scan_batch = [&](const Yield& yield, WordCounts* into) {
    if (batch.empty()) return;
    const auto io_start = Clock::now();
    double counting = 0;
    whole_files.read(batch, WordCounts::read_padding, [&](std::size_t i, std::span<char> bytes) {
      const auto count_start = Clock::now();
      const std::size_t f = batch_files[i];
      if (bytes.size() != result.files[f].size) {
        scan_piece({f, 0, result.files[f].size}, yield, into);
      } else {
        const ScanResult r = scan_bytes(bytes, scan, into);
        timer.add_bytes(r.bytes_read);
        counts.emplace_back(f, r.words);
      }
      counting += seconds_since(count_start);
    });
    io_seconds += seconds_since(io_start) - counting;
    batch.clear();
    batch_files.clear();
    yield();
  };
  // Counts the words of one task into `into` (if tabulating), its words per file into `counts`.
  const auto scan_task = [&](std::uint64_t task, const Yield& yield, WordCounts* into) {
    if (options.before_task) options.before_task(task, yield);
    for (const FilePiece& piece : space.pieces(tasks[task])) {
      const InputFile& file = result.files[piece.file];
      if (!file.content && piece.begin == 0 && piece.end == file.size &&
          file.size < small_file_bytes) {
        batch.push_back({&file.path, file.size});
        batch_files.push_back(piece.file);
        continue;
      }
      scan_batch(yield, into);  // keep the files' order
      scan_piece(piece, yield, into);
    }
    scan_batch(yield, into);
  };
  // Counts the tasks of one record (one task without a checkpoint) afresh into `counts`.
  const auto scan_record = [&](std::uint64_t record, const Yield& yield, WordCounts* into) {
    counts.clear();
    for (std::uint64_t task = checkpointed.first_task(record); task < checkpointed.end_task(record);
         ++task) {
      scan_task(task, yield, into);
    }
  };
  WordCounts task_table;  // a task's own words: with a checkpoint, or until its copy counts
  // Adds a finished task's counts (and task_table) to this rank's.
  const auto commit_task = [&](std::uint64_t task, bool own_table) {
    for (const auto& [file, words] : counts) result.words_per_file[file] += words;
    if (checkpointed.enabled()) {
      checkpointed.save(task, encode_task(counts, table_ptr != nullptr ? &task_table : nullptr));
    }
    if (own_table && table_ptr != nullptr) {
      table.merge(task_table);
      task_table = WordCounts{};
    }
  };
  ScheduleStats sched;
  if (options.task_time_limit > 0) {
    // A task may run as several copies: each counts aside and commits only if it finished first.
    DynamicOptions dynamic;
    dynamic.task_time_limit = options.task_time_limit;
    dynamic.reissue = true;
    dynamic.on_straggler = options.on_straggler;  // reports name the record's first task
    sched = checkpointed.run_pure(
        options.schedule,
        [&](std::uint64_t task, const Yield& yield) -> Commit {
          if (table_ptr != nullptr) task_table = WordCounts{};  // an abandoned copy's words
          scan_record(task, yield, table_ptr != nullptr ? &task_table : nullptr);
          return [&commit_task, task] { commit_task(task, true); };
        },
        options.progress, dynamic);
  } else {
    sched = checkpointed.run(
        options.schedule,
        [&](std::uint64_t task, const Yield& yield) {
          const bool own_table = checkpointed.enabled() && table_ptr != nullptr;
          scan_record(task, yield, own_table ? &task_table : table_ptr);
          commit_task(task, own_table);
        },
        options.progress);
  }
  // The mother adds what earlier runs finished (a record she cannot use is named, exit 3).
  checkpointed.merge_finished([&](std::uint64_t, std::string_view bytes) {
    merge_task(bytes, result.words_per_file, table_ptr);
  });
  timer.add(sched);  // tasks committed; bytes also count copies another rank beat
  timer.add_io_inside_tasks(io_seconds);
  timer.note_data_bytes(table.memory_bytes());

  std::optional<RankTimer::Scope> reducing(std::in_place, timer, TimeBucket::wait);
  sum_to_root(comm, result.words_per_file, mother_rank);
  if (comm.rank() == mother_rank) {
    for (const std::uint64_t n : result.words_per_file) result.total_words += n;
  }
  if (options.frequencies) {
    const WordCounts mine = exchange_word_counts(comm, std::move(table));
    timer.note_data_bytes(mine.memory_bytes());
    result.distinct_words = sum_all(comm, mine.size());
    result.top = gather_top_k(comm, mine, options.top, mother_rank);
  }
  reducing.reset();

  gather_changed_files(comm, changed, result.warnings);
  result.rank_times = gather_rank_times(comm, timer, mother_rank);
  if (comm.rank() != mother_rank) result.rank_times = {timer.snapshot(comm.rank())};
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace mrkit
