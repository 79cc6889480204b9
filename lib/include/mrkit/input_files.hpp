// Turns command-line paths (files and directories, walked recursively) into a fixed list of
// regular files with their sizes, in a deterministic order.
#pragma once

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mrkit {

struct InputFile {
  std::string path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // last modification, to tell a changed input (checkpoints)
};

struct InputListing {
  std::vector<InputFile> files;
  std::vector<std::string> warnings;  // one sentence each, naming the path that was skipped
};

// Lists the regular files under `paths`, in command-line order; a directory contributes its
// files in bytewise order of their paths, recursively. Inside a directory, FIFOs, sockets and
// devices are skipped with a warning and never opened (a FIFO would block), and symbolic links
// to directories are not followed (no loops); links to regular files are counted.
// Throws InputError for a missing path, a named path that is not a regular file or directory,
// an unreadable file or directory, or when no file at all is found.
[[nodiscard]] InputListing list_input_files(const std::vector<std::string>& paths);

// Collective: the same listing on every rank (warnings on the mother only), and the same
// error on every rank. The mother walks the directories; the ranks share the work of asking
// each file's size, one stat a file, which is most of the time a listing of many small files
// takes here, and more on a parallel file system whose metadata lives on a server.
[[nodiscard]] InputListing list_input_files(const boost::mpi::communicator& comm,
                                            const std::vector<std::string>& paths);

}  // namespace mrkit
