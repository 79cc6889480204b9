#include "group_by.hpp"

#include <mrkit/comm/byte_codec.hpp>
#include <mrkit/comm/chunked_messages.hpp>
#include <mrkit/core/runtime.hpp>
#include <mrkit/io/output_text.hpp>
#include <mrkit/io/whole_files.hpp>
#include <mrkit/mapreduce/fields.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string_view>

namespace mrkit::groupby {

namespace {

__extension__ using Int128 = __int128;
__extension__ using UInt128 = unsigned __int128;

// The layout of a Value.
// A group: [0] tag_group, [1] the number of records, then for each sum column the low and high
// 64 bits of its integer sum (128-bit two's complement: never overflows, as |value| < 2^63 and
// there are fewer than 2^63 records), then n = 0, or n = float_block and that many slots: the
// key had a decimal in this column, and its doubles are summed exactly in a fixed-point
// accumulator (slot 0: doubles added since the last normalization; then `limbs` signed 32-bit
// digits in int64 slots, digit i worth 2^(32 i - 1074), the top one unbounded).
// The meta key (bad lines): [0] tag_meta, [1] bad lines, then of the first in input order:
// [2] its file, [3] its byte offset or line number, [4] 1 if [3] is a line number, [5] what is
// wrong (Reason), [6] a number that says more (fields, column).
constexpr std::int64_t tag_group = 0;
constexpr std::int64_t tag_meta = 1;
constexpr char meta_tag = '\0';
constexpr char group_tag = '\1';
constexpr std::size_t limbs = 66;  // 2112 bits: every double (2^-1074 .. 2^1024) and carries
constexpr std::size_t float_block = 1 + limbs;
constexpr int zero_bit = 1074;  // the bit worth 2^0
// Each double changes a digit by less than 2^32; after 2^29 of them (or two such sums added)
// a digit is still far from 2^63.
constexpr std::int64_t normalize_every = std::int64_t{1} << 29;

enum Reason : std::int64_t { too_few_fields = 1, not_a_number, open_quote, line_break, header };

// Carries every digit but the top one into [0, 2^32).
void normalize(std::int64_t* digit) {
  for (std::size_t i = 0; i + 1 < limbs; ++i) {
    const std::int64_t carry = digit[i] >> 32;  // floor division by 2^32
    digit[i] &= 0xffffffff;
    digit[i + 1] += carry;
  }
}

void add_bits(std::int64_t* digit, std::size_t at, UInt128 bits, std::int64_t sign) {
  while (bits != 0) {
    digit[at++] += sign * static_cast<std::int64_t>(static_cast<std::uint64_t>(bits) & 0xffffffff);
    bits >>= 32;
  }
}

// Adds the finite double x exactly to the accumulator `block` (float_block slots).
void add_double(std::int64_t* block, double x) {
  if (x == 0) return;
  int exponent = 0;
  const double fraction = std::frexp(std::fabs(x), &exponent);  // x = fraction * 2^exponent
  auto mantissa = static_cast<std::uint64_t>(std::ldexp(fraction, 53));
  int bit = exponent - 53 + zero_bit;
  while (bit < 0) {  // a subnormal: only zero bits go
    mantissa >>= 1;
    ++bit;
  }
  add_bits(block + 1, static_cast<std::size_t>(bit / 32),
           static_cast<UInt128>(mantissa) << (bit % 32), x < 0 ? -1 : 1);
  if (++block[0] >= normalize_every) {
    normalize(block + 1);
    block[0] = 0;
  }
}

// Adds the integer x exactly to the digits.
void add_integer(std::int64_t* digit, Int128 x) {
  const std::int64_t sign = x < 0 ? -1 : 1;
  const UInt128 magnitude = x < 0 ? -static_cast<UInt128>(x) : static_cast<UInt128>(x);
  for (std::size_t k = 0; k < 4; ++k) {  // 32 bits at a time, each at bit 1074 + 32 k
    const auto piece = static_cast<std::uint64_t>(magnitude >> (32 * k)) & 0xffffffff;
    add_bits(digit, zero_bit / 32 + k, static_cast<UInt128>(piece) << (zero_bit % 32), sign);
  }
}

// The exact sum of the integer `integer` and of the accumulator `block`, rounded to the nearest
// double (ties to even); nullopt if it is too large for a double.
std::optional<double> round_sum(const std::int64_t* block, Int128 integer) {
  std::array<std::int64_t, limbs> d{};
  std::copy(block + 1, block + 1 + limbs, d.begin());
  add_integer(d.data(), integer);
  normalize(d.data());
  const bool negative = d[limbs - 1] < 0;
  if (negative) {
    for (auto& x : d) x = -x;
    normalize(d.data());
  }
  const auto bit = [&](std::size_t j) -> std::uint64_t {
    const std::size_t i = std::min(j / 32, limbs - 1);
    return (static_cast<std::uint64_t>(d[i]) >> (j - 32 * i)) & 1U;
  };
  std::size_t width = 0;  // bits of the magnitude
  for (std::size_t i = limbs; i-- > 0;) {
    if (d[i] != 0) {
      width = 32 * i + static_cast<std::size_t>(std::bit_width(static_cast<std::uint64_t>(d[i])));
      break;
    }
  }
  double result = 0;
  if (width <= 53) {
    std::uint64_t n = 0;
    for (std::size_t j = 0; j < width; ++j) n |= bit(j) << j;
    result = std::ldexp(static_cast<double>(n), -zero_bit);
  } else {
    const std::size_t shift = width - 53;
    std::uint64_t mantissa = 0;
    for (std::size_t j = 0; j < 53; ++j) mantissa |= bit(shift + j) << j;
    const bool half = bit(shift - 1) != 0;
    bool sticky = false;
    for (std::size_t j = 0; j + 1 < shift && !sticky; ++j) sticky = bit(j) != 0;
    if (half && (sticky || (mantissa & 1U) != 0)) ++mantissa;
    result = std::ldexp(static_cast<double>(mantissa), static_cast<int>(shift) - zero_bit);
  }
  if (!std::isfinite(result)) return std::nullopt;
  return negative ? -result : result;
}

Int128 get_integer(const Value& v, std::size_t at) {
  // high * 2^64 + low, with no shift of a negative number
  return static_cast<Int128>(v[at + 1]) * (static_cast<Int128>(1) << 64) +
         static_cast<Int128>(static_cast<std::uint64_t>(v[at]));
}

void put_integer(Value& v, std::size_t at, Int128 x) {
  v[at] = static_cast<std::int64_t>(static_cast<std::uint64_t>(static_cast<UInt128>(x)));
  v[at + 1] = static_cast<std::int64_t>(x >> 64);
}

// Adds the accumulator `from` into `into` (float_block slots each).
void add_block(std::int64_t* into, const std::int64_t* from) {
  into[0] += from[0];
  for (std::size_t i = 1; i < float_block; ++i) into[i] += from[i];
  if (into[0] >= normalize_every) {
    normalize(into + 1);
    into[0] = 0;
  }
}

// combine(V, V) of the engine: counts and sums added; for the meta key, bad lines counted and
// the first in input order kept.
struct Combine {
  std::size_t columns = 0;

