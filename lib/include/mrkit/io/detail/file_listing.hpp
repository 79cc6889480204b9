// How list_input_files(comm, ...) shares its listing between ranks: the mother's walk of the
// paths, then each rank's answers to stat, as byte buffers in mrkit::ByteWriter's layout.
#pragma once

#include "mrkit/io/input_files.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit::detail {

// What the walk of the command-line paths found, in listing order.
struct Walk {
  std::vector<InputFile> files;
  std::vector<std::uint8_t> pending;     // 1: a regular file whose size is still to be asked
  std::vector<std::uint8_t> pseudo;      // 1: found in a directory of a pseudo file system
  std::vector<std::size_t> root;         // the command-line path it was found under
  std::vector<std::size_t> directories;  // the command-line paths that are directories
  std::vector<std::string> warnings;     // the mother's only
};

// One pending file's answer to stat, as it travels between ranks (with `content` after it).
struct FileStat {
  std::uint64_t size = 0;  // listed, or the bytes of `content` when held
  std::int64_t mtime_ns = 0;
  std::uint32_t mode = 0;
  std::int32_t error = 0;       // errno of a failed stat, else 0
  std::int32_t read_error = 0;  // errno of a failed open or read (EFBIG: too big), else 0
  std::uint32_t held = 0;       // 1: the file was read when listed, `size` bytes follow
};

struct PendingAnswer {
  FileStat stat;
  std::string content;
};

// u64 file count, then per file u64 size, i64 mtime, u64 path length, u8 flags (1 pending,
// 2 pseudo, 4 held), u32 root, the path and, when held, its `size` bytes of content; then u64
// directory count and each directory's u64 index. Warnings stay with the mother.
[[nodiscard]] std::string encode_walk(const Walk& walk);
// Throws std::runtime_error("corrupt file listing") for a torn or corrupt buffer.
[[nodiscard]] Walk decode_walk(std::string_view bytes);

// Each answer as its FileStat (u64 size, i64 mtime, u32 mode, i32 error, i32 read_error,
// u32 held), then the content of a held file (size bytes).
[[nodiscard]] std::string encode_answers(const std::vector<PendingAnswer>& answers);
// Appends to `into`; throws std::runtime_error("corrupt file sizes") for a torn buffer.
void decode_answers(std::string_view bytes, std::vector<PendingAnswer>& into);

}  // namespace mrkit::detail
