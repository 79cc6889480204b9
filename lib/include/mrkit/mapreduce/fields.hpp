// Fields of delimiter-separated records: a plain split (TSV), CSV as Python's csv module reads
// it (one line, or a whole file whose quoted fields may hold line breaks), and the numbers of a
// column to count or sum.
//
// CSV is Python's `csv.reader(lines, delimiter=d)` with the default dialect: quote '"', a
// doubled quote inside quotes for one quote, no escape character, no space skipping, and
// strict=False, so a quote closing a field early keeps what follows ('"ab"c' -> 'abc') and a
// quote inside an unquoted field is an ordinary byte ('a"b' -> 'a"b'). Bytes are bytes (Python
// read over latin-1): NUL and bytes that are not UTF-8 are ordinary too. Differences from
// Python: no field size limit (Python's default is 131072 characters), and a delimiter of '"',
// '\r' or '\n' is refused with std::invalid_argument (Python takes them and reads nonsense).
//
// Numbers (parse_integer, parse_number) are Python's int() and float() of the field, except:
// only ASCII white space around the number is allowed (Python also skips '\xa0', '\x85'...),
// '_' between digits is refused, and so are values that a sum cannot use: nan and inf (of any
// spelling), decimals too large for a double (Python: inf) or too small (Python: 0.0, or -0.0),
// and integers outside int64. An empty or blank field is refused, as Python refuses it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mrkit {

// The fields of `line` between each `delimiter`: Python's `line.split(delimiter)`, so an empty
// line is one empty field and a trailing delimiter gives a last empty field. The views point
// into `line`. `out` is cleared first (its capacity is kept).
void split_fields(std::string_view line, char delimiter, std::vector<std::string_view>& out);

enum class CsvLine {
  ok,          // `out` holds the record's fields
  open_quote,  // a quoted field is not closed on this line: the record goes on into the next
               // line, so this CSV is to be read per file (for_each_csv_record)
  line_break,  // a '\r' or '\n' outside quotes is followed by more of the line: Python's csv
               // reads two records there ("new-line character seen in unquoted field")
};

// The CSV record of one line (without its line end), as Python's `next(csv.reader([line]))`:
// an empty line is a record of no fields (Python's []), and line-end bytes after the record
// ('\r' of "a\r") end it. `out` holds the fields, unquoted ('""' inside quotes gives '"'), when
// the answer is ok; otherwise what it holds is unspecified. Reuses the strings of `out`.
[[nodiscard]] CsvLine parse_csv_line(std::string_view line, char delimiter,
                                     std::vector<std::string>& out);

// f(fields, line_number): one CSV record and the line (1-based) where it begins.
using CsvRecordFunction =
    std::function<void(std::span<const std::string> fields, std::uint64_t line_number)>;

// Calls f for each CSV record of a whole file's bytes `text`, in order, as Python's
// `csv.reader(io.StringIO(text, newline=''))` reads them: a line ends at "\n", "\r\n" or a lone
// "\r"; inside quotes these bytes are part of the field (kept as they are) and the record goes
// on; an empty line is a record of no fields; a quoted field still open at the end of the text
// ends there (strict=False). Line numbers count lines as csv.reader's line_num does. The
// fields are valid only during the call.
void for_each_csv_record(std::string_view text, char delimiter, const CsvRecordFunction& f);

// The integer written in `text`, optionally signed ('+' or '-') and surrounded by ASCII white
// space; nullopt if it is anything else or outside int64.
[[nodiscard]] std::optional<std::int64_t> parse_integer(std::string_view text);

// The decimal number written in `text` (as Python's float() reads it: "1.5", "-2e3", ".5",
// "5.", rounded to the nearest double), surrounded by ASCII white space; nullopt if it is
// anything else, not finite, or too small to be told from 0 by a double.
[[nodiscard]] std::optional<double> parse_number(std::string_view text);

}  // namespace mrkit
