#include "mrkit/input_files.hpp"

#include "mrkit/runtime.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace mrkit {
namespace {

namespace fs = std::filesystem;

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

void walk_directory(const std::string& root, InputListing& out) {
  std::vector<std::string> found;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) throw InputError("cannot read directory '" + root + "': " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw InputError("cannot read directory under '" + root + "': " + ec.message());
    const std::string path = it->path().string();
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      out.warnings.push_back("skipping '" + path + "': " + std::strerror(errno));
      continue;
    }
    if (S_ISDIR(st.st_mode)) continue;  // real directories are entered; linked ones are not
    if (!S_ISREG(st.st_mode)) {
      out.warnings.push_back("skipping '" + path + "': " + kind_of(st.st_mode));
      continue;
    }
    found.push_back(path);
  }
  if (ec) throw InputError("cannot read directory under '" + root + "': " + ec.message());
  std::sort(found.begin(), found.end());
  for (auto& path : found) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      out.warnings.push_back("skipping '" + path + "': " + std::strerror(errno));
      continue;
    }
    check_readable(path);
    out.files.push_back({std::move(path), static_cast<std::uint64_t>(st.st_size)});
  }
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
      out.files.push_back({path, static_cast<std::uint64_t>(st.st_size)});
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
