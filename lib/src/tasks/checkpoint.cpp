#include "mrkit/tasks/checkpoint.hpp"

#include "mrkit/comm/chunked_messages.hpp"
#include "mrkit/core/runtime.hpp"
#include "mrkit/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

namespace mrkit {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view manifest_name = "manifest";
constexpr std::string_view lock_name = "lock";
constexpr std::string_view task_prefix = "task-";
constexpr std::string_view task_suffix = ".done";

// A record file: this header (little-endian fields), then the payload.
constexpr std::string_view record_magic = "mrkitck\n";
constexpr std::uint32_t record_version = 2;
constexpr std::size_t header_bytes = 48;
constexpr std::size_t checksum_at = 40;  // the checksum covers the bytes before it and the payload

void put_u32(std::string& out, std::uint32_t v) {
  std::array<char, 4> b{};
  for (std::size_t i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(b.data(), b.size());
}

void put_u64(std::string& out, std::uint64_t v) {
  std::array<char, 8> b{};
  for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(b.data(), b.size());
}

std::uint64_t get_le(std::string_view in, std::size_t at, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    v |= std::uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  }
  return v;
}

std::uint64_t record_checksum(std::string_view head, std::string_view payload) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, head.data(), head.size());
  XXH3_64bits_update(&state, payload.data(), payload.size());
  return XXH3_64bits_digest(&state);
}

std::string manifest_text(std::string_view fingerprint, std::uint64_t tasks) {
  return fmt::format("mrkit checkpoint {}\nrecords {}\n{}\n", record_version, tasks, fingerprint);
}

// The whole file, or nullopt-like failure reported through `error`.
bool read_whole(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  std::stringstream s;
  s << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return false;
  }
  out = s.str();
  return true;
}

// Why the bytes of a record file cannot stand for record `task` of job `job` (empty: they can).
std::string record_problem(std::string_view bytes, std::uint64_t job, std::uint64_t task) {
  if (bytes.size() < header_bytes) {
    return fmt::format("it is truncated ({} bytes, less than its {}-byte header)", bytes.size(),
                       header_bytes);
  }
  if (bytes.substr(0, record_magic.size()) != record_magic) {
    return "it is not an mrkit checkpoint record";
  }
  const std::uint64_t version = get_le(bytes, 8, 4);
  if (version != record_version || get_le(bytes, 12, 4) != header_bytes) {
    return fmt::format("it has format version {}, not {}", version, record_version);
  }
  const std::uint64_t length = get_le(bytes, 32, 8);
  if (length != bytes.size() - header_bytes) {
    return fmt::format("its length is wrong ({} payload bytes, the header says {}): truncated?",
                       bytes.size() - header_bytes, length);
  }
  if (get_le(bytes, checksum_at, 8) !=
      record_checksum(bytes.substr(0, checksum_at), bytes.substr(header_bytes))) {
    return "its checksum does not match (the file is damaged)";
  }
  if (get_le(bytes, 16, 8) != job) return "it belongs to another job";
  const std::uint64_t holds = get_le(bytes, 24, 8);
  if (holds != task) return fmt::format("it holds record {}, not {}", holds, task);
  return {};
}

// The record number of a file name written exactly as task_path() writes it, or nullopt.
std::optional<std::uint64_t> canonical_task(const std::string& name) {
  if (!name.starts_with(task_prefix) || !name.ends_with(task_suffix)) return std::nullopt;
  const std::string_view digits = std::string_view(name).substr(
      task_prefix.size(), name.size() - task_prefix.size() - task_suffix.size());
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t task = 0;
  const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), task);
  if (err != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (fmt::format("{:08}", task) != digits) return std::nullopt;  // task-5, task-000000005
  return task;
}

