// Private to the library: files named relative to their directory. Many files of one directory
// in a row (a listing, a batch of small files) then cost one walk of the directory's path, not
// one per file: the descriptor of the directory is opened once and reused while files of that
// directory follow.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

namespace mrkit::detail {

class DirectoryFds {
 public:
  // For openat and fstatat: the directory's descriptor and the name in it, or AT_FDCWD and the
  // whole path (no directory part, or the directory cannot be opened: the call then fails on
  // the whole path, with the error that names it).
  struct Where {
    int dir_fd = AT_FDCWD;
    const char* name = nullptr;  // points into the path given to at()
  };

  // keep_all: keep every directory opened until close_all(), for requests still in flight
  // (io_uring); otherwise only the last one.
  explicit DirectoryFds(bool keep_all = false) : keep_all_(keep_all) {}
  DirectoryFds(const DirectoryFds&) = delete;
  DirectoryFds& operator=(const DirectoryFds&) = delete;
  ~DirectoryFds() { close_all(); }

  [[nodiscard]] Where at(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return {AT_FDCWD, path.c_str()};
    const std::string_view dir(path.data(), slash);
    if (!open_ || dir != dir_) {
      if (!keep_all_) close_all();
      dir_.assign(dir);
      fd_ = ::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      open_ = true;
      if (fd_ >= 0) fds_.push_back(fd_);
    }
    if (fd_ < 0) return {AT_FDCWD, path.c_str()};
    return {fd_, path.c_str() + slash + 1};
  }

  void close_all() {
    for (const int fd : fds_) ::close(fd);
    fds_.clear();
    open_ = false;
    fd_ = -1;
  }

 private:
  bool keep_all_;
  bool open_ = false;  // dir_ and fd_ hold the last directory (fd_ < 0: could not open)
  std::string dir_;
  int fd_ = -1;
  std::vector<int> fds_;
};

}  // namespace mrkit::detail
