// Writes a whole file so that readers see either the old file or the complete new one, never
// a half-written file: write to a temporary file beside it, fsync, rename, fsync the directory.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace mrkit {

struct AtomicWriteOptions {
  // The permission bits a file that does not exist yet gets, exactly as given (the umask is
  // not applied), e.g. 0600 for a file in an owner-only directory. Unset: 0666 & ~umask, as
  // open(2) would give. A file that is replaced keeps its own mode in either case.
  std::optional<mode_t> new_file_mode;
};

// A symbolic link is written through (the link stays); a target that is not a regular file
// (a terminal, pipe or device such as /dev/stdout) is written straight into, as there is
// nothing to replace. Throws std::runtime_error naming the path on any failure; a regular
// target is then untouched.
void write_file_atomically(const std::string& path, std::string_view content,
                           const AtomicWriteOptions& options = {});

}  // namespace mrkit
