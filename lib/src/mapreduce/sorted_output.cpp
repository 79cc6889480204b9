#include "mrkit/mapreduce/sorted_output.hpp"

#include "mrkit/io/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {
namespace {

constexpr std::string_view success_marker = "_SUCCESS";

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw std::runtime_error(fmt::format("cannot {} '{}': {}", what, path, std::strerror(err)));
}

// "error on rank R (HOST): " as abort_job and run() name a rank.
std::string on_this_rank(const boost::mpi::communicator& comm) {
  return fmt::format("error on rank {} ({}): ", comm.rank(), Runtime::host());
}

// Runs `fn` on the mother only; its failure becomes one CollectiveError on every rank.
void on_mother(const boost::mpi::communicator& comm, const std::function<void()>& fn) {
  on_mother_then_agree(comm, [&] {
    try {
      fn();
    } catch (const std::exception& e) {
      throw CollectiveError(ExitCode::failure, on_this_rank(comm) + e.what());
    }
  });
}

// part-<at least 5 digits>: a name write_parts writes (at any rank count).
bool is_part_name(std::string_view name) {
  if (!name.starts_with("part-")) return false;
  name.remove_prefix(5);
  return name.size() >= 5 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void fsync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(dir, "open directory", errno);
  if (::fsync(fd) != 0 && errno != EINVAL) {  // EINVAL: a file system that cannot sync dirs
    const int err = errno;
    ::close(fd);
    fail(dir, "fsync directory", err);
  }
  ::close(fd);
}

void remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail(path, "remove stale", errno);
}

// DIR exists afterwards, with no _SUCCESS and no part-NNNNN; nothing else in it is touched.
void prepare_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0777) != 0) {
    const int err = errno;
    struct stat st {};
    if (err != EEXIST) fail(dir, "create directory", err);
    if (::stat(dir.c_str(), &st) != 0) fail(dir, "create directory", errno);
    if (!S_ISDIR(st.st_mode)) {
      throw std::runtime_error(fmt::format(
          "cannot create directory '{}': a file that is not a directory is there", dir));
    }
  }
  // The marker first: a crash between the two leaves no marker beside stale parts.
  remove_file(dir + "/" + std::string(success_marker));
  std::vector<std::string> stale;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) fail(dir, "list directory", errno);
  errno = 0;
  while (const dirent* entry = ::readdir(listing)) {
    if (is_part_name(entry->d_name)) stale.emplace_back(entry->d_name);
    errno = 0;
  }
  const int err = errno;
  ::closedir(listing);
  if (err != 0) fail(dir, "list directory", err);
  for (const std::string& name : stale) remove_file(dir + "/" + name);
  fsync_directory(dir);
}

}  // namespace

void write_parts(const boost::mpi::communicator& comm, const std::string& dir,
                 std::string_view my_bytes) {
  on_mother(comm, [&] { prepare_directory(dir); });
  std::string failure;
  try {
    write_file_atomically(fmt::format("{}/part-{:05d}", dir, comm.rank()), my_bytes);
  } catch (const std::exception& e) {
    failure = on_this_rank(comm) + e.what();
  }
  agree(comm, failure.empty(), failure, ExitCode::failure);
  on_mother(comm, [&] {
    write_file_atomically(dir + "/" + std::string(success_marker), "");
    fsync_directory(dir);  // checked: write_file_atomically's own is best effort
  });
}

}  // namespace mrkit
