#include "mrkit/input_files.hpp"

#include "directory_fds.hpp"

#include "mrkit/chunked_messages.hpp"
#include "mrkit/runtime.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace mrkit {
namespace {

struct Found {
  InputFile file;
  bool pending = false;  // size not asked yet
};

// What the walk of the command-line paths found, in listing order.
struct Walk {
  std::vector<InputFile> files;
  std::vector<std::uint8_t> pending;     // 1: a regular file whose size is still to be asked
  std::vector<std::size_t> root;         // the command-line path it was found under
  std::vector<std::size_t> directories;  // the command-line paths that are directories
  std::vector<std::string> warnings;     // the mother's only
};

// One pending file's answer to stat, as it travels between ranks.
struct FileStat {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint32_t mode = 0;
  std::int32_t error = 0;  // errno of a failed stat, else 0
};

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
void walk_fd(int dir_fd, const std::string& dir_path, std::vector<Found>& found,
             std::vector<std::string>& warnings) {
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
      walk_fd(sub, path, found, warnings);
    };
    if (entry->d_type == DT_DIR) {
      descend();
      continue;
    }
    if (entry->d_type == DT_REG) {  // its size is asked later, maybe by another rank
      found.push_back({{std::move(path), 0, 0}, true});
      continue;
    }
    struct stat st {};
    if (::fstatat(dir_fd, entry->d_name, &st, 0) != 0) {  // follows links to files
      warnings.push_back("skipping '" + path + "': " + std::strerror(errno));
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (entry->d_type == DT_LNK) continue;  // a link to a directory: not followed, no loops
      descend();                              // a file system without d_type
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      warnings.push_back("skipping '" + path + "': " + kind_of(st.st_mode));
      continue;
    }
    found.push_back(
        {{std::move(path), static_cast<std::uint64_t>(st.st_size), mtime_ns(st)}, false});
  }
}

void walk_directory(const std::string& root, std::size_t root_index, Walk& walk) {
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot read directory '" + root + "': " + std::strerror(errno));
  std::vector<Found> found;
  walk_fd(fd, root, found, walk.warnings);
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.file.path < b.file.path; });
  for (Found& f : found) {
    walk.files.push_back(std::move(f.file));
    walk.pending.push_back(f.pending ? 1 : 0);
    walk.root.push_back(root_index);
  }
}

// Step 1, on one rank: the paths and types of everything under `paths`. Files named on the
// command line, links and entries of unknown type are asked their size now; the regular files
// that readdir reported as such are left `pending`, for step 2.
Walk walk_paths(const std::vector<std::string>& paths) {
  if (paths.empty()) throw UsageError("no input path given");
  Walk walk;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      throw InputError("cannot open '" + path + "': " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
      walk.directories.push_back(i);
      walk_directory(path, i, walk);
    } else if (S_ISREG(st.st_mode)) {
      check_readable(path);
      walk.files.push_back({path, static_cast<std::uint64_t>(st.st_size), mtime_ns(st)});
      walk.pending.push_back(0);
      walk.root.push_back(i);
    } else {
      throw InputError("cannot count '" + path + "': it is " + kind_of(st.st_mode));
    }
  }
  return walk;
}

// Step 2: the sizes of pending files number [begin, end) (counted among pending files only),
// each asked relative to its directory, kept open while consecutive files share it.
std::vector<FileStat> stat_pending(const Walk& walk, std::size_t begin, std::size_t end) {
  std::vector<FileStat> stats;
  stats.reserve(end - begin);
  detail::DirectoryFds dirs;
  std::size_t seen = 0;
  for (std::size_t i = 0; i < walk.files.size() && seen < end; ++i) {
    if (walk.pending[i] == 0 || seen++ < begin) continue;
    const detail::DirectoryFds::Where where = dirs.at(walk.files[i].path);
    struct stat st {};
    FileStat f;
    if (::fstatat(where.dir_fd, where.name, &st, 0) != 0) {
      f.error = errno;
    } else {
      f.size = static_cast<std::uint64_t>(st.st_size);
      f.mtime_ns = mtime_ns(st);
      f.mode = st.st_mode;
    }
    stats.push_back(f);
  }
  return stats;
}

// Step 3, the same on every rank: the pending files' sizes filled in, those that are gone or
// are no longer regular files dropped with a warning. Throws InputError if no file is left.
InputListing finish(Walk walk, const std::vector<FileStat>& stats,
                    const std::vector<std::string>& paths) {
  InputListing out;
  out.warnings = std::move(walk.warnings);
  std::vector<std::size_t> per_root(paths.size(), 0);
  std::size_t next = 0;
  for (std::size_t i = 0; i < walk.files.size(); ++i) {
    InputFile& file = walk.files[i];
    if (walk.pending[i] != 0) {
      const FileStat& st = stats.at(next++);
      if (st.error != 0) {
        out.warnings.push_back("skipping '" + file.path + "': " + std::strerror(st.error));
        continue;
      }
      if (!S_ISREG(st.mode)) {
        out.warnings.push_back("skipping '" + file.path + "': " + kind_of(st.mode));
        continue;
      }
      file.size = st.size;
      file.mtime_ns = st.mtime_ns;
    }
    if (walk.root[i] < per_root.size()) ++per_root[walk.root[i]];
    out.files.push_back(std::move(file));
  }
  for (const std::size_t d : walk.directories) {
    if (per_root[d] == 0) {
      out.warnings.push_back("directory '" + paths[d] + "' holds no regular file");
    }
  }
  if (out.files.empty()) {
    throw InputError(paths.size() == 1 ? "no regular file found in '" + paths.front() + "'"
                                       : std::string("no regular file found in the given paths"));
  }
  return out;
}

