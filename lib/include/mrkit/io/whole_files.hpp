// Reads many small files whole, a batch at a time. Each file costs the kernel an open, a read
// and a close; for files of a few KB that is most of the work, and a file not in the page
// cache costs a wait on the disk. Through io_uring (liburing), a batch of up to 64 files is
// opened, read and closed with one system call, and the disk reads of a batch run together
// instead of one after the other: 100,000 files of 4 KB not in the page cache were read 6x
// faster here (bench/small_files.sh; docs/scaling.md). Where io_uring is not available (a build
// without liburing, a kernel before 5.15, a container whose seccomp profile forbids it) or the
// environment sets MRKIT_IO_URING=0, each file is opened, read with pread and closed in turn.
// Both ways give the same bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace mrkit {

struct WholeFile {
  const std::string* path = nullptr;  // must outlive the read
  std::uint64_t size = 0;             // the size when the file was listed
};

class WholeFileReader {
 public:
  // Batches of at most `max_files` files and about `max_batch_bytes` of buffer.
  explicit WholeFileReader(unsigned max_files = 64,
                           std::size_t max_batch_bytes = std::size_t{8} << 20);
  ~WholeFileReader();
  WholeFileReader(const WholeFileReader&) = delete;
  WholeFileReader& operator=(const WholeFileReader&) = delete;

  // True when batches go through io_uring, false when files are read one by one.
  [[nodiscard]] bool batched() const noexcept;

  // Reads each of `files` and calls `on_file(i, bytes)` for it, in order. `bytes` is what the
  // file held when read: at most size + 1 bytes (one more than listed tells that it grew),
  // fewer if it shrank. It is followed by `padding` writable bytes, and may be changed in
  // place. Meant for small files: each is read into memory whole (files of 1 GiB or more are
  // read on their own, one by one). Throws std::runtime_error naming the file that cannot be
  // opened or read.
  void read(std::span<const WholeFile> files, std::size_t padding,
            const std::function<void(std::size_t, std::span<char>)>& on_file);

 private:
  struct Ring;
  void read_one(const WholeFile& file, std::size_t padding,
                const std::function<void(std::span<char>)>& on_bytes);
  void read_batch(std::span<const WholeFile> files, std::size_t first, std::size_t padding,
                  const std::function<void(std::size_t, std::span<char>)>& on_file);

  unsigned max_files_;
  std::size_t max_batch_bytes_;
  std::unique_ptr<Ring> ring_;  // null when reading one by one
  std::vector<char> buffer_;    // a batch's files
  std::vector<char> one_;       // a file read on its own
};

}  // namespace mrkit
