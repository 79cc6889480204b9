// Writes a whole file so that readers see either the old file or the complete new one, never
// a half-written file: write to a temporary file beside it, fsync, rename, fsync the directory.
#pragma once

#include <string>
#include <string_view>

namespace mrkit {

// A symbolic link is written through (the link stays); a target that is not a regular file
// (a terminal, pipe or device such as /dev/stdout) is written straight into, as there is
// nothing to replace. Throws std::runtime_error naming the path on any failure; a regular
// target is then untouched.
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace mrkit
