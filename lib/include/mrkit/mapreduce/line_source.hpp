// Lines as records, exact at every split: a byte range [begin, end) of a file owns the lines
// that BEGIN in it, and reads past `end` to finish its last one, so cutting a file anywhere
// gives every line exactly once (as the word scanner does for words).
//
// A line ends at '\n', which is not part of it; a '\r' just before the end is dropped too
// (CRLF files), and a last line without '\n' counts unless it is empty. These are the records
// of Python's `[l.removesuffix(b"\r") for l in data.split(b"\n")]`, without the empty piece
// after a final '\n'. A line may hold any bytes (NUL too) and be of any length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace mrkit {

// f(line, offset): the line's bytes (valid only during the call) and the file offset where it
// begins.
using LineFunction = std::function<void(std::string_view line, std::uint64_t offset)>;

// Calls f for each line that begins in [begin, end) of the open file `fd` of `file_size` bytes,
// in order, reading it with pread in blocks of `block_bytes`. Throws std::runtime_error naming
// `name` if the file cannot be read or is shorter than `file_size`.
void for_each_line(int fd, std::string_view name, std::uint64_t file_size, std::uint64_t begin,
                   std::uint64_t end, const LineFunction& f,
                   std::size_t block_bytes = std::size_t{1} << 20);

}  // namespace mrkit
