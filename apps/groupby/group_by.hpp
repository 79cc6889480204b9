// groupby's job on the map-reduce engine: per distinct key (the bytes of one column of each
// line or CSV record), the number of records and the exact sum of some numeric columns.
//
// Records: lines (FileSource::for_each_line: '\n' ends a line, a '\r' before it is dropped) cut
// into fields by a plain split (TSV) or as one CSV line each; or, for CSV whose quoted fields
// hold line breaks, every record of a whole file (one task per file). Empty lines are skipped.
// With a header, the first line (record) of every file is the header and must be the same in
// every file.
//
// Sums are exact and do not depend on the order of the values (so not on the rank count, the
// schedule or the split): integers (int64 values) are summed in 128 bits and a total outside
// int64 is an error; a key with any decimal value (a double, as Python's float() reads it) gets
// the exact sum of its integers and doubles, rounded once to the nearest double (a fixed-point
// accumulator of 2112 bits, as Python's math.fsum). A bad line (too few fields, a value that is
// not a number) is named as FILE:LINE: the first one in input order, whichever rank met it.
#pragma once

#include <mrkit/mapreduce/file_source.hpp>
#include <mrkit/mapreduce/key_values.hpp>
#include <mrkit/mapreduce/reduce_by_key.hpp>

#include <boost/mpi/communicator.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mrkit::groupby {

enum class Reading {
  tsv,        // lines, fields split at the delimiter
  csv_lines,  // lines, each one CSV record (no line breaks inside quotes)
  csv_files,  // every file read whole as CSV: one task per file
};

struct Options {
  std::size_t key = 0;            // column, 0-based
  std::vector<std::size_t> sums;  // columns, 0-based
  char delimiter = '\t';
  Reading reading = Reading::tsv;
  bool header = false;
  bool skip_bad = false;  // count bad lines instead of failing on the first
  // With a header: its fields (from the first file that is not empty), which every other
  // file's first record must equal.
  std::vector<std::string> header_fields;
};

// What every rank's table holds per key: a std::vector<std::int64_t> (the engine ships and
// checkpoints it as it is); see group_by.cpp for its layout.
using Value = std::vector<std::int64_t>;
using Table = KeyValues<std::string, Value>;

// A column's total, once every value is in.
struct Total {
  bool decimal = false;  // a double (some value was a decimal), else an integer
  std::int64_t integer = 0;
  double number = 0;
};

// The header of the first non-empty file, read by the mother and sent to every rank; empty if
// every file is empty. Collective; InputError naming the file when it cannot be read.
[[nodiscard]] std::vector<std::string> read_header(const boost::mpi::communicator& comm,
                                                   const FileSource& source, Reading reading,
                                                   char delimiter);

// The tasks of the job: the source's byte ranges, or one per file for Reading::csv_files.
[[nodiscard]] std::uint64_t task_count(const FileSource& source, Reading reading);

struct Result {
  Table groups;                 // keys as they were read, each rank its own (KeyValues)
  std::uint64_t records = 0;    // records counted, on the mother
  std::uint64_t bad_lines = 0;  // on the mother
  std::string first_bad;        // "FILE:LINE: what is wrong", on the mother (empty if none)
};

// Runs the job. Collective. The groups' keys carry a one-byte tag first: key_bytes() gives the
// key. Throws InputError on every rank for a sum outside int64 (or outside a double), naming
// the smallest such key and the column; bad lines are only counted (the caller decides).
[[nodiscard]] Result run_group_by(const boost::mpi::communicator& comm, const FileSource& source,
                                  const Options& options, const JobOptions& job);

[[nodiscard]] inline std::string_view key_bytes(const std::string& tagged) {
  return std::string_view(tagged).substr(1);
}
[[nodiscard]] std::uint64_t count_of(const Value& value);
// A total that does not fit: `index` is the --sum column's place.
struct SumOverflow : std::overflow_error {
  SumOverflow(std::size_t i, const char* what) : std::overflow_error(what), index(i) {}
  std::size_t index;
};
[[nodiscard]] std::vector<Total> totals_of(const Value& value, std::size_t columns);
// A total as text: an integer, or a double as Python's repr() writes it ("2.5", "3.0", "1e+16").
[[nodiscard]] std::string format_total(const Total& total);

}  // namespace mrkit::groupby
