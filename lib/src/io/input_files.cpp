#include "mrkit/io/input_files.hpp"

#include "mrkit/io/detail/directory_fds.hpp"
#include "mrkit/io/detail/file_listing.hpp"

#include "mrkit/comm/byte_codec.hpp"
#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/core/runtime.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fmt/format.h>

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
  bool pseudo = false;   // in a directory of a pseudo file system
};

using detail::FileStat;
using detail::PendingAnswer;
using detail::Walk;

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

// File systems whose files list a size that is not their content. configfs has no constant in
// <linux/magic.h>.
constexpr unsigned long configfs_magic = 0x62656570;

bool pseudo_file_system(unsigned long type) {
  switch (type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case configfs_magic:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case PSTOREFS_MAGIC:
    case EFIVARFS_MAGIC:
      return true;
    default:
      return false;
  }
}

bool on_pseudo_file_system(int fd) {
  struct statfs fs {};
  return ::fstatfs(fd, &fs) == 0 && pseudo_file_system(static_cast<unsigned long>(fs.f_type));
}

// Reads fd to its end into `into`; returns 0, the errno of a failed read, or EFBIG when the
// file holds more than max_bytes. Sequential reads: what procfs and sysfs files expect.
int read_all(int fd, std::uint64_t max_bytes, std::string& into) {
  into.clear();
  std::size_t done = 0;
  std::size_t chunk = 4096;  // a genuine empty file: one read of 0 bytes
  for (;;) {
    if (into.size() - done < chunk) into.resize(done + chunk);
    const ssize_t n = ::read(fd, into.data() + done, into.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      into.clear();
      return err;
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
    if (done > max_bytes) {
      into.clear();
      return EFBIG;
    }
    chunk = std::min<std::size_t>(std::max(chunk, done), std::size_t{16} << 20);
  }
  into.resize(done);
  into.shrink_to_fit();
  return 0;
}

std::string too_big(const std::string& path) {
  return fmt::format(
      "cannot count '{}': it lists a size that is not its content (a file of /proc or /sys, or "
      "one listed with size 0) and holds more than {} MiB, the most such a file may hold (it is "
      "read into memory); copy it to an ordinary file first",
      path, max_unsized_file_bytes >> 20);
}

std::string read_failure(const std::string& path, int err) {
  return err == EFBIG ? too_big(path) : "cannot read '" + path + "': " + std::strerror(err);
}

// Whether the permission bits let this process read a file: told without a system call, so
// that a file nobody may read is refused when listed (exit 3), not when counted. Root reads
// anything. Bits that say no are confirmed by an open (an ACL may allow more); an ACL or a
// security module that refuses what the bits allow is seen only when the file is counted.
class Permissions {
 public:
  Permissions() : uid_(::geteuid()), gid_(::getegid()) {
    const int n = ::getgroups(0, nullptr);
    if (n > 0) {
      groups_.resize(static_cast<std::size_t>(n));
      const int got = ::getgroups(n, groups_.data());
      groups_.resize(static_cast<std::size_t>(std::max(got, 0)));
    }
  }

  [[nodiscard]] bool may_read(const struct stat& st) const {
    if (uid_ == 0) return true;
    if (st.st_uid == uid_) return (st.st_mode & S_IRUSR) != 0;
    if (st.st_gid == gid_ || std::find(groups_.begin(), groups_.end(), st.st_gid) != groups_.end())
      return (st.st_mode & S_IRGRP) != 0;
    return (st.st_mode & S_IROTH) != 0;
  }

 private:
  uid_t uid_;
  gid_t gid_;
  std::vector<gid_t> groups_;
};

// What the listing learns of a regular file beyond its stat.
struct Examined {
  int error = 0;      // errno of a failed open or read (EFBIG: more than the most held)
  bool held = false;  // read to its end: count `content`
  std::string content;
};

enum class Pseudo { no, yes, ask };  // is the file on a pseudo file system? ask: open and see

// Opens the file only when it may be unreadable, when its listed size may not be its content
// (0, a pseudo file system) or when `pseudo` is ask; reads it whole in the second case.
Examined examine(int dir_fd, const char* name, const struct stat& st, Pseudo pseudo,
                 const Permissions& permissions) {
  Examined e;
  if (permissions.may_read(st) && st.st_size != 0 && pseudo == Pseudo::no) return e;
  // O_NONBLOCK: a file that would block a read (/proc/kmsg) fails it instead.
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    e.error = errno;
    return e;
  }
  const bool on_pseudo =
      pseudo == Pseudo::yes || (pseudo == Pseudo::ask && on_pseudo_file_system(fd));
  if (st.st_size == 0 || on_pseudo) {
    e.error = read_all(fd, max_unsized_file_bytes, e.content);
    // A genuine empty file stays an ordinary one.
    e.held = e.error == 0 && (on_pseudo || !e.content.empty());
  }
  ::close(fd);
  return e;
}

