#include "mrkit/mapreduce/file_source.hpp"

#include "mrkit/core/clock.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/io/detail/directory_fds.hpp"
#include "mrkit/io/whole_files.hpp"
#include "mrkit/mapreduce/key_hash.hpp"
#include "mrkit/mapreduce/range_records.hpp"
#include "mrkit/mapreduce/task_yield.hpp"
#include "mrkit/text/word_scan.hpp"

#include "mrkit/text/word_counts.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/mpi/collectives.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>

namespace mrkit {

namespace {

// Whole files below this size are read a batch at a time (io/whole_files.hpp).
constexpr std::uint64_t small_file_bytes = std::uint64_t{1} << 20;
// count_words checks files of at least this size for a rewrite in place (modification time).
constexpr std::uint64_t mtime_check_bytes = std::uint64_t{1} << 20;

}  // namespace

// This rank's open file (consecutive pieces are usually of one file), buffers and counters.
struct FileSource::Reader {
  detail::DirectoryFds dirs;
  int fd = -1;
  std::size_t index = 0;
  WholeFileReader whole;
  std::vector<WholeFile> batch;
  std::vector<FilePiece> batch_pieces;
  std::uint64_t bytes_read = 0;
  double io_seconds = 0;
  std::vector<char> scan_buffer;               // count_words'
  std::map<std::size_t, std::string> changed;  // files seen changed, by index

  // A file whose size or modification time differs, once read, from when it was listed was
  // written to while it was read: its words are of the bytes that were there when read (up to
  // the listed size), which may mix old and new content.
  void note_if_changed(std::size_t file, const InputFile& input, bool size_changed) {
    struct stat st {};
    if (fd < 0 || index != file || ::fstat(fd, &st) != 0) return;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const std::int64_t mtime =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (!size_changed && size == input.size && mtime == input.mtime_ns) return;
    changed[file] =
        size == input.size
            ? fmt::format(
                  "'{}' was modified while it was counted: its count may mix old and new "
                  "content",
                  input.path)
            : fmt::format(
                  "'{}' {} while it was counted ({} bytes listed, {} now): its count is of "
                  "the bytes read, at most the first {}",
                  input.path, size < input.size ? "shrank" : "grew", input.size, size, input.size);
  }

  Reader() = default;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader() { close(); }

