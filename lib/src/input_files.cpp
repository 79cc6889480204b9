#include "mrkit/input_files.hpp"

#include "mrkit/runtime.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

namespace mrkit {
namespace {

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::string kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// Opening is the only honest test of readability (root ignores permission bits on some systems).
void check_readable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    throw InputError("cannot read '" + path + "': " + std::strerror(errno));
  }
  ::close(fd);
}

// Walks one directory level through its file descriptor: names are looked up relative to it
// (no repeated walks of long paths), and the entry's type from readdir saves most stat calls.
void walk_fd(int dir_fd, const std::string& dir_path, std::vector<InputFile>& found,
             InputListing& out) {
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(dir_fd);
    throw InputError("cannot read directory '" + dir_path + "': " + std::strerror(err));
  }
  // closedir also closes dir_fd, on every path out of here.
  const std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) {
        throw InputError("cannot read directory '" + dir_path + "': " + std::strerror(errno));
      }
      break;
    }
    const std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    std::string path = dir_path;
    if (path.empty() || path.back() != '/') path += '/';
    path += name;
    // Into a subdirectory, through a descriptor relative to this one.
    auto descend = [&] {
      const int sub =
          ::openat(dir_fd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        throw InputError("cannot read directory '" + path + "': " + std::strerror(errno));
      walk_fd(sub, path, found, out);
    };
    if (entry->d_type == DT_DIR) {
      descend();
      continue;
    }
    struct stat st {};
    if (::fstatat(dir_fd, entry->d_name, &st, 0) != 0) {  // follows links to files
      out.warnings.push_back("skipping '" + path + "': " + std::strerror(errno));
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (entry->d_type == DT_LNK) continue;  // a link to a directory: not followed, no loops
      descend();                              // a file system without d_type
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      out.warnings.push_back("skipping '" + path + "': " + kind_of(st.st_mode));
      continue;
    }
    found.push_back({std::move(path), static_cast<std::uint64_t>(st.st_size), mtime_ns(st)});
  }
}

void walk_directory(const std::string& root, InputListing& out) {
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot read directory '" + root + "': " + std::strerror(errno));
  std::vector<InputFile> found;
  walk_fd(fd, root, found, out);
  std::sort(found.begin(), found.end(),
            [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
  out.files.insert(out.files.end(), std::make_move_iterator(found.begin()),
                   std::make_move_iterator(found.end()));
}

}  // namespace

InputListing list_input_files(const std::vector<std::string>& paths) {
  if (paths.empty()) throw UsageError("no input path given");
  InputListing out;
  for (const auto& path : paths) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      throw InputError("cannot open '" + path + "': " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
      const std::size_t before = out.files.size();
      walk_directory(path, out);
      if (out.files.size() == before) {
        out.warnings.push_back("directory '" + path + "' holds no regular file");
      }
    } else if (S_ISREG(st.st_mode)) {
      check_readable(path);
      out.files.push_back({path, static_cast<std::uint64_t>(st.st_size), mtime_ns(st)});
    } else {
      throw InputError("cannot count '" + path + "': it is " + kind_of(st.st_mode));
    }
  }
  if (out.files.empty()) {
    throw InputError(paths.size() == 1 ? "no regular file found in '" + paths.front() + "'"
                                       : std::string("no regular file found in the given paths"));
  }
  return out;
}

}  // namespace mrkit
