// Records of one byte range of a file, exact at every split: a range [begin, end) owns the
// records that BEGIN in it, and reads past `end` to finish its last one, so cutting a file
// anywhere gives every record exactly once. The record sources over files
// (mapreduce/file_source.hpp) are built on these.
//
//  - Lines: a line ends at '\n', which is not part of it; a '\r' just before the end is dropped
//    too (CRLF files), and a last line without '\n' counts unless it is empty. These are the
//    records of Python's `[l.removesuffix(b"\r") for l in data.split(b"\n")]`, without the empty
//    piece after a final '\n'. A line may hold any bytes (NUL too) and be of any length.
//  - Words: maximal runs of bytes that are not ASCII white space (text/tokenizer.hpp), Python's
//    `data.split()`; a range looks one byte back to know whether its first byte continues a
//    word. With `ignore_case`, ASCII letters are folded to lower case.
//  - Fixed-size records of n bytes: record k is bytes [k*n, (k+1)*n); a range owns the records
//    whose first byte is in it. The file's size must be a multiple of n.
//
// Reads go through a ReadAt (text/word_scan.hpp: pread on a descriptor, or bytes in memory) in
// blocks of `block_bytes` up to `end`, then in small growing steps to finish the last record.
// Each function throws std::runtime_error naming `name` when the file cannot be read or is
// shorter than `file_size`, and calls `after_block` (if any) after each block it reads.
#pragma once

#include "mrkit/text/word_scan.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace mrkit {

// f(record, offset): the record's bytes (valid only during the call) and the file offset where
// it begins.
using RangeRecordFunction = std::function<void(std::string_view record, std::uint64_t offset)>;

struct RangeReadOptions {
  std::size_t block_bytes = std::size_t{1} << 20;
  std::function<void()> after_block;  // e.g. let the scheduler answer other ranks
};

// The lines that begin in [begin, end) of a file of `file_size` bytes, in order.
void for_each_line(const ReadAt& read, std::string_view name, std::uint64_t file_size,
                   std::uint64_t begin, std::uint64_t end, const RangeRecordFunction& f,
                   const RangeReadOptions& options = {});

// As above, over an open file descriptor (pread).
void for_each_line(int fd, std::string_view name, std::uint64_t file_size, std::uint64_t begin,
                   std::uint64_t end, const RangeRecordFunction& f,
                   std::size_t block_bytes = std::size_t{1} << 20);

// The words that begin in [begin, end), in order.
void for_each_word(const ReadAt& read, std::string_view name, std::uint64_t file_size,
                   std::uint64_t begin, std::uint64_t end, const RangeRecordFunction& f,
                   bool ignore_case = false, const RangeReadOptions& options = {});

// The records of `record_bytes` bytes that begin in [begin, end), in order. Throws
// std::invalid_argument for record_bytes 0, std::runtime_error naming `name` when `file_size`
// is not a multiple of record_bytes.
void for_each_fixed_record(const ReadAt& read, std::string_view name, std::uint64_t file_size,
                           std::uint64_t begin, std::uint64_t end, std::size_t record_bytes,
                           const RangeRecordFunction& f, const RangeReadOptions& options = {});

}  // namespace mrkit