// Inside a directory, a file that vanished since it was listed (files of /proc come and go) is
// skipped with a warning, and so is one of a pseudo file system that the kernel will not render
// (a sysfs attribute of a device that lacks it: EINVAL, EIO, EOPNOTSUPP...), as FIFOs are. Any
// other failure, and a permission refused, is bad input.
bool skipped_in_directory(int err, bool pseudo) {
  return err == ENOENT ||
         (pseudo && err != 0 && err != EACCES && err != EPERM && err != EFBIG && err != ENOMEM);
}

void take(InputFile& file, Examined& e) {
  if (!e.held) return;
  file.size = e.content.size();
  file.content = std::move(e.content);
}

// Walks one directory level through its file descriptor: names are looked up relative to it
// (no repeated walks of long paths), and the entry's type from readdir saves most stat calls.
void walk_fd(int dir_fd, const std::string& dir_path, std::vector<Found>& found,
             std::vector<std::string>& warnings, const Permissions& permissions) {
  const bool pseudo = on_pseudo_file_system(dir_fd);
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
      walk_fd(sub, path, found, warnings, permissions);
    };
    if (entry->d_type == DT_DIR) {
      descend();
      continue;
    }
    if (entry->d_type == DT_REG) {  // its size is asked later, maybe by another rank
      found.push_back({{std::move(path), 0, 0, {}}, true, pseudo});
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
    // A link may lead to another file system (a link to /proc/version): ask the file's own.
    Examined e = examine(
        dir_fd, entry->d_name, st,
        entry->d_type == DT_LNK ? Pseudo::ask : (pseudo ? Pseudo::yes : Pseudo::no), permissions);
    if (skipped_in_directory(e.error, pseudo)) {
      warnings.push_back("skipping '" + path + "': " + std::strerror(e.error));
      continue;
    }
    if (e.error != 0) throw InputError(read_failure(path, e.error));
    InputFile file{std::move(path), static_cast<std::uint64_t>(st.st_size), mtime_ns(st), {}};
    take(file, e);
    found.push_back({std::move(file), false, false});
  }
}

void walk_directory(const std::string& root, std::size_t root_index, Walk& walk,
                    const Permissions& permissions) {
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot read directory '" + root + "': " + std::strerror(errno));
  std::vector<Found> found;
  walk_fd(fd, root, found, walk.warnings, permissions);
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.file.path < b.file.path; });
  for (Found& f : found) {
    walk.files.push_back(std::move(f.file));
    walk.pending.push_back(f.pending ? 1 : 0);
    walk.pseudo.push_back(f.pseudo ? 1 : 0);
    walk.root.push_back(root_index);
  }
}

// Step 1, on one rank: the paths and types of everything under `paths`. Files named on the
// command line, links and entries of unknown type are asked their size now; the regular files
// that readdir reported as such are left `pending`, for step 2.
Walk walk_paths(const std::vector<std::string>& paths) {
  if (paths.empty()) throw UsageError("no input path given");
  for (const std::string& path : paths) {
    if (path == "-") {
      throw UsageError(
          "'-': standard input is not read; name files or directories ('./-' for a file named "
          "'-')");
    }
  }
  const Permissions permissions;
  Walk walk;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      throw InputError("cannot open '" + path + "': " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
      walk.directories.push_back(i);
      walk_directory(path, i, walk, permissions);
    } else if (S_ISREG(st.st_mode)) {
      // Always opened (Pseudo::ask): the only honest test of readability, and of its file system.
      Examined e = examine(AT_FDCWD, path.c_str(), st, Pseudo::ask, permissions);
      if (e.error != 0) throw InputError(read_failure(path, e.error));
      walk.files.push_back({path, static_cast<std::uint64_t>(st.st_size), mtime_ns(st), {}});
      take(walk.files.back(), e);
      walk.pending.push_back(0);
      walk.pseudo.push_back(0);
      walk.root.push_back(i);
    } else {
      throw InputError("cannot count '" + path + "': it is " + kind_of(st.st_mode));
    }
  }
  return walk;
}

