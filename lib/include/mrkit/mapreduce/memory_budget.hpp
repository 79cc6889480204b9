// The engine's memory budget per rank (--memory SIZE): what a rank's combine table, merge buffers
// and exchange rounds may hold before the engine spills to disk (mapreduce/spill_runs.hpp).
//
//   std::uint64_t bytes = mrkit::parse_size("1.5G");           // UsageError for bad text
//   std::uint64_t mine = mrkit::resolve_memory_budget(comm, 0);  // 0: the default (collective)
//
// The default is half of the node's available memory (MemAvailable in /proc/meminfo) divided by
// the ranks on the node (MPI_COMM_TYPE_SHARED), at least minimum_memory_bytes.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace mrkit {

// The smallest budget the engine runs with: a table share, merge buffers and exchange pieces
// of a useful size. Smaller budgets are refused at the start.
inline constexpr std::uint64_t minimum_memory_bytes = std::uint64_t{1} << 20;
// The share of the node's available memory the default budget takes: 1/2.
inline constexpr std::uint64_t default_memory_divisor = 2;
// What the default assumes when /proc/meminfo does not say: 4 GiB per node.
inline constexpr std::uint64_t fallback_memory_bytes = std::uint64_t{4} << 30;

// "12345" (bytes), "512K", "64M", "1.5G", "2T" (binary units; "KB", "KiB" and lower case too).
// Throws UsageError "expected a size such as 512K, 64M or 1.5G, got 'TEXT'".
[[nodiscard]] std::uint64_t parse_size(std::string_view text);
// "64 MiB", "1.5 GiB", "512 KiB", "100 B".
[[nodiscard]] std::string format_size(std::uint64_t bytes);

// MemAvailable of a /proc/meminfo text, in bytes; 0 if absent.
[[nodiscard]] std::uint64_t mem_available_from_meminfo(std::string_view meminfo);
// This machine's MemAvailable in bytes; 0 if unknown.
[[nodiscard]] std::uint64_t available_memory_bytes();
// available / default_memory_divisor / ranks_on_node (fallback_memory_bytes when available is
// 0), at least minimum_memory_bytes.
[[nodiscard]] std::uint64_t default_budget_for(std::uint64_t available, int ranks_on_node);
// Throws UsageError "a memory budget of X is too small: the engine needs at least 1 MiB per rank".
void check_memory_budget(std::uint64_t bytes);

// The number of ranks of `comm` on this node. Collective.
[[nodiscard]] int ranks_on_this_node(const boost::mpi::communicator& comm);
// `requested` if not 0 (checked against the minimum), else the default for this node, the same on
// every rank of a node. Collective.
[[nodiscard]] std::uint64_t resolve_memory_budget(const boost::mpi::communicator& comm,
                                                  std::uint64_t requested);

}  // namespace mrkit
