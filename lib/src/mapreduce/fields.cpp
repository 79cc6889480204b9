#include "mrkit/mapreduce/fields.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace mrkit {

void split_fields(std::string_view line, char delimiter, std::vector<std::string_view>& out) {
  out.clear();
  for (;;) {
    const std::size_t at = line.find(delimiter);
    if (at == std::string_view::npos) break;
    out.push_back(line.substr(0, at));
    line.remove_prefix(at + 1);
  }
  out.push_back(line);
}

namespace {

void check_csv_delimiter(char delimiter) {
  if (delimiter == '"' || delimiter == '\r' || delimiter == '\n') {
    throw std::invalid_argument("a CSV delimiter cannot be a quote or a line end");
  }
}

// The state machine of CPython's Modules/_csv.c (parse_process_char) for the default dialect
// with strict=False, fed one line at a time and told where each line ends.
class CsvParser {
 public:
  CsvParser(char delimiter, std::vector<std::string>& fields)
      : delimiter_(delimiter), fields_(fields) {}

  // Bytes of one line. False where Python raises "new-line character seen in unquoted field":
  // other bytes after a line break that ended a record.
  [[nodiscard]] bool feed(std::string_view line) {
    const char* p = line.data();
    const char* const end = p + line.size();
    while (p < end) {
      const char c = *p;
      switch (state_) {
        case State::start_record:
          if (c == '\n' || c == '\r') {
            state_ = State::eat_line_end;
            ++p;
          } else {
            begin_field();
            state_ = State::start_field;  // the same byte again, as a field's first
          }
          break;
        case State::start_field:
          ++p;
          if (c == '\n' || c == '\r') {
            save_field();
            state_ = State::eat_line_end;
          } else if (c == '"') {
            state_ = State::in_quoted_field;
          } else if (c == delimiter_) {
            save_field();
            begin_field();
          } else {
            field().push_back(c);
            state_ = State::in_field;
          }
          break;
        case State::in_field: {
          const char* q = p;
          while (q < end && *q != delimiter_ && *q != '\n' && *q != '\r') ++q;
          field().append(p, q);
          p = q;
          if (p == end) break;
          ++p;
          save_field();
          if (*q == delimiter_) {
            begin_field();
            state_ = State::start_field;
          } else {
            state_ = State::eat_line_end;
          }
          break;
        }
        case State::in_quoted_field: {
          const auto* q =
              static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
          if (q == nullptr) q = end;
          field().append(p, q);
          p = q;
          if (p == end) break;
          ++p;
          state_ = State::quote_in_quoted_field;
          break;
        }
        case State::quote_in_quoted_field:
          ++p;
          if (c == '"') {  // "" inside quotes: one quote
            field().push_back(c);
            state_ = State::in_quoted_field;
          } else if (c == delimiter_) {
            save_field();
            begin_field();
            state_ = State::start_field;
          } else if (c == '\n' || c == '\r') {
            save_field();
            state_ = State::eat_line_end;
          } else {  // strict=False: the field goes on, unquoted
            field().push_back(c);
            state_ = State::in_field;
          }
          break;
        case State::eat_line_end:
          if (c != '\n' && c != '\r') return false;
          ++p;
          break;
      }
    }
    return true;
  }

  // The end of a line: true if it ends a record (then `fields()` is its fields).
  [[nodiscard]] bool end_line() {
    switch (state_) {
      case State::in_quoted_field:
        return false;
      case State::start_field:
      case State::in_field:
      case State::quote_in_quoted_field:
        save_field();
        break;
      case State::start_record:
      case State::eat_line_end:
        break;
    }
    state_ = State::start_record;
    return true;
  }

  // The end of the text: true if a quoted field was still open (strict=False ends the record
  // there).
  [[nodiscard]] bool end_text() {
    if (state_ != State::in_quoted_field) return false;
    save_field();
    state_ = State::start_record;
    return true;
  }

  [[nodiscard]] std::size_t count() const noexcept { return count_; }
  void next_record() noexcept { count_ = 0; }

 private:
  enum class State {
    start_record,
    start_field,
    in_field,
    in_quoted_field,
    quote_in_quoted_field,
    eat_line_end
  };

  // fields_[count_] is the field being read; the strings beyond count_ are kept for reuse.
  void begin_field() {
    if (fields_.size() == count_) {
      fields_.emplace_back();
    } else {
      fields_[count_].clear();
    }
  }
  void save_field() noexcept { ++count_; }
  std::string& field() { return fields_[count_]; }

  char delimiter_;
  std::vector<std::string>& fields_;
  std::size_t count_ = 0;
  State state_ = State::start_record;
};

}  // namespace

CsvLine parse_csv_line(std::string_view line, char delimiter, std::vector<std::string>& out) {
  check_csv_delimiter(delimiter);
  CsvParser parser(delimiter, out);
  CsvLine status = CsvLine::ok;
  if (!parser.feed(line)) {
    status = CsvLine::line_break;
  } else if (!parser.end_line()) {
    status = CsvLine::open_quote;
  }
  out.resize(parser.count());
  return status;
}

void for_each_csv_record(std::string_view text, char delimiter, const CsvRecordFunction& f) {
  check_csv_delimiter(delimiter);
  std::vector<std::string> fields;
  CsvParser parser(delimiter, fields);
  std::uint64_t line_number = 0;
  std::uint64_t record_line = 1;
  bool in_record = false;
  std::size_t at = 0;
  while (at < text.size()) {
    // A line as io.StringIO(newline='') gives it: up to and with "\n", "\r\n" or "\r".
    std::size_t stop = at;
    while (stop < text.size() && text[stop] != '\n' && text[stop] != '\r') ++stop;
    if (stop < text.size()) {
      stop += text[stop] == '\r' && stop + 1 < text.size() && text[stop + 1] == '\n' ? 2 : 1;
    }
    ++line_number;
    if (!in_record) record_line = line_number;
    // A line holds at most one line end, at its end: never "new-line character seen".
    (void)parser.feed(text.substr(at, stop - at));
    in_record = !parser.end_line();
    if (!in_record) {
      f(std::span<const std::string>(fields.data(), parser.count()), record_line);
      parser.next_record();
    }
    at = stop;
  }
  if (parser.end_text())
    f(std::span<const std::string>(fields.data(), parser.count()), record_line);
}

namespace {

std::string_view trim_ascii_space(std::string_view s) {
  constexpr std::string_view space = " \t\n\v\f\r";
  const std::size_t first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// Without an optional '+' (from_chars takes '-' only); empty if a sign follows it.
std::string_view without_plus(std::string_view s) {
  if (s.empty() || s.front() != '+') return s;
  s.remove_prefix(1);
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) return {};
  return s;
}

}  // namespace

std::optional<std::int64_t> parse_integer(std::string_view text) {
  const std::string_view s = without_plus(trim_ascii_space(text));
  if (s.empty()) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text) {
  const std::string_view s = without_plus(trim_ascii_space(text));
  if (s.empty()) return std::nullopt;
  double value = 0;
  // Out of range (too large, or so small it rounds to 0) is refused as not finite is.
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace mrkit