// The manifest claimed for this job: written aside, then linked into place, so that of two runs
// that start at once exactly one creates it and the other finds it (and compares).
void claim_manifest(const std::string& dir, const std::string& expected, bool owner_only) {
  const std::string manifest = (fs::path(dir) / manifest_name).string();
  const auto refuse_other = [&] {
    throw InputError("checkpoint '" + dir +
                     "' was made by a different run (the inputs or options changed); "
                     "remove it or choose another directory");
  };
  const auto compare = [&] {
    std::string found;
    std::string error;
    if (!read_whole(manifest, found, error)) {
      throw InputError("cannot read checkpoint manifest '" + manifest + "': " + error);
    }
    if (found != expected) refuse_other();
  };
  if (::access(manifest.c_str(), F_OK) == 0) return compare();
  const std::string temp = fmt::format("{}/.manifest.{}.{}", dir, Runtime::host(), ::getpid());
  ::unlink(temp.c_str());  // a leftover of a killed run with this process id
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, owner_only ? 0600 : 0666);
  if (fd < 0) {
    throw InputError("cannot write checkpoint manifest in '" + dir + "': " + std::strerror(errno));
  }
  const bool written =
      ::write(fd, expected.data(), expected.size()) == static_cast<ssize_t>(expected.size()) &&
      ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    throw InputError("cannot write checkpoint manifest in '" + dir +
                     "': " + std::strerror(write_errno));
  }
  const int linked = ::link(temp.c_str(), manifest.c_str());
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return compare();  // another run claimed it first
    throw InputError("cannot create checkpoint manifest '" + manifest +
                     "': " + std::strerror(link_errno));
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// Takes DIR/lock exclusively for this process's lifetime (or until closed); returns its fd.
// Where the file system has no flock, goes on without it (-1).
int lock_directory(const std::string& dir, bool owner_only) {
  const std::string path = (fs::path(dir) / lock_name).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, owner_only ? 0600 : 0666);
  if (fd < 0) {
    throw InputError("cannot use checkpoint directory '" + dir +
                     "': cannot open its lock file: " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      std::array<char, 256> owner{};
      const ssize_t got = ::pread(fd, owner.data(), owner.size() - 1, 0);
      ::close(fd);
      std::string who(owner.data(), got > 0 ? static_cast<std::size_t>(got) : 0);
      while (!who.empty() && (who.back() == '\n' || who.back() == '\0')) who.pop_back();
      throw InputError("checkpoint '" + dir + "' is in use by another run" +
                       (who.empty() ? std::string() : " (" + who + ")") +
                       "; wait for it to end or choose another directory");
    }
    ::close(fd);  // ENOLCK, EOPNOTSUPP...: no locks on this file system
    return -1;
  }
  const std::string who = fmt::format("pid {} on {}\n", ::getpid(), Runtime::host());
  if (::ftruncate(fd, 0) == 0) {
    (void)!::pwrite(fd, who.data(), who.size(), 0);  // only to name the owner to another run
  }
  return fd;
}

}  // namespace

std::string Checkpoint::encode_record(std::uint64_t job, std::uint64_t task,
                                      std::string_view payload) {
  std::string out;
  out.reserve(header_bytes + payload.size());
  out.append(record_magic);
  put_u32(out, record_version);
  put_u32(out, header_bytes);
  put_u64(out, job);
  put_u64(out, task);
  put_u64(out, payload.size());
  put_u64(out, record_checksum(out, payload));
  out.append(payload);
  return out;
}

