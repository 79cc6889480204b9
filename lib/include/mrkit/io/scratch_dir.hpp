// A private scratch directory for one job's temporary files (the engine's spill runs), removed
// with everything in it when it goes out of scope, on success as on an exception; and the
// checked, buffered file writes and positioned reads of those files.
//
//   mrkit::ScratchDir scratch(tmpdir);            // tmpdir empty: $TMPDIR, else /tmp
//   mrkit::SpillFileWriter out(scratch.new_file_path("run"), scratch.path());
//   out.write(bytes); ... out.close();            // every write and the close checked
//   mrkit::SpillFileReader in(path); in.read_at(offset, buffer, n);
//
// Errors are std::runtime_error with one line naming the directory or file; a full file system
// says "no space left on device" and names the scratch directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mrkit {

// $TMPDIR if set and not empty, else "/tmp".
[[nodiscard]] std::string default_scratch_parent();

class ScratchDir {
 public:
  // Creates `parent`/mrkit-scratch-XXXXXX (mkdtemp, mode 0700); `parent` empty:
  // default_scratch_parent(). Throws "cannot create a scratch directory in 'PARENT': REASON".
  explicit ScratchDir(const std::string& parent = {});
  // Removes the directory and everything in it (errors ignored: nothing to report them to).
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // A new name in the directory, "STEM-N" (N counts up); the file is not created.
  [[nodiscard]] std::string new_file_path(std::string_view stem) const;

 private:
  std::string path_;
  mutable std::uint64_t next_ = 0;
};

// Writes a new file (created or truncated, mode 0600) through a buffer of `buffer_bytes`.
// Every write and the close are checked; ENOSPC becomes "no space left on device in the scratch
// directory 'SCRATCH' (writing 'FILE')". The destructor closes a file not closed (unchecked).
class SpillFileWriter {
 public:
  SpillFileWriter(const std::string& path, std::string scratch_dir,
                  std::size_t buffer_bytes = std::size_t{1} << 20);
  ~SpillFileWriter();
  SpillFileWriter(const SpillFileWriter&) = delete;
  SpillFileWriter& operator=(const SpillFileWriter&) = delete;

  void write(std::string_view bytes);
  // Bytes written so far, buffered ones included: the offset of the next byte.
  [[nodiscard]] std::uint64_t offset() const noexcept { return written_ + buffer_.size(); }
  // Writes the buffer out and closes the file, checked.
  void close();

 private:
  void write_out(std::string_view bytes);
  [[noreturn]] void fail(const char* what, int err) const;

  std::string path_;
  std::string scratch_dir_;
  std::size_t buffer_bytes_;
  std::string buffer_;
  std::uint64_t written_ = 0;
  int fd_ = -1;
};

// Positioned reads of a file (pread: readers at different offsets share it).
class SpillFileReader {
 public:
  explicit SpillFileReader(const std::string& path);
  ~SpillFileReader();
  SpillFileReader(const SpillFileReader&) = delete;
  SpillFileReader& operator=(const SpillFileReader&) = delete;

  // Reads exactly n bytes at `offset` into `to`; throws if the file ends first or a read fails.
  void read_at(std::uint64_t offset, char* to, std::size_t n) const;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace mrkit