  int open(std::size_t file, const InputFile& input) {
    if (fd >= 0 && index == file) return fd;
    close();
    const auto start = Clock::now();
    const detail::DirectoryFds::Where where = dirs.at(input.path);
    fd = ::openat(where.dir_fd, where.name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    io_seconds += seconds_since(start);
    if (fd < 0) {
      throw std::runtime_error("cannot open '" + input.path + "': " + std::strerror(errno));
    }
    if (input.size >= (std::uint64_t{4} << 20)) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    index = file;
    return fd;
  }

  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  // A ReadAt that counts bytes and times the reads.
  ReadAt counted(ReadAt read) {
    return [this, read = std::move(read)](std::uint64_t offset, std::span<char> into) {
      const auto start = Clock::now();
      const std::size_t got = read(offset, into);
      io_seconds += seconds_since(start);
      bytes_read += got;
      return got;
    };
  }
};

FileSource::FileSource(const boost::mpi::communicator& comm, const std::vector<std::string>& paths,
                       const FileSourceOptions& options)
    : block_bytes_(options.block_bytes), reader_(std::make_unique<Reader>()) {
  if (options.block_bytes == 0) throw UsageError("the read block size must be positive");
  InputListing listing = list_input_files(comm, paths);
  files_ = std::move(listing.files);
  if (comm.rank() == mother_rank) warnings_ = std::move(listing.warnings);
  std::vector<std::uint64_t> sizes;
  sizes.reserve(files_.size());
  for (const InputFile& f : files_) sizes.push_back(f.size);
  space_ = ByteSpace(sizes);

  split_bytes_ = options.split_bytes;
  if (split_bytes_ == 0 && options.same_tasks_at_every_rank_count) {
    split_bytes_ = balanced_split_bytes(space_.total(), 1, 256, std::uint64_t{1} << 20,
                                        std::uint64_t{64} << 20);
  }
  if (split_bytes_ == 0) {
    split_bytes_ = options.schedule == Schedule::static_blocks
                       ? balanced_split_bytes(space_.total(), comm.size(), 1, 1, UINT64_MAX)
                       : balanced_split_bytes(space_.total(), comm.size(), 16,
                                              std::uint64_t{1} << 20, std::uint64_t{64} << 20);
  }
  ranges_ = split_evenly(space_.total(), split_bytes_);
}

FileSource::~FileSource() = default;
FileSource::FileSource(FileSource&&) noexcept = default;
FileSource& FileSource::operator=(FileSource&&) noexcept = default;

std::vector<FilePiece> FileSource::pieces(std::uint64_t task) const {
  return space_.pieces(ranges_.at(static_cast<std::size_t>(task)));
}

std::string FileSource::fingerprint() const {
  std::string inputs;
  for (const InputFile& f : files_) {
    inputs += fmt::format("{}\t{}\t{}\n", f.path, f.size, f.mtime_ns);
    // A file read whole when listed (/proc, /sys) may change without changing its size or
    // time: its content is part of the job, so a resume never mixes two snapshots of it.
    if (f.content) inputs += fmt::format("content {:016x}\n", hash_bytes(*f.content));
  }
  return fmt::format("split_bytes {}\nfiles {}\nbytes {}\ninputs {:016x}", split_bytes_,
                     files_.size(), space_.total(), hash_bytes(inputs));
}

std::uint64_t FileSource::bytes_read() const noexcept {
  return reader_->bytes_read;
}
double FileSource::io_seconds() const noexcept {
  return reader_->io_seconds;
}

// Calls on_range(piece, read_at) for each piece of `task`, in order, or on_whole(piece, bytes)
// for a small whole file read in a batch (its bytes, exactly its listed size, followed by
// `padding` writable bytes): files read when listed from their snapshot, small whole files a
// batch at a time, others with pread. A batched file whose size changed since it was listed
// goes to on_range, which sees the change.
template <class OnRange, class OnWhole>
void FileSource::for_each_piece(std::uint64_t task, const OnRange& on_range,
                                const OnWhole& on_whole, std::size_t padding) const {
  Reader& r = *reader_;
  const auto flush_batch = [&] {
    if (r.batch.empty()) return;
    const auto start = Clock::now();
    double in_records = 0;
    r.whole.read(r.batch, padding, [&](std::size_t i, std::span<char> bytes) {
      const FilePiece& piece = r.batch_pieces[i];
      const InputFile& file = files_[piece.file];
      r.bytes_read += bytes.size();
      const auto records_start = Clock::now();
      if (bytes.size() != file.size) {
        on_range(piece, r.counted(pread_reader(r.open(piece.file, file), file.path)));
      } else {
        on_whole(piece, bytes);
      }
      in_records += seconds_since(records_start);
    });
    r.io_seconds += seconds_since(start) - in_records;
    r.batch.clear();
    r.batch_pieces.clear();
  };
  for (const FilePiece& piece : pieces(task)) {
    const InputFile& file = files_[piece.file];
    if (file.content) {
      on_range(piece, r.counted(memory_reader(*file.content)));
    } else if (piece.begin == 0 && piece.end == file.size && file.size < small_file_bytes) {
      r.batch.push_back({&file.path, file.size});
      r.batch_pieces.push_back(piece);
    } else {
      flush_batch();  // keep the files' order
      on_range(piece, r.counted(pread_reader(r.open(piece.file, file), file.path)));
    }
  }
  flush_batch();
}

// for_each_piece for the record functions: a batched file is read from memory too.
template <class OnRange>
void FileSource::for_each_piece(std::uint64_t task, const OnRange& on_range) const {
  for_each_piece(
      task, on_range,
      [&](const FilePiece& piece, std::span<char> bytes) {
        on_range(piece, memory_reader({bytes.data(), bytes.size()}));
      },
      0);
}

void FileSource::for_each_word(std::uint64_t task, const RecordFunction& f,
                               bool ignore_case) const {
  RangeReadOptions options;
  options.block_bytes = block_bytes_;
  options.after_block = yield_in_task;
  for_each_piece(task, [&](const FilePiece& piece, const ReadAt& read) {
    const InputFile& file = files_[piece.file];
    mrkit::for_each_word(
        read, file.path, file.size, piece.begin, piece.end,
        [&](std::string_view w, std::uint64_t offset) {
          f(Record{w, piece.file, offset});
        },
        ignore_case, options);
  });
}

void FileSource::for_each_line(std::uint64_t task, const RecordFunction& f) const {
  RangeReadOptions options;
  options.block_bytes = block_bytes_;
  options.after_block = yield_in_task;
  for_each_piece(task, [&](const FilePiece& piece, const ReadAt& read) {
    const InputFile& file = files_[piece.file];
    mrkit::for_each_line(
        read, file.path, file.size, piece.begin, piece.end,
        [&](std::string_view line, std::uint64_t offset) {
          f(Record{line, piece.file, offset});
        },
        options);
  });
}

void FileSource::check_record_size(std::size_t record_bytes) const {
  if (record_bytes == 0) throw UsageError("the record size must be positive");
  for (const InputFile& file : files_) {
    if (file.size % record_bytes != 0) {
      throw InputError(fmt::format("'{}' holds {} bytes, not a whole number of {}-byte records",
                                   file.path, file.size, record_bytes));
    }
  }
}

void FileSource::for_each_fixed_record(std::uint64_t task, std::size_t record_bytes,
                                       const RecordFunction& f) const {
  RangeReadOptions options;
  options.block_bytes = block_bytes_;
  options.after_block = yield_in_task;
  for_each_piece(task, [&](const FilePiece& piece, const ReadAt& read) {
    const InputFile& file = files_[piece.file];
    mrkit::for_each_fixed_record(
        read, file.path, file.size, piece.begin, piece.end, record_bytes,
        [&](std::string_view rec, std::uint64_t offset) {
          f(Record{rec, piece.file, offset});
        },
        options);
  });
}

void FileSource::count_words(std::uint64_t task, WordCounts* table, bool ignore_case,
                             std::vector<PieceWords>& words) const {
  Reader& r = *reader_;
  ScanOptions scan;
  scan.buffer_bytes = block_bytes_;
  scan.ignore_case = ignore_case;
  const std::function<void()> after_buffer = yield_in_task;
  for_each_piece(
      task,
      [&](const FilePiece& piece, const ReadAt& read) {
        const InputFile& file = files_[piece.file];
        const ScanResult got = scan_words(read, file.size, {piece.begin, piece.end}, scan, table,
                                          r.scan_buffer, after_buffer);
        words.push_back({piece.file, got.words});
        // A size change is seen by the reads; a rewrite in place only by the modification
        // time, worth a system call for files read in many buffers.
        if (!file.content &&
            (got.size_changed || (piece.end == file.size && file.size >= mtime_check_bytes))) {
          r.note_if_changed(piece.file, file, got.size_changed);
        }
      },
      [&](const FilePiece& piece, std::span<char> bytes) {
        words.push_back({piece.file, scan_bytes(bytes, scan, table).words});
      },
      WordCounts::read_padding);
}

std::vector<std::string> FileSource::changed_files(const boost::mpi::communicator& comm) const {
  std::vector<std::string> warnings;
  if (comm.rank() != mother_rank) {
    boost::mpi::gather(comm, reader_->changed, mother_rank);
    return warnings;
  }
  std::vector<std::map<std::size_t, std::string>> all;
  boost::mpi::gather(comm, reader_->changed, all, mother_rank);
  std::map<std::size_t, std::string> merged;  // a re-issued task may see a file twice
  for (auto& m : all) merged.merge(m);
  for (auto& [index, text] : merged) warnings.push_back(std::move(text));
  return warnings;
}

}  // namespace mrkit