// Step 2: the sizes of pending files number [begin, end) (counted among pending files only),
// each asked relative to its directory, kept open while consecutive files share it.
// A file that cannot be read, or whose listed size is not its content, is opened (and then read)
// here too, by the rank that asks its size; errors travel with the answer (another rank must
// not throw alone).
std::vector<PendingAnswer> stat_pending(const Walk& walk, std::size_t begin, std::size_t end) {
  std::vector<PendingAnswer> answers;
  answers.reserve(end - begin);
  const Permissions permissions;
  detail::DirectoryFds dirs;
  std::size_t seen = 0;
  for (std::size_t i = 0; i < walk.files.size() && seen < end; ++i) {
    if (walk.pending[i] == 0 || seen++ < begin) continue;
    const detail::DirectoryFds::Where where = dirs.at(walk.files[i].path);
    struct stat st {};
    PendingAnswer a;
    FileStat& f = a.stat;
    if (::fstatat(where.dir_fd, where.name, &st, 0) != 0) {
      f.error = errno;
    } else {
      f.size = static_cast<std::uint64_t>(st.st_size);
      f.mtime_ns = mtime_ns(st);
      f.mode = st.st_mode;
      if (S_ISREG(st.st_mode)) {
        Examined e = examine(where.dir_fd, where.name, st,
                             walk.pseudo[i] != 0 ? Pseudo::yes : Pseudo::no, permissions);
        f.read_error = e.error;
        if (e.held) {
          f.held = 1;
          f.size = e.content.size();
          a.content = std::move(e.content);
        }
      }
    }
    answers.push_back(std::move(a));
  }
  return answers;
}