// The walk travels as one chunked byte buffer: u64 file count, then per file u64 size, u64
// mtime, u64 path length, u8 pending, u32 root, the path; then u64 directory count and each
// directory's u64 index. Warnings stay with the mother.
void put(std::string& out, const void* p, std::size_t n) {
  out.append(static_cast<const char*>(p), n);
}

std::string encode_walk(const Walk& walk) {
  std::string out;
  const std::uint64_t files = walk.files.size();
  put(out, &files, sizeof files);
  for (std::size_t i = 0; i < walk.files.size(); ++i) {
    const InputFile& f = walk.files[i];
    const std::uint64_t head[3] = {f.size, static_cast<std::uint64_t>(f.mtime_ns), f.path.size()};
    const auto root = static_cast<std::uint32_t>(walk.root[i]);
    put(out, head, sizeof head);
    put(out, &walk.pending[i], 1);
    put(out, &root, sizeof root);
    out += f.path;
  }
  const std::uint64_t directories = walk.directories.size();
  put(out, &directories, sizeof directories);
  for (const std::size_t d : walk.directories) {
    const std::uint64_t index = d;
    put(out, &index, sizeof index);
  }
  return out;
}

Walk decode_walk(const std::string& bytes) {
  Walk walk;
  std::size_t at = 0;
  const auto take = [&](void* p, std::size_t n) {
    if (bytes.size() - at < n) throw std::runtime_error("corrupt file listing");
    std::memcpy(p, bytes.data() + at, n);
    at += n;
  };
  std::uint64_t files = 0;
  take(&files, sizeof files);
  for (std::uint64_t i = 0; i < files; ++i) {
    std::uint64_t head[3];
    std::uint8_t pending = 0;
    std::uint32_t root = 0;
    take(head, sizeof head);
    take(&pending, 1);
    take(&root, sizeof root);
    if (bytes.size() - at < head[2]) throw std::runtime_error("corrupt file listing");
    walk.files.push_back({bytes.substr(at, static_cast<std::size_t>(head[2])), head[0],
                          static_cast<std::int64_t>(head[1])});
    at += static_cast<std::size_t>(head[2]);
    walk.pending.push_back(pending);
    walk.root.push_back(root);
  }
  std::uint64_t directories = 0;
  take(&directories, sizeof directories);
  for (std::uint64_t i = 0; i < directories; ++i) {
    std::uint64_t index = 0;
    take(&index, sizeof index);
    walk.directories.push_back(static_cast<std::size_t>(index));
  }
  return walk;
}

std::string encode_stats(const std::vector<FileStat>& stats) {
  std::string out;
  out.reserve(stats.size() * sizeof(FileStat));
  for (const FileStat& f : stats) put(out, &f, sizeof f);
  return out;
}

void decode_stats(const std::string& bytes, std::vector<FileStat>& into) {
  if (bytes.size() % sizeof(FileStat) != 0) throw std::runtime_error("corrupt file sizes");
  const std::size_t n = bytes.size() / sizeof(FileStat);
  if (n == 0) return;  // a rank with no share (memcpy must not see a null vector)
  const std::size_t at = into.size();
  into.resize(at + n);
  std::memcpy(static_cast<void*>(into.data() + at), bytes.data(), bytes.size());
}

}  // namespace

InputListing list_input_files(const std::vector<std::string>& paths) {
  Walk walk = walk_paths(paths);
  const auto pending = static_cast<std::size_t>(
      std::count(walk.pending.begin(), walk.pending.end(), std::uint8_t{1}));
  const std::vector<FileStat> stats = stat_pending(walk, 0, pending);
  return finish(std::move(walk), stats, paths);
}

InputListing list_input_files(const boost::mpi::communicator& comm,
                              const std::vector<std::string>& paths) {
  Walk walk;
  std::string bytes;
  on_mother_then_agree(comm, [&] {
    walk = walk_paths(paths);
    bytes = encode_walk(walk);
  });
  broadcast_bytes(comm, bytes, mother_rank);
  if (comm.rank() != mother_rank) walk = decode_walk(bytes);
  std::string().swap(bytes);

  // Each rank asks the sizes of its share of the pending files; every rank learns them all.
  const auto pending = static_cast<std::size_t>(
      std::count(walk.pending.begin(), walk.pending.end(), std::uint8_t{1}));
  const auto ranks = static_cast<std::size_t>(comm.size());
  const auto share = [&](std::size_t r) { return pending * r / ranks; };
  const auto me = static_cast<std::size_t>(comm.rank());
  std::vector<FileStat> stats;
  stats.reserve(pending);
  std::string mine = encode_stats(stat_pending(walk, share(me), share(me + 1)));
  for (int r = 0; r < comm.size(); ++r) {
    std::string theirs;
    if (r == comm.rank()) theirs.swap(mine);
    broadcast_bytes(comm, theirs, r);
    decode_stats(theirs, stats);
  }
  InputListing listing = finish(std::move(walk), stats, paths);
  if (comm.rank() != mother_rank) listing.warnings.clear();
  return listing;
}

}  // namespace mrkit
