#include "mrkit/io/output_text.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace mrkit {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

std::uint8_t byte_at(std::string_view s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

bool in_range(std::string_view s, std::size_t i, std::uint8_t low, std::uint8_t high) {
  return i < s.size() && byte_at(s, i) >= low && byte_at(s, i) <= high;
}

// The length of the well-formed UTF-8 sequence of two or more bytes that starts at s[i] (the
// Unicode standard's table 3-7: no overlong forms, no surrogates, nothing past U+10FFFF), or 0
// when s[i] does not start one. Python's strict decoder agrees, so a byte it cannot decode is
// exactly a byte for which this returns 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const std::uint8_t b = byte_at(s, i);
  if (b >= 0xC2 && b <= 0xDF) return in_range(s, i + 1, 0x80, 0xBF) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    const std::uint8_t low = b == 0xE0 ? 0xA0 : 0x80;
    const std::uint8_t high = b == 0xED ? 0x9F : 0xBF;
    return in_range(s, i + 1, low, high) && in_range(s, i + 2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    const std::uint8_t low = b == 0xF0 ? 0x90 : 0x80;
    const std::uint8_t high = b == 0xF4 ? 0x8F : 0xBF;
    return in_range(s, i + 1, low, high) && in_range(s, i + 2, 0x80, 0xBF) &&
                   in_range(s, i + 3, 0x80, 0xBF)
               ? 4
               : 0;
  }
  return 0;
}

void append_hex4(std::string& out, unsigned value) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += hex_digits[(value >> shift) & 0xF];
}

void append_octal(std::string& out, std::uint8_t b) {
  out += '\\';
  out += static_cast<char>('0' + (b >> 6));
  out += static_cast<char>('0' + ((b >> 3) & 7));
  out += static_cast<char>('0' + (b & 7));
}

// For each byte, the letter X when a format writes it as \X, or 0: built from one list of C's
// escapes, so every format spells an escape alike.
using EscapeTable = std::array<char, 256>;

constexpr EscapeTable escape_table(std::string_view escaped) {
  constexpr std::string_view bytes{"\a\b\f\n\r\t\v\0\\\"", 10};
  constexpr std::string_view letters{"abfnrtv0\\\"", 10};
  EscapeTable table{};
  for (const char c : escaped) table[static_cast<unsigned char>(c)] = letters[bytes.find(c)];
  return table;
}

constexpr EscapeTable json_escapes = escape_table("\"\\\b\f\n\r\t");
constexpr EscapeTable tsv_escapes = escape_table("\\\t\n\r");
// The shell's $'\X' escapes for ASCII control characters, as coreutils' quotearg writes them
// (any other control character is written in octal).
constexpr EscapeTable shell_escapes = escape_table({"\a\b\f\n\r\t\v\0", 8});

char escape_letter(char c, const EscapeTable& table) {
  return table[static_cast<unsigned char>(c)];
}

void append_escape(std::string& out, char letter) {
  out += '\\';
  out += letter;
}

}  // namespace

std::string json_string_bytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 2);
  out += '"';
  for (std::size_t i = 0; i < bytes.size();) {
    const std::uint8_t b = byte_at(bytes, i);
    if (b < 0x80) {
      const char c = bytes[i];
      if (const char letter = escape_letter(c, json_escapes)) {
        append_escape(out, letter);
      } else if (b < 0x20) {
        append_hex4(out, b);
      } else {
        out += c;
      }
      ++i;
    } else if (const std::size_t n = utf8_sequence(bytes, i); n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      append_hex4(out, 0xDC00U + b);  // surrogateescape: U+DC80 .. U+DCFF
      ++i;
    }
  }
  out += '"';
  return out;
}

std::string shell_escape_quoted(std::string_view bytes) {
  // Plain bytes go inside '...'; control characters and bytes that are not printable UTF-8
  // inside $'...' segments, which a plain byte closes with '' (as quotearg's shell-escape
  // style writes them).
  std::string out = "'";
  bool in_dollar = false;
  const auto plain = [&](std::string_view piece) {
    if (in_dollar) out += "''";
    in_dollar = false;
    out.append(piece);
  };
  const auto escape = [&](auto write) {
    if (!in_dollar) out += "'$'";
    in_dollar = true;
    write();
  };
  for (std::size_t i = 0; i < bytes.size();) {
    const char c = bytes[i];
    const std::uint8_t b = byte_at(bytes, i);
    if (b < 0x80) {
      if (const char letter = escape_letter(c, shell_escapes)) {
        escape([&] { append_escape(out, letter); });
      } else if (b < 0x20 || b == 0x7F) {
        escape([&] { append_octal(out, b); });
      } else if (c == '\'') {
        out += "'\\''";  // closes any $'...' segment too
        in_dollar = false;
      } else {
        plain(bytes.substr(i, 1));
      }
      ++i;
      continue;
    }
    std::size_t n = utf8_sequence(bytes, i);
    // C1 controls (U+0080 .. U+009F) are not printable: escaped byte by byte, like bad bytes.
    const bool printable = n > 0 && !(n == 2 && b == 0xC2 && byte_at(bytes, i + 1) <= 0x9F);
    if (printable) {
      plain(bytes.substr(i, n));
    } else {
      if (n == 0) n = 1;
      for (std::size_t k = 0; k < n; ++k) escape([&] { append_octal(out, byte_at(bytes, i + k)); });
    }
    i += n;
  }
  out += '\'';
  return out;
}

std::string wc_quoted_name(std::string_view name) {
  return name.find('\n') == std::string_view::npos ? std::string(name) : shell_escape_quoted(name);
}

std::string tsv_escape(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (const char c : bytes) {
    if (const char letter = escape_letter(c, tsv_escapes)) {
      append_escape(out, letter);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace mrkit
