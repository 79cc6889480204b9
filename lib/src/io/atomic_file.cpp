#include "mrkit/io/atomic_file.hpp"

#include "mrkit/io/detail/replace_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace mrkit {

namespace fs = std::filesystem;

namespace detail {

void fail_write(const std::string& path, const char* what, int err) {
  throw std::runtime_error("cannot write '" + path + "' (" + what + "): " + std::strerror(err));
}

}  // namespace detail

namespace {

using detail::fail_write;

void write_all(int fd, const std::string& path, std::string_view content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_write(path, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

namespace detail {

// A name for a stream this process already has open (/dev/stdout, /dev/fd/3, /proc/self/fd/1)
// or a file of /proc: written straight in. /dev/stdout on a shell's `> file` is that file,
// and writing into it is what the shell's user expects; it cannot be renamed over anyway.
bool names_open_stream(const std::string& path) {
  return path == "/dev/stdout" || path == "/dev/stderr" || path.starts_with("/dev/fd/") ||
         path.starts_with("/proc/");
}

// The final target of a chain of symbolic links (even a dangling one), so that the link stays
// and the file it names is replaced.
fs::path follow_links(const std::string& path) {
  fs::path real(path);
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(real, ec)) return real;
    const fs::path next = fs::read_symlink(real, ec);
    if (ec) fail_write(path, "read link", ec.value());
    real = next.is_absolute() ? next : real.parent_path() / next;
  }
  fail_write(path, "follow links", ELOOP);
}

// Creates `.NAME.XXXXXX` beside the target (or `.mrkit-tmp-XXXXXX` when that would be longer
// than a name may be) with `mode`, from which the kernel takes the umask (and a default ACL).
int create_temporary(const fs::path& dir, const std::string& name, mode_t mode, std::string& temp,
                     const std::string& path) {
  long name_max = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  if (name_max <= 0) name_max = NAME_MAX;
  const std::string stem = name.size() + 8 <= static_cast<std::size_t>(name_max)
                               ? "." + name + "."
                               : std::string(".mrkit-tmp-");
  static constexpr std::string_view letters =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::array<unsigned char, 6> random{};
    if (::getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size())) {
      fail_write(path, "create temporary file", errno);
    }
    std::string suffix;
    for (const unsigned char r : random) suffix += letters[r % letters.size()];
    temp = (dir / (stem + suffix)).string();
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    if (errno != EEXIST) fail_write(path, "create temporary file", errno);
  }
  fail_write(path, "create temporary file", EEXIST);
}

// The replacement takes the old file's owner and mode, as `sort -o` and editors keep them.
// Set-user and set-group ids are kept only when the owner could be.
void keep_owner_and_mode(int fd, const struct stat& old) {
  struct stat now {};
  if (::fstat(fd, &now) != 0) return;
  bool same_owner = now.st_uid == old.st_uid && now.st_gid == old.st_gid;
  if (!same_owner) {
    same_owner = ::fchown(fd, old.st_uid, old.st_gid) == 0;
    if (!same_owner) (void)::fchown(fd, static_cast<uid_t>(-1), old.st_gid);
  }
  const mode_t mode = old.st_mode & (same_owner ? 07777 : 01777);
  (void)::fchmod(fd, mode);
}

}  // namespace detail

using detail::create_temporary;
using detail::follow_links;
using detail::keep_owner_and_mode;
using detail::names_open_stream;

namespace {

// Terminals, pipes, devices and sockets have nothing to replace: the content goes straight in.
void write_into_stream(const std::string& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) fail_write(path, "open", errno);
  try {
    write_all(fd, path, content);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0 && errno != EINTR) fail_write(path, "close", errno);
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view content,
                           const AtomicWriteOptions& options) {
  if (path.empty()) fail_write(path, "open", ENOENT);
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;  // through links
  if (exists && S_ISDIR(st.st_mode)) fail_write(path, "open", EISDIR);
  if (names_open_stream(path) || (exists && !S_ISREG(st.st_mode))) {
    write_into_stream(path, content);
    return;
  }
  const fs::path target = follow_links(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  // Replacing takes write permission on the directory only; refuse to replace a file the
  // user could not write into directly (a 0444 file, another user's file, through a link).
  if (exists && ::faccessat(AT_FDCWD, target.c_str(), W_OK, AT_EACCESS) != 0) {
    fail_write(path, "open", errno);
  }
  std::string temp;
  const mode_t create_mode = exists || options.new_file_mode ? 0600 : 0666;
  const int fd = create_temporary(dir, target.filename().string(), create_mode, temp, path);
  auto abandon = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(temp.c_str());
    fail_write(path, what, err);
  };
  try {
    write_all(fd, path, content);
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  if (exists) {
    keep_owner_and_mode(fd, st);
  } else if (options.new_file_mode && ::fchmod(fd, *options.new_file_mode) != 0) {
    abandon("chmod", errno);
  }
  if (::fsync(fd) != 0) abandon("fsync", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail_write(path, "close", err);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail_write(path, "rename", err);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // best effort: the rename is already visible
    ::close(dfd);
  }
}

}  // namespace mrkit
