// Printing user bytes (file names, words) in results: JSON strings that keep bytes that are not
// UTF-8, names quoted as GNU wc quotes them, TSV fields escaped. No name can merge with another
// or forge a line of output.
#pragma once

#include <string>
#include <string_view>

namespace mrkit {

// `bytes` as a JSON string literal, quotes included. Valid UTF-8 is written as it is (control
// characters, '"' and '\' escaped, as nlohmann::json and Python's json write them); each byte
// that is not part of valid UTF-8 (strictly: no overlong forms, surrogates or code points past
// U+10FFFF) becomes the escape \udcXX of the lone surrogate U+DC00 + byte: Python's
// "surrogateescape". So json.loads(...).encode("utf-8", "surrogateescape") gives back the
// exact bytes, and two different names never print the same.
[[nodiscard]] std::string json_string_bytes(std::string_view bytes);

// `name` as GNU wc prints a file name: as it is, unless it holds a newline; then quoted in
// coreutils' shell-escape style, as wc does in a UTF-8 locale: 'a'$'\n''b', with control
// characters and bytes that are not printable UTF-8 as $'\ooo' escapes and ' as '\''. Pasted
// into a POSIX shell with $'...' (bash, zsh, ksh) it is the name again.
[[nodiscard]] std::string wc_quoted_name(std::string_view name);

// Shell-escape quoting of any `bytes`, always quoted ('' for the empty string).
[[nodiscard]] std::string shell_escape_quoted(std::string_view bytes);

// One TSV field: \ as \\, tab as \t, newline as \n, carriage return as \r; other bytes as they
// are. Reversible, and a field never holds a tab or a line end.
[[nodiscard]] std::string tsv_escape(std::string_view bytes);

// A nlohmann::json value written compactly, as json.dump() writes it (same bytes for valid
// UTF-8), with every string and key written by json_string_bytes. A template so that the
// library does not depend on nlohmann::json; `Json` is nlohmann::json.
template <class Json>
[[nodiscard]] std::string json_dump_bytes(const Json& j) {
  std::string out;
  if (j.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) out += ',';
      first = false;
      out += json_string_bytes(it.key());
      out += ':';
      out += json_dump_bytes(it.value());
    }
    out += '}';
  } else if (j.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& v : j) {
      if (!first) out += ',';
      first = false;
      out += json_dump_bytes(v);
    }
    out += ']';
  } else if (j.is_string()) {
    out += json_string_bytes(j.template get_ref<const typename Json::string_t&>());
  } else {
    out += j.dump();
  }
  return out;
}

}  // namespace mrkit
