// Private to the library: the steps of replacing a file through a temporary file beside it, shared
// by write_file_atomically (io/atomic_file.hpp) and write_file_together (io/shared_output.hpp).
// Every failure throws std::runtime_error "cannot write 'PATH' (WHAT): REASON".
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <string>

namespace mrkit::detail {

// Throws "cannot write 'PATH' (WHAT): strerror(err)".
[[noreturn]] void fail_write(const std::string& path, const char* what, int err);

// A name for a stream this process already has open (/dev/stdout, /dev/fd/N, /proc/...): written
// straight into, never replaced.
[[nodiscard]] bool names_open_stream(const std::string& path);

// The final target of a chain of symbolic links (even a dangling one).
[[nodiscard]] std::filesystem::path follow_links(const std::string& path);

// Creates `.NAME.XXXXXX` (O_EXCL, `mode` less the umask) in `dir`; sets `temp` to its path and
// returns its descriptor. `path` names the target in errors.
[[nodiscard]] int create_temporary(const std::filesystem::path& dir, const std::string& name,
                                   mode_t mode, std::string& temp, const std::string& path);

// Gives the file of `fd` the owner and mode of the file it replaces (`old`), as far as allowed.
void keep_owner_and_mode(int fd, const struct stat& old);

}  // namespace mrkit::detail
