#include "mrkit/checkpoint.hpp"

#include "mrkit/atomic_file.hpp"
#include "mrkit/chunked_messages.hpp"
#include "mrkit/runtime.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace mrkit {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view manifest_name = "manifest";
constexpr std::string_view task_prefix = "task-";
constexpr std::string_view task_suffix = ".done";

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read checkpoint file '" + path + "'");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string manifest_text(std::string_view fingerprint, std::uint64_t tasks) {
  return fmt::format("mrkit checkpoint 1\ntasks {}\n{}\n", tasks, fingerprint);
}

}  // namespace

Checkpoint::Checkpoint(const boost::mpi::communicator& comm, std::string dir,
                       std::string_view fingerprint, std::uint64_t tasks)
    : dir_(std::move(dir)), tasks_(tasks) {
  if (dir_.empty()) return;
  std::string done_list;  // the finished task numbers, as text, from the mother
  on_mother_then_agree(comm, [&] {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec || !fs::is_directory(dir_)) {
      throw InputError("cannot use checkpoint directory '" + dir_ +
                       "': " + (ec ? ec.message() : std::string("not a directory")));
    }
    const std::string manifest = (fs::path(dir_) / manifest_name).string();
    const std::string expected = manifest_text(fingerprint, tasks);
    if (fs::exists(manifest)) {
      if (read_whole(manifest) != expected) {
        throw InputError("checkpoint '" + dir_ +
                         "' was made by a different run (the inputs or options changed); "
                         "remove it or choose another directory");
      }
      for (const auto& entry : fs::directory_iterator(dir_)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(task_prefix) || !name.ends_with(task_suffix)) continue;
        const std::string number =
            name.substr(task_prefix.size(), name.size() - task_prefix.size() - task_suffix.size());
        std::uint64_t task = 0;
        const auto [end, err] = std::from_chars(number.data(), number.data() + number.size(), task);
        if (err == std::errc() && end == number.data() + number.size() && task < tasks) {
          done_list += std::to_string(task) + "\n";
        }
      }
    } else {
      write_file_atomically(manifest, expected);
    }
  });
  broadcast_bytes(comm, done_list, mother_rank);
  std::istringstream in(done_list);
  for (std::uint64_t t = 0; in >> t;) finished_.push_back(t);
  std::sort(finished_.begin(), finished_.end());
}

std::vector<std::uint64_t> Checkpoint::remaining() const {
  std::vector<std::uint64_t> out;
  out.reserve(static_cast<std::size_t>(tasks_ - finished_.size()));
  std::size_t k = 0;
  for (std::uint64_t t = 0; t < tasks_; ++t) {
    if (k < finished_.size() && finished_[k] == t) {
      ++k;
      continue;
    }
    out.push_back(t);
  }
  return out;
}

std::string Checkpoint::task_path(std::uint64_t task) const {
  return (fs::path(dir_) / fmt::format("{}{:08}{}", task_prefix, task, task_suffix)).string();
}

void Checkpoint::record(std::uint64_t task, std::string_view payload) const {
  if (enabled()) write_file_atomically(task_path(task), payload);
}

std::string Checkpoint::load(std::uint64_t task) const {
  return read_whole(task_path(task));
}

}  // namespace mrkit
