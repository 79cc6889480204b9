// Fields of records (mapreduce/fields.hpp) against Python itself: fields_reference.py generates
// edge cases (empty lines and fields, trailing delimiters, quotes inside and outside quoted
// fields, delimiters in quotes, CR, CRLF, NUL, bytes that are not UTF-8, a 10 MB line, a 10 MB
// quoted record over many lines, numbers of every shape) and writes what str.split,
// csv.reader, int() and float() make of them, under the policy fields.hpp documents.
#include <mrkit/mapreduce/fields.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifndef MRKIT_PYTHON_EXE
#define MRKIT_PYTHON_EXE "/usr/bin/python3"
#endif

namespace {

// The reference's stream of netstrings, read in order.
class Tokens {
 public:
  explicit Tokens(std::string data) : data_(std::move(data)) {}
  std::string_view next() {
    const std::size_t colon = data_.find(':', at_);
    if (colon == std::string::npos) throw std::runtime_error("reference: truncated");
    std::size_t n = 0;
    const auto [p, ec] = std::from_chars(data_.data() + at_, data_.data() + colon, n);
    if (ec != std::errc{} || p != data_.data() + colon || colon + 1 + n > data_.size()) {
      throw std::runtime_error("reference: bad length");
    }
    at_ = colon + 1 + n;
    return std::string_view(data_).substr(colon + 1, n);
  }
  std::uint64_t number() {
    const std::string_view s = next();
    std::uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  std::int64_t signed_number() {
    const std::string_view s = next();
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  std::vector<std::string> fields() {
    std::vector<std::string> out(number());
    for (auto& f : out) f = next();
    return out;
  }

 private:
  std::string data_;
  std::size_t at_ = 0;
};

// The reference file, generated once for all tests of this binary.
const std::string& reference() {
  static const std::string data = [] {
    char name[] = "/tmp/mrkit-fields-XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd < 0) throw std::runtime_error("cannot create a temporary file");
    ::close(fd);
    const std::string command =
        std::string(MRKIT_PYTHON_EXE) + " " + MRKIT_FIELDS_REFERENCE + " " + name;
    const int status = std::system(command.c_str());
    std::ifstream in(name, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ::unlink(name);
    if (status != 0) throw std::runtime_error("the reference failed: " + command);
    return bytes;
  }();
  return data;
}

// A short, printable view of bytes for failure messages.
std::string shown(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  out += s.size() > 80 ? "\"... (" + std::to_string(s.size()) + " bytes)" : "\"";
  return out;
}

std::string shown(const std::vector<std::string>& fields) {
  std::string out = "[";
  for (std::size_t i = 0; i < fields.size() && i < 8; ++i) out += shown(fields[i]) + " ";
  return out + (fields.size() > 8 ? "... " + std::to_string(fields.size()) + " fields]" : "]");
}

const char* status_name(mrkit::CsvLine s) {
  switch (s) {
    case mrkit::CsvLine::ok:
      return "ok";
    case mrkit::CsvLine::open_quote:
      return "open_quote";
    case mrkit::CsvLine::line_break:
      return "line_break";
  }
  return "?";
}

struct Counts {
  std::size_t split = 0, csvline = 0, csvfile = 0, records = 0, integer = 0, number = 0;
  std::size_t open_quote = 0, line_break = 0, accepted_integers = 0, accepted_numbers = 0;
  std::size_t longest_line = 0;
};

// Runs every case of the reference through fields.hpp; `kinds` selects which.
void check_reference(std::string_view kinds, Counts& counts) {
  Tokens in(reference());
  std::vector<std::string_view> views;
  std::vector<std::string> strings;
  for (;;) {
    const std::string kind(in.next());
    if (kind == "end") break;
    const bool checked = kinds.find(kind) != std::string_view::npos;
    if (kind == "split") {
      const char delim = in.next()[0];
      const std::string_view line = in.next();
      const auto want = in.fields();
      if (!checked) continue;
      ++counts.split;
      counts.longest_line = std::max(counts.longest_line, line.size());
      mrkit::split_fields(line, delim, views);
      const std::vector<std::string> got(views.begin(), views.end());
      ASSERT_EQ(got, want) << "split " << shown(line) << " at "
                           << shown(std::string_view(&delim, 1)) << ": got " << shown(got)
                           << ", Python " << shown(want);
    } else if (kind == "csvline") {
      const char delim = in.next()[0];
      const std::string_view line = in.next();
      const std::string_view want_status = in.next();
      const auto want = in.fields();
      if (!checked) continue;
      ++counts.csvline;
      counts.open_quote += want_status == "open_quote";
      counts.line_break += want_status == "line_break";
      strings.assign(3, "stale");  // the parser reuses and must clear them
      const mrkit::CsvLine status = mrkit::parse_csv_line(line, delim, strings);
      ASSERT_EQ(status_name(status), want_status)
          << "csv line " << shown(line) << " at " << shown(std::string_view(&delim, 1));
      if (status == mrkit::CsvLine::ok) {
        ASSERT_EQ(strings, want) << "csv line " << shown(line) << " at "
                                 << shown(std::string_view(&delim, 1)) << ": got " << shown(strings)
                                 << ", Python " << shown(want);
      }
    } else if (kind == "csvfile") {
      const char delim = in.next()[0];
      const std::string_view text = in.next();
      std::vector<std::pair<std::uint64_t, std::vector<std::string>>> want(in.number());
      for (auto& [line_number, fields] : want) {
        line_number = in.number();
        fields = in.fields();
      }
      if (!checked) continue;
      ++counts.csvfile;
      counts.records += want.size();
      std::vector<std::pair<std::uint64_t, std::vector<std::string>>> got;
      mrkit::for_each_csv_record(
          text, delim, [&](std::span<const std::string> fields, std::uint64_t line_number) {
            got.emplace_back(line_number, std::vector<std::string>(fields.begin(), fields.end()));
          });
      ASSERT_EQ(got.size(), want.size())
          << "csv file " << shown(text) << " at " << shown(std::string_view(&delim, 1));
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].second, want[i].second)
            << "record " << i << " of csv file " << shown(text) << " at "
            << shown(std::string_view(&delim, 1)) << ": got " << shown(got[i].second) << ", Python "
            << shown(want[i].second);
        ASSERT_EQ(got[i].first, want[i].first)
            << "line number of record " << i << " of csv file " << shown(text);
      }
    } else if (kind == "integer") {
      const std::string_view text = in.next();
      const bool ok = in.number() != 0;
      const std::int64_t value = in.signed_number();
      if (!checked) continue;
      ++counts.integer;
      counts.accepted_integers += ok;
      const auto got = mrkit::parse_integer(text);
      ASSERT_EQ(got.has_value(), ok) << "integer " << shown(text);
      if (ok) {
        ASSERT_EQ(*got, value) << "integer " << shown(text);
      }
    } else if (kind == "number") {
      const std::string_view text = in.next();
      const bool ok = in.number() != 0;
      const double value = std::bit_cast<double>(in.number());
      if (!checked) continue;
      ++counts.number;
      counts.accepted_numbers += ok;
      const auto got = mrkit::parse_number(text);
      ASSERT_EQ(got.has_value(), ok) << "number " << shown(text);
      // The same double, bit for bit (-0.0 too).
      if (ok) {
        ASSERT_EQ(std::bit_cast<std::uint64_t>(*got), std::bit_cast<std::uint64_t>(value))
            << "number " << shown(text) << ": got " << *got << ", Python " << value;
      }
    } else {
      FAIL() << "unknown case kind in the reference: " << kind;
    }
  }
}

}  // namespace