Checkpoint::Checkpoint(const boost::mpi::communicator& comm, std::string dir,
                       std::string_view fingerprint, std::uint64_t records)
    : dir_(std::move(dir)), tasks_(records) {
  if (dir_.empty()) return;
  const std::string expected = manifest_text(fingerprint, records);
  job_ = XXH3_64bits(expected.data(), expected.size());
  std::string shared;  // from the mother: "owner_only\nfinished task...\n"
  on_mother_then_agree(comm, [&] {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec || !fs::is_directory(dir_)) {
      throw InputError("cannot use checkpoint directory '" + dir_ +
                       "': " + (ec ? ec.message() : std::string("not a directory")));
    }
    struct stat st {};
    if (::stat(dir_.c_str(), &st) == 0) owner_only_ = (st.st_mode & 077) == 0;
    lock_fd_ = lock_directory(dir_, owner_only_);
    try {
      claim_manifest(dir_, expected, owner_only_);
      std::vector<std::string> odd_names;
      std::vector<std::uint64_t> found;
      for (const auto& entry : fs::directory_iterator(dir_)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(task_prefix) || !name.ends_with(task_suffix)) continue;
        const std::optional<std::uint64_t> task = canonical_task(name);
        if (!task || *task >= tasks_) {
          odd_names.push_back(name);
          continue;
        }
        std::string bytes;
        std::string error;
        const std::string path = task_path(*task);
        std::string problem;
        if (!read_whole(path, bytes, error)) {
          problem = "it cannot be read: " + error;
        } else {
          problem = record_problem(bytes, job_, *task);
        }
        if (!problem.empty()) {
          warnings_.push_back(fmt::format(
              "checkpoint record '{}' is not used: {}; its tasks are run again", path, problem));
          continue;
        }
        found.push_back(*task);
      }
      if (!odd_names.empty()) {
        std::sort(odd_names.begin(), odd_names.end());
        constexpr std::size_t shown = 4;
        std::string names;
        for (std::size_t i = 0; i < std::min(shown, odd_names.size()); ++i) {
          names += fmt::format("{}'{}'", i == 0 ? "" : ", ", odd_names[i]);
        }
        if (odd_names.size() > shown) names += ", ...";
        warnings_.push_back(
            fmt::format("ignoring {} file{} in checkpoint '{}' not named as its records are "
                        "(task-NNNNNNNN.done, records 0 to {}): {}",
                        odd_names.size(), odd_names.size() == 1 ? "" : "s", dir_,
                        tasks_ == 0 ? 0 : tasks_ - 1, names));
      }
      std::sort(found.begin(), found.end());
      found.erase(std::unique(found.begin(), found.end()), found.end());
      shared = owner_only_ ? "1\n" : "0\n";
      for (const std::uint64_t t : found) shared += std::to_string(t) + "\n";
    } catch (const fs::filesystem_error& e) {
      if (lock_fd_ >= 0) ::close(lock_fd_);
      lock_fd_ = -1;
      throw InputError("cannot use checkpoint directory '" + dir_ + "': " + e.what());
    } catch (...) {
      if (lock_fd_ >= 0) ::close(lock_fd_);
      lock_fd_ = -1;
      throw;
    }
  });
  broadcast_bytes(comm, shared, mother_rank);
  std::istringstream in(shared);
  int owner_only = 0;
  in >> owner_only;
  owner_only_ = owner_only != 0;
  for (std::uint64_t t = 0; in >> t;) finished_.push_back(t);
}

Checkpoint::~Checkpoint() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::vector<std::uint64_t> Checkpoint::remaining() const {
  std::vector<std::uint64_t> out;
  out.reserve(static_cast<std::size_t>(tasks_ - std::min<std::uint64_t>(tasks_, finished_.size())));
  std::size_t k = 0;
  for (std::uint64_t t = 0; t < tasks_; ++t) {
    while (k < finished_.size() && finished_[k] < t) ++k;
    if (k < finished_.size() && finished_[k] == t) continue;
    out.push_back(t);
  }
  return out;
}

std::string Checkpoint::task_path(std::uint64_t task) const {
  return (fs::path(dir_) / fmt::format("{}{:08}{}", task_prefix, task, task_suffix)).string();
}

void Checkpoint::record(std::uint64_t task, std::string_view payload) const {
  if (!enabled()) return;
  AtomicWriteOptions options;
  if (owner_only_) options.new_file_mode = 0600;
  write_file_atomically(task_path(task), encode_record(job_, task, payload), options);
}

std::string Checkpoint::load(std::uint64_t task) const {
  const std::string path = task_path(task);
  std::string bytes;
  std::string error;
  if (!read_whole(path, bytes, error)) {
    throw InputError("cannot read checkpoint record '" + path + "': " + error);
  }
  const std::string problem = record_problem(bytes, job_, task);
  if (!problem.empty()) {
    throw InputError("checkpoint record '" + path + "' changed during the run: " + problem);
  }
  return bytes.substr(header_bytes);
}

void Checkpoint::load(std::uint64_t task, const std::function<void(std::string_view)>& use) const {
  const std::string payload = load(task);
  try {
    use(payload);
  } catch (const CollectiveError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError("checkpoint record '" + task_path(task) + "' cannot be used: " + e.what() +
                     "; remove it to run its tasks again");
  }
}

}  // namespace mrkit