  Value operator()(Value a, const Value& b) const {
    if (a[0] == tag_meta) {
      a[1] += b[1];
      if (std::pair(b[2], b[3]) < std::pair(a[2], a[3]))
        std::copy(b.begin() + 2, b.end(), a.begin() + 2);
      return a;
    }
    a[1] += b[1];
    const std::size_t plain = 2 + 3 * columns;
    if (a.size() == plain && b.size() == plain) {  // integers only: in place
      for (std::size_t at = 2; at < plain; at += 3) {
        put_integer(a, at, get_integer(a, at) + get_integer(b, at));
      }
      return a;
    }
    Value sum{tag_group, a[1]};
    std::size_t ia = 2;
    std::size_t ib = 2;
    for (std::size_t c = 0; c < columns; ++c) {
      const std::size_t at = sum.size();
      sum.resize(at + 3);
      put_integer(sum, at, get_integer(a, ia) + get_integer(b, ib));
      const auto na = static_cast<std::size_t>(a[ia + 2]);
      const auto nb = static_cast<std::size_t>(b[ib + 2]);
      ia += 3;
      ib += 3;
      if (na == 0 && nb == 0) continue;
      sum[at + 2] = static_cast<std::int64_t>(float_block);
      const std::size_t block = sum.size();
      sum.resize(block + float_block, 0);
      if (na != 0) add_block(sum.data() + block, a.data() + ia);
      if (nb != 0) add_block(sum.data() + block, b.data() + ib);
      ia += na;
      ib += nb;
    }
    return sum;
  }
};

// Reads `f` from `offset`, at most `max` bytes (its listed content, if it was read when listed).
std::string read_prefix(const InputFile& f, std::uint64_t max) {
  if (f.content) return f.content->substr(0, static_cast<std::size_t>(max));
  const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot open " + f.path + ": " + std::strerror(errno));
  std::string bytes(static_cast<std::size_t>(std::min(max, f.size)), '\0');
  std::size_t have = 0;
  while (have < bytes.size()) {
    const ssize_t n =
        ::pread(fd, bytes.data() + have, bytes.size() - have, static_cast<off_t>(have));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      throw InputError("cannot read " + f.path + ": " +
                       (n < 0 ? std::strerror(error) : "shorter than listed"));
    }
    have += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return bytes;
}

// The fields of one line as the job reads them (its line end dropped).
std::vector<std::string> line_fields(std::string_view line, Reading reading, char delimiter,
                                     const std::string& path) {
  if (reading == Reading::tsv) {
    std::vector<std::string_view> views;
    split_fields(line, delimiter, views);
    return {views.begin(), views.end()};
  }
  std::vector<std::string> fields;
  if (parse_csv_line(line, delimiter, fields) != CsvLine::ok) {
    throw InputError(path +
                     ":1: the header's quoted field runs past its line (use --quoted-newlines)");
  }
  return fields;
}

// The first record of a file as the job reads it.
std::vector<std::string> first_record(const InputFile& f, Reading reading, char delimiter) {
  for (std::uint64_t max = 1 << 16;; max *= 2) {
    const std::string bytes = read_prefix(f, max);
    const bool whole = bytes.size() < max;
    if (reading != Reading::csv_files) {
      std::size_t end = bytes.find('\n');
      if (end == std::string::npos && !whole) continue;
      std::string_view line = std::string_view(bytes).substr(0, end);
      if (end != std::string::npos && line.ends_with('\r')) line.remove_suffix(1);
      return line_fields(line, reading, delimiter, f.path);
    }
    std::vector<std::string> first;
    std::uint64_t records = 0;
    for_each_csv_record(bytes, delimiter, [&](std::span<const std::string> fields, std::uint64_t) {
      if (records++ == 0) first.assign(fields.begin(), fields.end());
    });
    if (records >= 2 || whole) return first;
  }
}

// The line number of the byte at `offset` of `f`: 1 + the '\n' before it.
std::uint64_t line_at(const InputFile& f, std::uint64_t offset) {
  const std::string bytes = read_prefix(f, offset);
  return 1 + static_cast<std::uint64_t>(std::count(bytes.begin(), bytes.end(), '\n'));
}

// An integer too large for int64 is a bad value, not a decimal.
bool looks_integer(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\n\r\v\f");
  if (first == std::string_view::npos) return false;
  text.remove_prefix(first);
  text = text.substr(0, text.find_last_not_of(" \t\n\r\v\f") + 1);
  if (text.front() == '+' || text.front() == '-') text.remove_prefix(1);
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string column_name(std::size_t column) {
  return "column " + std::to_string(column + 1);
}

// What runs the tasks of one rank.
class Mapper {
 public:
  Mapper(const FileSource& source, const Options& options) : source_(&source), options_(&options) {
    needed_ = options.key + 1;
    for (const std::size_t c : options.sums) needed_ = std::max(needed_, c + 1);
  }

  template <class Emit>
  void operator()(std::uint64_t task, Emit& emit) {
    if (options_->reading == Reading::csv_files) {
      map_file(task, emit);
      return;
    }
    source_->for_each_line(task, [&](const Record& r) {
      if (r.bytes.empty() && !(options_->header && r.offset == 0)) return;
      if (options_->reading == Reading::tsv) {
        split_fields(r.bytes, options_->delimiter, views_);
        take(views_, r.file, r.offset, false, emit);
        return;
      }
      switch (parse_csv_line(r.bytes, options_->delimiter, strings_)) {
        case CsvLine::ok:
          take(std::span<const std::string>(strings_), r.file, r.offset, false, emit);
          break;
        case CsvLine::open_quote:
          bad(emit, r.file, r.offset, false, open_quote, 0);
          break;
        case CsvLine::line_break:
          bad(emit, r.file, r.offset, false, line_break, 0);
          break;
      }
    });
  }

 private:
  template <class Emit>
  void map_file(std::uint64_t task, Emit& emit) {
    const InputFile& f = source_->files()[task];
    std::string text;
    if (f.content) {
      text = *f.content;
    } else {
      const WholeFile whole{&f.path, f.size};
      reader_.read(
          std::span<const WholeFile>(&whole, 1), 0,
          [&](std::size_t, std::span<char> bytes) { text.assign(bytes.data(), bytes.size()); });
      if (text.size() != f.size) {
        throw std::runtime_error(f.path + " changed while it was read (listed with " +
                                 std::to_string(f.size) + " bytes)");
      }
    }
    bool first = true;
    for_each_csv_record(
        text, options_->delimiter, [&](std::span<const std::string> fields, std::uint64_t line) {
          const bool is_first = std::exchange(first, false);
          if (is_first && options_->header) {
            if (!std::equal(fields.begin(), fields.end(), options_->header_fields.begin(),
                            options_->header_fields.end())) {
              bad(emit, task, line, true, header, 0);
            }
            return;
          }
          if (!fields.empty()) take(fields, task, line, true, emit);
        });
  }

  template <class Emit>
  void bad(Emit& emit, std::size_t file, std::uint64_t position, bool is_line, Reason reason,
           std::size_t detail) {
    emit(std::string_view(&meta_tag, 1),
         Value{tag_meta, 1, static_cast<std::int64_t>(file), static_cast<std::int64_t>(position),
               is_line ? 1 : 0, reason, static_cast<std::int64_t>(detail)});
  }

  // One record's fields (a span or vector of things a std::string_view is made from).
  template <class Fields, class Emit>
  void take(const Fields& fields, std::size_t file, std::uint64_t position, bool is_line,
            Emit& emit) {
    if (!is_line && options_->header && position == 0) {
      if (!std::equal(fields.begin(), fields.end(), options_->header_fields.begin(),
                      options_->header_fields.end(), [](const auto& a, const std::string& b) {
                        return std::string_view(a) == b;
                      })) {
        bad(emit, file, position, is_line, header, 0);
      }
      return;
    }
    if (fields.size() < needed_) {
      bad(emit, file, position, is_line, too_few_fields, fields.size());
      return;
    }
    one_.assign({tag_group, 1});
    for (const std::size_t c : options_->sums) {
      const std::string_view text(fields[c]);
      if (const auto integer = parse_integer(text)) {
        one_.insert(one_.end(), {*integer, *integer < 0 ? -1 : 0, 0});
      } else if (const auto number = looks_integer(text) ? std::nullopt : parse_number(text)) {
        one_.insert(one_.end(), {0, 0, static_cast<std::int64_t>(float_block)});
        const std::size_t at = one_.size();
        one_.resize(at + float_block, 0);
        add_double(one_.data() + at, *number);
      } else {
        bad(emit, file, position, is_line, not_a_number, c);
        return;
      }
    }
    key_.assign(1, group_tag);
    key_.append(std::string_view(fields[options_->key]));
    emit(std::string_view(key_), one_);  // copied only when the key is new to this rank
  }

  const FileSource* source_;
  const Options* options_;
  std::size_t needed_ = 1;
  std::vector<std::string_view> views_;
  std::vector<std::string> strings_;
  Value one_;
  std::string key_;
  WholeFileReader reader_{1};
};

std::string describe_bad(const FileSource& source, const Options& options,
                         std::span<const std::int64_t, 5> first) {
  const InputFile& f = source.files()[static_cast<std::size_t>(first[0])];
  const auto position = static_cast<std::uint64_t>(first[1]);
  const std::uint64_t line = first[2] != 0 ? position : line_at(f, position);
  std::string what;
  const auto detail = static_cast<std::size_t>(first[4]);
  switch (first[3]) {
    case too_few_fields: {
      std::size_t needed = options.key + 1;
      for (const std::size_t c : options.sums) needed = std::max(needed, c + 1);
      what = fmt::format("{} field{}, fewer than the {} needed", detail, detail == 1 ? "" : "s",
                         needed);
      break;
    }
    case not_a_number:
      what = column_name(detail);
      if (detail < options.header_fields.size()) {
        what += " ('" + tsv_escape(options.header_fields[detail]) + "')";
      }
      what += " is not a number: expected an integer within int64 or a finite decimal";
      break;
    case open_quote:
      what =
          "a quoted field runs past the end of the line (for CSV with line breaks inside "
          "quotes, use --quoted-newlines)";
      break;
    case line_break:
      what =
          "a carriage return inside an unquoted field (Python's csv reads two records; for "
          "such CSV use --quoted-newlines)";
      break;
    default:
      what = "the header differs from the first file's";
      break;
  }
  return fmt::format("{}:{}: {}", f.path, line, what);
}

}  // namespace

std::vector<std::string> read_header(const boost::mpi::communicator& comm, const FileSource& source,
                                     Reading reading, char delimiter) {
  std::string bytes;
  on_mother_then_agree(comm, [&] {
    for (const InputFile& f : source.files()) {
      if (f.size == 0) continue;
      ByteWriter out(bytes);
      for (const std::string& field : first_record(f, reading, delimiter)) out.piece(field);
      break;
    }
  });
  broadcast_bytes(comm, bytes, mother_rank);
  std::vector<std::string> fields;
  ByteReader in(bytes, "torn header message");
  while (!in.done()) fields.emplace_back(in.piece());
  return fields;
}

std::uint64_t task_count(const FileSource& source, Reading reading) {
  return reading == Reading::csv_files ? source.files().size() : source.tasks();
}

std::uint64_t count_of(const Value& value) {
  return static_cast<std::uint64_t>(value[1]);
}

std::vector<Total> totals_of(const Value& value, std::size_t columns) {
  std::vector<Total> totals;
  std::size_t at = 2;
  for (std::size_t c = 0; c < columns; ++c) {
    const Int128 integer = get_integer(value, at);
    const auto n = static_cast<std::size_t>(value[at + 2]);
    Total t;
    if (n == 0) {
      if (integer < INT64_MIN || integer > INT64_MAX) {
        throw SumOverflow(c, "outside int64");
      }
      t.integer = static_cast<std::int64_t>(integer);
    } else {
      t.decimal = true;
      const auto rounded = round_sum(value.data() + at + 3, integer);
      if (!rounded) throw SumOverflow(c, "too large for a double");
      t.number = *rounded;
    }
    totals.push_back(t);
    at += 3 + n;
  }
  return totals;
}

std::string format_total(const Total& total) {
  if (!total.decimal) return std::to_string(total.integer);
  std::string text = fmt::format("{}", total.number);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";  // Python's repr: 3.0
  return text;
}

Result run_group_by(const boost::mpi::communicator& comm, const FileSource& source,
                    const Options& options, const JobOptions& job) {
  Mapper mapper(source, options);
  Result result{reduce_by_key<std::string, Value>(
                    comm, task_count(source, options.reading),
                    [&](std::uint64_t task, auto& emit) { mapper(task, emit); },
                    Combine{options.sums.size()}, job),
                0, 0, std::string()};
  // This rank's share of what the mother reports: its bad lines (the meta key, on one rank),
  // its records, and its smallest key whose sum does not fit.
  std::string mine;
  {
    ByteWriter out(mine);
    auto& local = result.groups.local();
    const auto meta = local.find(std::string_view(&meta_tag, 1));
    if (meta != local.end()) {
      out.u8(1);
      for (std::size_t i = 1; i < 7; ++i) out.i64(meta->second[i]);
      local.erase(meta);
    } else {
      out.u8(0);
    }
    std::uint64_t records = 0;
    const std::string* worst = nullptr;
    std::string why;
    for (const auto& [key, value] : local) {
      records += count_of(value);
      try {
        (void)totals_of(value, options.sums.size());
      } catch (const SumOverflow& e) {
        if (worst == nullptr || key < *worst) {
          worst = &key;
          why = fmt::format("{} is {}", column_name(options.sums[e.index]), e.what());
        }
      }
    }
    out.u64(records);
    out.piece(worst == nullptr ? std::string()
                               : fmt::format("overflow: the sum of {} for key '{}'", why,
                                             tsv_escape(key_bytes(*worst))));
    out.piece(worst == nullptr ? std::string_view() : std::string_view(*worst));
  }
  const std::vector<std::string> parts = gather_bytes(comm, mine, mother_rank);
  std::string overflow;
  std::string overflow_key;
  std::array<std::int64_t, 5> first{};
  for (const std::string& part : parts) {
    ByteReader in(part, "torn groupby summary");
    if (in.u8() != 0) {
      const bool had = result.bad_lines > 0;
      result.bad_lines += static_cast<std::uint64_t>(in.i64());
      std::array<std::int64_t, 5> bad{};
      for (auto& x : bad) x = in.i64();
      if (!had || std::pair(bad[0], bad[1]) < std::pair(first[0], first[1])) first = bad;
    }
    result.records += in.u64();
    const std::string_view message = in.piece();
    const std::string_view key = in.piece();
    if (!message.empty() && (overflow.empty() || key < overflow_key)) {
      overflow = message;
      overflow_key = key;
    }
  }
  on_mother_then_agree(comm, [&] {
    if (result.bad_lines > 0) result.first_bad = describe_bad(source, options, first);
    if (result.bad_lines > 0 && !options.skip_bad) {
      throw InputError(result.first_bad + " (--skip-bad skips such lines)");
    }
    if (!overflow.empty()) throw InputError(overflow);
  });
  return result;
}

}  // namespace mrkit::groupby
