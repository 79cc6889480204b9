#include <mrkit/io/output_text.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>
#include <string>

namespace {

using namespace std::string_literals;
using mrkit::json_dump_bytes;
using mrkit::json_string_bytes;
using mrkit::shell_escape_quoted;
using mrkit::tsv_escape;
using mrkit::wc_quoted_name;

// Expected values below are derived by hand from Python 3:
//   json.dumps(b.decode("utf-8", "surrogateescape"), ensure_ascii=False) with each lone
//   surrogate written as \udcXX, and from GNU wc 9.1 (LC_ALL=C.UTF-8) for the quoted names.

TEST(JsonStringBytes, ValidUtf8IsWrittenAsItIs) {
  EXPECT_EQ(json_string_bytes(""), R"("")");
  EXPECT_EQ(json_string_bytes("plain.txt"), R"("plain.txt")");
  EXPECT_EQ(json_string_bytes("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(json_string_bytes("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // U+1F600
  EXPECT_EQ(json_string_bytes("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");          // U+FFFD itself
  EXPECT_EQ(json_string_bytes("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF
  EXPECT_EQ(json_string_bytes("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"");          // U+D7FF
  EXPECT_EQ(json_string_bytes("\xc2\x80\xdf\xbf"), "\"\xc2\x80\xdf\xbf\"");  // U+0080, U+07FF
}

TEST(JsonStringBytes, ControlCharactersQuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(json_string_bytes("a\"b\\c\n\t\r\b\f\x01\x1f\x7f"), R"("a\"b\\c\n\t\r\b\f\u0001\u001f)"
                                                                "\x7f\"");
  EXPECT_EQ(json_string_bytes("a\0b"s), R"("a\u0000b")");
}

TEST(JsonStringBytes, BytesThatAreNotUtf8BecomeSurrogateEscapes) {
  EXPECT_EQ(json_string_bytes("bad\xff"), R"("bad\udcff")");
  EXPECT_EQ(json_string_bytes("bad\xfe"), R"("bad\udcfe")");
  EXPECT_NE(json_string_bytes("bad\xff"), json_string_bytes("bad\xfe"));
  EXPECT_NE(json_string_bytes("bad\xff"), json_string_bytes("bad\xef\xbf\xbd"));
  EXPECT_EQ(json_string_bytes("\x80"), R"("\udc80")");                      // lone continuation
  EXPECT_EQ(json_string_bytes("\xc0\xaf"), R"("\udcc0\udcaf")");            // overlong '/'
  EXPECT_EQ(json_string_bytes("\xe0\x80\xaf"), R"("\udce0\udc80\udcaf")");  // overlong
  EXPECT_EQ(json_string_bytes("\xed\xa0\x80"), R"("\udced\udca0\udc80")");  // U+D800
  EXPECT_EQ(json_string_bytes("\xf4\x90\x80\x80"), R"("\udcf4\udc90\udc80\udc80")");  // > U+10FFFF
  EXPECT_EQ(json_string_bytes("\xf5\x80"), R"("\udcf5\udc80")");
  EXPECT_EQ(json_string_bytes("cut\xe2\x82"), R"("cut\udce2\udc82")");  // truncated
  EXPECT_EQ(json_string_bytes("cut\xe2\x82x"), R"("cut\udce2\udc82x")");
  EXPECT_EQ(json_string_bytes("\xf0\x90\x80"), R"("\udcf0\udc90\udc80")");
  // A bad byte before a good sequence does not swallow it.
  EXPECT_EQ(json_string_bytes("\xff\xc3\xa9"), "\"\\udcff\xc3\xa9\"");
  EXPECT_EQ(json_string_bytes("\xe2\xc3\xa9"), "\"\\udce2\xc3\xa9\"");
}

TEST(JsonDumpBytes, SameBytesAsNlohmannDumpForValidUtf8) {
  nlohmann::json j;
  j["total_words"] = 12345678901234ULL;
  j["files"] = nlohmann::json::array();
  j["files"].push_back({{"path", "a/caf\xc3\xa9\t\"x\"\\\n\x01\x7f"}, {"words", 3}});
  j["files"].push_back({{"path", ""}, {"words", 0}});
  j["ratio"] = 0.1;
  j["negative"] = -7;
  j["flag"] = true;
  j["nothing"] = nullptr;
  j["empty_list"] = nlohmann::json::array();
  j["empty_object"] = nlohmann::json::object();
  j["nested"] = {{"k", {1, 2.5, "s", false}}};
  EXPECT_EQ(json_dump_bytes(j), j.dump());

  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      const char* pieces[] = {"a",        "\x01",         "\x1f",
                              "\"",       "\\",           "\n",
                              "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80",
                              " ",        "\x7f",         "\xef\xbf\xbd"};
      s += pieces[rng() % std::size(pieces)];
    }
    const nlohmann::json v = {{"word", s}, {s.empty() ? "_" : s, round}};
    EXPECT_EQ(json_dump_bytes(v), v.dump()) << s;
  }
}

TEST(JsonDumpBytes, KeepsTwoNamesApartWhereDumpWouldMergeThem) {
  const nlohmann::json a = {{"path", "bad\xff"}};
  const nlohmann::json b = {{"path", "bad\xfe"}};
  EXPECT_EQ(json_dump_bytes(a), R"({"path":"bad\udcff"})");
  EXPECT_EQ(a.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
            b.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  EXPECT_NE(json_dump_bytes(a), json_dump_bytes(b));
}

TEST(WcQuotedName, NamesWithoutNewlineAreAsTheyAre) {
  EXPECT_EQ(wc_quoted_name("plain.txt"), "plain.txt");
  EXPECT_EQ(wc_quoted_name("it's a \"name\" $HOME\t\r\x01\xff"),
            "it's a \"name\" $HOME\t\r\x01\xff");
}

TEST(WcQuotedName, NamesWithANewlineAreQuotedAsGnuWcDoes) {
  EXPECT_EQ(wc_quoted_name("a\nb"), R"('a'$'\n''b')");
  EXPECT_EQ(wc_quoted_name("x\n999999 total"), R"('x'$'\n''999999 total')");
  // From `LC_ALL=C.UTF-8 wc -w` on files of these names:
  EXPECT_EQ(wc_quoted_name("\nq\\r\tz \x01\x1b\x7f"), R"(''$'\n''q\r'$'\t''z '$'\001\033\177')");
  EXPECT_EQ(wc_quoted_name("caf\xc3\xa9\n\xff\xc2\x85"), "'caf\xc3\xa9'$'\\n\\377\\302\\205'");
  EXPECT_EQ(wc_quoted_name("it's\n"), R"('it'\''s'$'\n')");
  EXPECT_EQ(wc_quoted_name("\n'"), R"(''$'\n'\''')");
  EXPECT_EQ(wc_quoted_name("a\n\n\a\b\f\v"), R"('a'$'\n\n\a\b\f\v')");
}

TEST(ShellEscapeQuoted, AlwaysQuotes) {
  EXPECT_EQ(shell_escape_quoted(""), "''");
  EXPECT_EQ(shell_escape_quoted("a b"), "'a b'");
  EXPECT_EQ(shell_escape_quoted("\xe6\x97\xa5"), "'\xe6\x97\xa5'");
  EXPECT_EQ(shell_escape_quoted("\xe2\x82"), R"(''$'\342\202')");
}

TEST(TsvEscape, EscapesTabsLineEndsAndBackslashes) {
  EXPECT_EQ(tsv_escape("plain"), "plain");
  EXPECT_EQ(tsv_escape("a\tb\nc\rd\\e"), R"(a\tb\nc\rd\\e)");
  EXPECT_EQ(tsv_escape("\\n"), R"(\\n)");  // a backslash and an n stay apart from a newline
  EXPECT_EQ(tsv_escape("\xff\x01"), "\xff\x01");
}

}  // namespace
