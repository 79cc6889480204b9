#include "mrkit/mapreduce/memory_budget.hpp"

#include "mrkit/core/detail/mpi_check.hpp"
#include "mrkit/core/runtime.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace mrkit {

std::uint64_t parse_size(std::string_view text) {
  const auto bad = [&] {
    return UsageError(fmt::format("expected a size such as 512K, 64M or 1.5G, got '{}'", text));
  };
  std::size_t i = 0;
  std::uint64_t whole = 0;
  bool digits = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const auto d = static_cast<std::uint64_t>(text[i] - '0');
    if (whole > (UINT64_MAX - d) / 10) throw bad();
    whole = whole * 10 + d;
    digits = true;
    ++i;
  }
  double fraction = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    double scale = 0.1;
    bool any = false;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      fraction += scale * (text[i] - '0');
      scale /= 10;
      any = true;
      ++i;
    }
    if (!any) throw bad();
  }
  if (!digits) throw bad();
  std::string unit(text.substr(i));
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  unsigned shift = 0;
  if (unit.empty() || unit == "B") {
    shift = 0;
  } else {
    const std::string_view u = unit;
    const char letter = u[0];
    const std::string_view rest = u.substr(1);
    if (!(rest.empty() || rest == "B" || rest == "IB")) throw bad();
    switch (letter) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      case 'T':
        shift = 40;
        break;
      default:
        throw bad();
    }
  }
  if (shift < 64 && whole > (UINT64_MAX >> shift) / 2) throw bad();
  const std::uint64_t bytes =
      (whole << shift) + static_cast<std::uint64_t>(std::llround(
                             fraction * static_cast<double>(std::uint64_t{1} << shift)));
  if (fraction != 0 && shift == 0) throw bad();  // a fraction of a byte
  return bytes;
}

std::string format_size(std::uint64_t bytes) {
  constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double v = static_cast<double>(bytes);
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.3g} {}", v, units[u]);
}

std::uint64_t mem_available_from_meminfo(std::string_view meminfo) {
  std::istringstream in{std::string(meminfo)};
  std::string name;
  std::uint64_t value = 0;
  std::string unit;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (fields >> name >> value && name == "MemAvailable:") {
      fields >> unit;
      return unit == "kB" ? value * 1024 : value;
    }
  }
  return 0;
}

std::uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  if (!in) return 0;
  std::stringstream text;
  text << in.rdbuf();
  return mem_available_from_meminfo(text.str());
}

std::uint64_t default_budget_for(std::uint64_t available, int ranks_on_node) {
  if (available == 0) available = fallback_memory_bytes;
  const std::uint64_t ranks = ranks_on_node > 0 ? static_cast<std::uint64_t>(ranks_on_node) : 1;
  const std::uint64_t share = available / default_memory_divisor / ranks;
  return share < minimum_memory_bytes ? minimum_memory_bytes : share;
}

void check_memory_budget(std::uint64_t bytes) {
  if (bytes < minimum_memory_bytes) {
    throw UsageError(
        fmt::format("a memory budget of {} is too small: the engine needs at least {} per rank",
                    format_size(bytes), format_size(minimum_memory_bytes)));
  }
}

int ranks_on_this_node(const boost::mpi::communicator& comm) {
  MPI_Comm node = MPI_COMM_NULL;
  detail::check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, comm.rank(), MPI_INFO_NULL, &node),
                "MPI_Comm_split_type");
  int size = 1;
  const int rc = MPI_Comm_size(node, &size);
  MPI_Comm_free(&node);
  detail::check(rc, "MPI_Comm_size");
  return size;
}

std::uint64_t resolve_memory_budget(const boost::mpi::communicator& comm, std::uint64_t requested) {
  if (requested != 0) {
    check_memory_budget(requested);
    return requested;
  }
  return default_budget_for(available_memory_bytes(), ranks_on_this_node(comm));
}

}  // namespace mrkit
