#include "mrkit/io/whole_files.hpp"

#include "mrkit/io/detail/directory_fds.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

#if MRKIT_HAVE_IO_URING
#include <liburing.h>
#endif

namespace mrkit {
namespace {

// A read in a batch is one request, its length and result 32-bit: bigger files are read alone.
constexpr std::uint64_t max_batched_file = std::uint64_t{1} << 30;

std::size_t aligned_slot(const WholeFile& f, std::size_t padding) {
  return (static_cast<std::size_t>(f.size) + 1 + padding + 63) & ~std::size_t{63};
}

bool io_uring_wanted() {
  const char* value = std::getenv("MRKIT_IO_URING");
  return value == nullptr || std::string_view(value) != "0";
}

[[noreturn]] void fail(const char* what, const std::string& path, int err) {
  throw std::runtime_error(std::string("cannot ") + what + " '" + path +
                           "': " + std::strerror(err));
}

}  // namespace

#if MRKIT_HAVE_IO_URING
struct WholeFileReader::Ring {
  io_uring ring{};
  bool ready = false;
  explicit Ring(unsigned max_files) {
    if (io_uring_queue_init(4 * max_files, &ring, 0) < 0) return;
    // Fixed-file slots: each file of a batch is opened into slot k, read and closed there,
    // linked, so that the three steps of all files go in one submission.
    if (io_uring_register_files_sparse(&ring, max_files) < 0) {
      io_uring_queue_exit(&ring);
      return;
    }
    ready = true;
  }
  ~Ring() {
    if (ready) io_uring_queue_exit(&ring);
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
};
#else
struct WholeFileReader::Ring {};
#endif

WholeFileReader::WholeFileReader(unsigned max_files, std::size_t max_batch_bytes)
    : max_files_(max_files == 0 ? 1 : max_files), max_batch_bytes_(max_batch_bytes) {
#if MRKIT_HAVE_IO_URING
  if (io_uring_wanted()) {
    auto ring = std::make_unique<Ring>(max_files_);
    if (ring->ready) ring_ = std::move(ring);
  }
#endif
}

WholeFileReader::~WholeFileReader() = default;

bool WholeFileReader::batched() const noexcept {
  return ring_ != nullptr;
}

void WholeFileReader::read(std::span<const WholeFile> files, std::size_t padding,
                           const std::function<void(std::size_t, std::span<char>)>& on_file) {
  std::size_t i = 0;
  while (i < files.size()) {
    if (!ring_ || files[i].size >= max_batched_file) {
      read_one(files[i], padding, [&](std::span<char> bytes) { on_file(i, bytes); });
      ++i;
      continue;
    }
    std::size_t j = i;
    std::size_t bytes = 0;
    while (j < files.size() && j - i < max_files_ && files[j].size < max_batched_file &&
           (j == i || bytes + aligned_slot(files[j], padding) <= max_batch_bytes_)) {
      bytes += aligned_slot(files[j], padding);
      ++j;
    }
    read_batch(files.subspan(i, j - i), i, padding, on_file);
    i = j;
  }
}

void WholeFileReader::read_one(const WholeFile& file, std::size_t padding,
                               const std::function<void(std::span<char>)>& on_bytes) {
  const std::string& path = *file.path;
  // O_NONBLOCK: a file replaced by a FIFO since it was listed must not block the open.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail("open", path, errno);
  const auto want = static_cast<std::size_t>(file.size) + 1;  // one more: did it grow?
  one_.resize(want + padding);
  std::size_t done = 0;
  while (done < want) {
    const ssize_t n = ::pread(fd, one_.data() + done, want - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail("read", path, err);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  on_bytes({one_.data(), done});
}

#if MRKIT_HAVE_IO_URING
void WholeFileReader::read_batch(std::span<const WholeFile> files, std::size_t first,
                                 std::size_t padding,
                                 const std::function<void(std::size_t, std::span<char>)>& on_file) {
  io_uring& ring = ring_->ring;
  const auto n = static_cast<unsigned>(files.size());
  std::vector<std::size_t> offset(n);
  std::size_t total = 0;
  for (unsigned k = 0; k < n; ++k) {
    offset[k] = total;
    total += aligned_slot(files[k], padding);
  }
  buffer_.resize(total);

  // Files are opened relative to their directory; the directories stay open until the batch
  // is done, as its requests name them by descriptor.
  detail::DirectoryFds dirs(true);
  for (unsigned k = 0; k < n; ++k) {
    const detail::DirectoryFds::Where where = dirs.at(*files[k].path);
    io_uring_sqe* open = io_uring_get_sqe(&ring);
    io_uring_prep_openat_direct(open, where.dir_fd, where.name, O_RDONLY | O_NONBLOCK, 0, k);
    open->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(open, 3 * k);
    io_uring_sqe* read = io_uring_get_sqe(&ring);
    io_uring_prep_read(read, static_cast<int>(k), buffer_.data() + offset[k],
                       static_cast<unsigned>(files[k].size) + 1, 0);
    read->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;  // the close runs even if it fails
    io_uring_sqe_set_data64(read, 3 * k + 1);
    io_uring_sqe* close = io_uring_get_sqe(&ring);
    io_uring_prep_close_direct(close, k);
    io_uring_sqe_set_data64(close, 3 * k + 2);
  }
  // Every request queued reaches the kernel (a submission may take fewer, or be interrupted),
  // then each gives exactly one completion, also those cancelled by a failed link.
  int rc = 0;
  while (io_uring_sq_ready(&ring) > 0) {
    rc = io_uring_submit(&ring);
    if (rc == -EINTR) continue;
    if (rc < 0) throw std::runtime_error(std::string("io_uring failed: ") + std::strerror(-rc));
  }
  rc = 0;
  std::vector<int> opened(n, 0);
  std::vector<int> got(n, 0);
  for (unsigned seen = 0; seen < 3 * n && rc >= 0;) {
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_wait_cqe(&ring, &cqe);
    if (rc == -EINTR) {
      rc = 0;
      continue;
    }
    if (rc < 0) break;
    const std::uint64_t data = io_uring_cqe_get_data64(cqe);
    const auto k = static_cast<unsigned>(data / 3);
    if (data % 3 == 0) opened[k] = cqe->res;
    if (data % 3 == 1) got[k] = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    ++seen;
  }
  dirs.close_all();
  if (rc < 0) throw std::runtime_error(std::string("io_uring failed: ") + std::strerror(-rc));

  for (unsigned k = 0; k < n; ++k) {
    const WholeFile& file = files[k];
    if (opened[k] == -EINVAL) ring_.reset();  // a kernel without open into a fixed slot
    if (opened[k] < 0 && ring_) fail("open", *file.path, -opened[k]);
    if (!ring_ || got[k] < 0 || static_cast<std::uint64_t>(got[k]) != file.size) {
      // A file that changed size, a read cut short or refused (EAGAIN): read it again the
      // plain way, whose answer is authoritative. Rare, so it may cost a second read.
      read_one(file, padding, [&](std::span<char> bytes) { on_file(first + k, bytes); });
      continue;
    }
    on_file(first + k, {buffer_.data() + offset[k], static_cast<std::size_t>(got[k])});
  }
}
#else
// Never called: without io_uring, ring_ stays null.
void WholeFileReader::read_batch(std::span<const WholeFile>, std::size_t, std::size_t,
                                 const std::function<void(std::size_t, std::span<char>)>&) {}
#endif

}  // namespace mrkit
