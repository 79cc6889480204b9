// Turns command-line paths (files and directories, walked recursively) into a fixed list of
// regular files with their sizes, in a deterministic order.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mrkit {

struct InputFile {
  std::string path;
  std::uint64_t size = 0;     // the bytes to count: the listed size, or those of `content`
  std::int64_t mtime_ns = 0;  // last modification, to tell a changed input (checkpoints)
  // Some files list a size that is not their content: procfs, debugfs, cgroup files and some
  // FUSE or network files list 0, sysfs lists 4096. Such a file (listed with size 0, or on a
  // pseudo file system) is read to its end once, when listed, and counted from these bytes:
  // one snapshot for every rank (/proc/meminfo changes between two reads), and `size` is their
  // number. Empty for an ordinary file, which is read when counted. A genuine empty file costs
  // one read that returns 0 at once.
  std::optional<std::string> content;
};

// Such files are held in memory on every rank: at most this many bytes each, and all of them
// together; more is refused (InputError naming the file), never cut short silently.
constexpr std::uint64_t max_unsized_file_bytes = std::uint64_t{64} << 20;
constexpr std::uint64_t max_unsized_total_bytes = std::uint64_t{256} << 20;

// For a program that reads one file whole (dcsort's keys): false when the listed size of the
// open regular file `fd` cannot be trusted to be its content (it is 0, or the file lies on a
// pseudo file system such as procfs or sysfs); then read it with read_to_end.
[[nodiscard]] bool listed_size_is_content(int fd);

// Reads `fd` from its current offset to its end. Throws InputError naming `path` when it cannot
// be read or holds more than `max_bytes`.
[[nodiscard]] std::string read_to_end(int fd, const std::string& path,
                                      std::uint64_t max_bytes = max_unsized_file_bytes);

struct InputListing {
  std::vector<InputFile> files;
  std::vector<std::string> warnings;  // one sentence each, naming the path that was skipped
};

// Lists the regular files under `paths`, in command-line order; a directory contributes its
// files in bytewise order of their paths, recursively. Inside a directory, FIFOs, sockets and
// devices are skipped with a warning and never opened (a FIFO would block), and symbolic links
// to directories are not followed (no loops); links to regular files are counted.
// Throws InputError for a missing path, a named path that is not a regular file or directory,
// an unreadable file or directory (also inside a directory: told by the permission bits,
// confirmed by an open), a file whose listed size is not its content and that cannot be read or
// holds too much (above), or when no file at all is found; UsageError for no path, or for '-'
// (standard input is not read).
[[nodiscard]] InputListing list_input_files(const std::vector<std::string>& paths);

// Collective: the same listing on every rank (warnings on the mother only), and the same
// error on every rank. The mother walks the directories; the ranks share the work of asking
// each file's size, one stat a file, which is most of the time a listing of many small files
// takes here, and more on a parallel file system whose metadata lives on a server.
[[nodiscard]] InputListing list_input_files(const boost::mpi::communicator& comm,
                                            const std::vector<std::string>& paths);

}  // namespace mrkit