// Step 3, the same on every rank: the pending files' sizes filled in, those that are gone or
// are no longer regular files dropped with a warning. Throws InputError if no file is left.
InputListing finish(Walk walk, std::vector<PendingAnswer>& answers,
                    const std::vector<std::string>& paths) {
  InputListing out;
  out.warnings = std::move(walk.warnings);
  std::vector<std::size_t> per_root(paths.size(), 0);
  std::size_t next = 0;
  std::uint64_t held = 0;
  for (std::size_t i = 0; i < walk.files.size(); ++i) {
    InputFile& file = walk.files[i];
    if (walk.pending[i] != 0) {
      PendingAnswer& answer = answers.at(next++);
      const FileStat& st = answer.stat;
      const int gone = st.error != 0                                              ? st.error
                       : skipped_in_directory(st.read_error, walk.pseudo[i] != 0) ? st.read_error
                                                                                  : 0;
      if (gone != 0) {
        out.warnings.push_back("skipping '" + file.path + "': " + std::strerror(gone));
        continue;
      }
      if (!S_ISREG(st.mode)) {
        out.warnings.push_back("skipping '" + file.path + "': " + kind_of(st.mode));
        continue;
      }
      if (st.read_error != 0) throw InputError(read_failure(file.path, st.read_error));
      file.size = st.size;
      file.mtime_ns = st.mtime_ns;
      if (st.held != 0) file.content = std::move(answer.content);
    }
    if (file.content) held += file.content->size();
    if (walk.root[i] < per_root.size()) ++per_root[walk.root[i]];
    out.files.push_back(std::move(file));
  }
  if (held > max_unsized_total_bytes) {
    throw InputError(fmt::format(
        "the files whose listed size is not their content (of /proc, /sys, or listed with size "
        "0) hold {} MiB together, more than the {} MiB they may (they are read into memory); "
        "copy them to ordinary files first",
        held >> 20, max_unsized_total_bytes >> 20));
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

}  // namespace

namespace detail {

std::string encode_walk(const Walk& walk) {
  std::string out;
  ByteWriter writer(out);
  writer.u64(walk.files.size());
  for (std::size_t i = 0; i < walk.files.size(); ++i) {
    const InputFile& f = walk.files[i];
    writer.u64(f.size);
    writer.i64(f.mtime_ns);
    writer.u64(f.path.size());
    writer.u8(
        static_cast<std::uint8_t>(walk.pending[i] | (walk.pseudo[i] << 1) | (f.content ? 4 : 0)));
    writer.u32(static_cast<std::uint32_t>(walk.root[i]));
    writer.bytes(f.path);
    if (f.content) writer.bytes(*f.content);
  }
  writer.u64(walk.directories.size());
  for (const std::size_t d : walk.directories) writer.u64(d);
  return out;
}

Walk decode_walk(std::string_view bytes) {
  Walk walk;
  ByteReader in(bytes, "corrupt file listing");
  const std::uint64_t files = in.u64();
  for (std::uint64_t i = 0; i < files; ++i) {
    const std::uint64_t size = in.u64();
    const std::int64_t mtime_ns = in.i64();
    const std::uint64_t path_size = in.u64();
    const std::uint8_t flags = in.u8();
    const std::uint32_t root = in.u32();
    walk.files.push_back({std::string(in.bytes(path_size)), size, mtime_ns, std::nullopt});
    if ((flags & 4) != 0) walk.files.back().content = std::string(in.bytes(size));
    walk.pending.push_back(flags & 1);
    walk.pseudo.push_back((flags >> 1) & 1);
    walk.root.push_back(root);
  }
  const std::uint64_t directories = in.u64();
  for (std::uint64_t i = 0; i < directories; ++i) {
    walk.directories.push_back(static_cast<std::size_t>(in.u64()));
  }
  return walk;
}

std::string encode_answers(const std::vector<PendingAnswer>& answers) {
  std::string out;
  out.reserve(answers.size() * 32);
  ByteWriter writer(out);
  for (const PendingAnswer& a : answers) {
    writer.u64(a.stat.size);
    writer.i64(a.stat.mtime_ns);
    writer.u32(a.stat.mode);
    writer.i32(a.stat.error);
    writer.i32(a.stat.read_error);
    writer.u32(a.stat.held);
    writer.bytes(a.content);
  }
  return out;
}

void decode_answers(std::string_view bytes, std::vector<PendingAnswer>& into) {
  ByteReader in(bytes, "corrupt file sizes");
  while (!in.done()) {
    PendingAnswer a;
    a.stat.size = in.u64();
    a.stat.mtime_ns = in.i64();
    a.stat.mode = in.u32();
    a.stat.error = in.i32();
    a.stat.read_error = in.i32();
    a.stat.held = in.u32();
    if (a.stat.held != 0) a.content = std::string(in.bytes(a.stat.size));
    into.push_back(std::move(a));
  }
}

}  // namespace detail

bool listed_size_is_content(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return true;  // the read that follows tells the error
  return st.st_size != 0 && !on_pseudo_file_system(fd);
}

std::string read_to_end(int fd, const std::string& path, std::uint64_t max_bytes) {
  std::string bytes;
  const int err = read_all(fd, max_bytes, bytes);
  if (err == EFBIG) {
    throw InputError(fmt::format("cannot read '{}': it holds more than {} MiB, the most read", path,
                                 max_bytes >> 20));
  }
  if (err != 0) throw InputError(read_failure(path, err));
  return bytes;
}

InputListing list_input_files(const std::vector<std::string>& paths) {
  Walk walk = walk_paths(paths);
  const auto pending = static_cast<std::size_t>(
      std::count(walk.pending.begin(), walk.pending.end(), std::uint8_t{1}));
  std::vector<PendingAnswer> answers = stat_pending(walk, 0, pending);
  return finish(std::move(walk), answers, paths);
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
  if (comm.rank() != mother_rank) walk = detail::decode_walk(bytes);
  std::string().swap(bytes);

  // Each rank asks the sizes of its share of the pending files; every rank learns them all.
  const auto pending = static_cast<std::size_t>(
      std::count(walk.pending.begin(), walk.pending.end(), std::uint8_t{1}));
  const auto ranks = static_cast<std::size_t>(comm.size());
  const auto share = [&](std::size_t r) { return pending * r / ranks; };
  const auto me = static_cast<std::size_t>(comm.rank());
  std::vector<PendingAnswer> answers;
  answers.reserve(pending);
  std::string mine = encode_answers(stat_pending(walk, share(me), share(me + 1)));
  for (int r = 0; r < comm.size(); ++r) {
    std::string theirs;
    if (r == comm.rank()) theirs.swap(mine);
    broadcast_bytes(comm, theirs, r);
    decode_answers(theirs, answers);
  }
  InputListing listing = finish(std::move(walk), answers, paths);
  if (comm.rank() != mother_rank) listing.warnings.clear();
  return listing;
}

}  // namespace mrkit
