#include "mrkit/io/scratch_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace mrkit {

std::string default_scratch_parent() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir != nullptr && *tmpdir != '\0') return tmpdir;
  return "/tmp";
}

ScratchDir::ScratchDir(const std::string& parent) {
  const std::string where = parent.empty() ? default_scratch_parent() : parent;
  std::string pattern = where + (where.ends_with('/') ? "" : "/") + "mrkit-scratch-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    const int err = errno;
    throw std::runtime_error("cannot create a scratch directory in '" + where +
                             "': " + std::strerror(err));
  }
  path_ = std::move(pattern);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ScratchDir::new_file_path(std::string_view stem) const {
  return path_ + "/" + std::string(stem) + "-" + std::to_string(next_++);
}

SpillFileWriter::SpillFileWriter(const std::string& path, std::string scratch_dir,
                                 std::size_t buffer_bytes)
    : path_(path), scratch_dir_(std::move(scratch_dir)), buffer_bytes_(buffer_bytes) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd_ < 0) fail("open", errno);
  buffer_.reserve(buffer_bytes_);
}

SpillFileWriter::~SpillFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void SpillFileWriter::fail(const char* what, int err) const {
  if (err == ENOSPC || err == EDQUOT) {
    throw std::runtime_error("no space left on device in the scratch directory '" + scratch_dir_ +
                             "' (writing '" + path_ + "')");
  }
  throw std::runtime_error("cannot write the scratch file '" + path_ + "' (" + what +
                           "): " + std::strerror(err));
}

void SpillFileWriter::write_out(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    if (n == 0) fail("write", ENOSPC);
    bytes.remove_prefix(static_cast<std::size_t>(n));
    written_ += static_cast<std::uint64_t>(n);
  }
}

void SpillFileWriter::write(std::string_view bytes) {
  if (fd_ < 0) throw std::logic_error("SpillFileWriter::write after close");
  if (buffer_.size() + bytes.size() <= buffer_bytes_) {
    buffer_.append(bytes);
    return;
  }
  const std::string pending = std::exchange(buffer_, {});
  buffer_.reserve(buffer_bytes_);
  write_out(pending);
  if (bytes.size() >= buffer_bytes_) {
    write_out(bytes);
  } else {
    buffer_.append(bytes);
  }
}

void SpillFileWriter::close() {
  if (fd_ < 0) return;
  const std::string pending = std::exchange(buffer_, {});
  write_out(pending);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail("close", errno);
}

SpillFileReader::SpillFileReader(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    throw std::runtime_error("cannot open the scratch file '" + path + "': " + std::strerror(err));
  }
}

SpillFileReader::~SpillFileReader() {
  if (fd_ >= 0) ::close(fd_);
}

void SpillFileReader::read_at(std::uint64_t offset, char* to, std::size_t n) const {
  while (n > 0) {
    const ssize_t got = ::pread(fd_, to, n, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      throw std::runtime_error("cannot read the scratch file '" + path_ +
                               "': " + std::strerror(err));
    }
    if (got == 0) throw std::runtime_error("the scratch file '" + path_ + "' ends too soon");
    to += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
}

}  // namespace mrkit
