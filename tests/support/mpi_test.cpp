#include "mpi_test.hpp"

#include <boost/mpi/collectives.hpp>
#include <boost/serialization/string.hpp>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

namespace mrkit::testing {
namespace {

std::vector<std::string>& dirs_to_remove() {
  static std::vector<std::string> dirs;
  return dirs;
}

void remove_dirs() {
  for (const auto& d : dirs_to_remove()) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
}

}  // namespace

const boost::mpi::communicator& world() {
  static const boost::mpi::communicator comm;
  return comm;
}

bool all_ranks(bool ok) {
  bool all = false;
  boost::mpi::all_reduce(world(), ok, all, std::logical_and<bool>());
  return all;
}

std::string shared_temp_dir() {
  std::string dir;
  if (world().rank() == 0) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/mrkit-test-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (::mkdtemp(name.data()) != nullptr) dir = name.data();
    if (dirs_to_remove().empty()) std::atexit(remove_dirs);
    dirs_to_remove().push_back(dir);
  }
  boost::mpi::broadcast(world(), dir, 0);
  return dir;
}

}  // namespace mrkit::testing
