#include "mrkit/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace mrkit {
namespace {

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw std::runtime_error("cannot write '" + path + "' (" + what + "): " + std::strerror(err));
}

}  // namespace

static void write_all(int fd, const std::string& path, std::string_view content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

void write_file_atomically(const std::string& path, std::string_view content,
                           const AtomicWriteOptions& options) {
  namespace fs = std::filesystem;
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  // A terminal, pipe or device, or a stream named through /dev or /proc (/dev/stdout may be a
  // shell's redirection to a file opened for appending): nothing to replace, write straight in.
  const bool stream = path.starts_with("/dev/") || path.starts_with("/proc/");
  if (exists && (!S_ISREG(st.st_mode) || stream)) {
    if (S_ISDIR(st.st_mode)) fail(path, "open", EISDIR);
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) fail(path, "open", errno);
    try {
      write_all(fd, path, content);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
    return;
  }
  // Write through symbolic links (even dangling ones) to their final target, keeping the links.
  fs::path real(path);
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(real, ec)) break;
    const fs::path next = fs::read_symlink(real, ec);
    if (ec) fail(path, "read link", ec.value());
    real = next.is_absolute() ? next : real.parent_path() / next;
  }
  const fs::path target = real;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string temp = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) fail(path, "create temporary file", errno);
  temp = name.data();
  auto abandon = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    fail(path, what, err);
  };
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, exists ? 0644 : options.new_file_mode.value_or(0644)) != 0) abandon("chmod");
  if (::fsync(fd) != 0) abandon("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail(path, "close", err);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail(path, "rename", err);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // best effort: the rename is already visible
    ::close(dfd);
  }
}

}  // namespace mrkit