TEST(Fields, SplitIsPythonsStrSplit) {
  Counts counts;
  ASSERT_NO_THROW(check_reference("split", counts));
  if (HasFatalFailure()) return;
  EXPECT_GT(counts.split, 4000U);
  EXPECT_GE(counts.longest_line, 10U << 20);  // the 10 MB line was there
}

TEST(Fields, CsvLineIsPythonsCsvReader) {
  Counts counts;
  ASSERT_NO_THROW(check_reference("csvline", counts));
  if (HasFatalFailure()) return;
  EXPECT_GT(counts.csvline, 4000U);
  EXPECT_GT(counts.open_quote, 100U);  // the cases hold each answer many times
  EXPECT_GT(counts.line_break, 100U);
}

TEST(Fields, CsvFileIsPythonsCsvReader) {
  Counts counts;
  ASSERT_NO_THROW(check_reference("csvfile", counts));
  if (HasFatalFailure()) return;
  EXPECT_GT(counts.csvfile, 1500U);
  EXPECT_GT(counts.records, 5000U);
}

TEST(Fields, NumbersArePythonsIntAndFloatUnderThePolicy) {
  Counts counts;
  ASSERT_NO_THROW(check_reference("integer number", counts));
  if (HasFatalFailure()) return;
  EXPECT_GT(counts.integer, 1500U);
  EXPECT_GT(counts.accepted_integers, 300U);
  EXPECT_GT(counts.accepted_numbers, counts.accepted_integers);
}

TEST(Fields, CsvRefusesADelimiterItCannotTellFromQuotesOrLineEnds) {
  std::vector<std::string> out;
  for (const char d : {'"', '\r', '\n'}) {
    EXPECT_THROW((void)mrkit::parse_csv_line("a", d, out), std::invalid_argument);
    EXPECT_THROW(
        mrkit::for_each_csv_record("a", d, [](std::span<const std::string>, std::uint64_t) {}),
        std::invalid_argument);
  }
}

// What a caller of the per-line parser relies on: when every line of a file parses ok, its
// records are those of the whole file (so reading lines in ranges is safe).
TEST(Fields, LinesThatParseAreTheRecordsOfTheFile) {
  using namespace std::string_literals;
  const std::string text = "a,b\r\n\"c,\"\"d\"\"\",e\n\nx\0y,\xff\n  \"q\" ,z"s;
  std::vector<std::vector<std::string>> per_line;
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line = std::string_view(text).substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ASSERT_EQ(mrkit::parse_csv_line(line, ',', fields), mrkit::CsvLine::ok) << shown(line);
    per_line.push_back(fields);
    start = nl + 1;
  }
  std::vector<std::vector<std::string>> per_file;
  mrkit::for_each_csv_record(text, ',', [&](std::span<const std::string> f, std::uint64_t) {
    per_file.emplace_back(f.begin(), f.end());
  });
  EXPECT_EQ(per_line, per_file);
  EXPECT_EQ(per_file.size(), 5U);
}
