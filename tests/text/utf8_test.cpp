// UTF-8 repair must equal Python's bytes.decode("utf-8", errors="replace") (expected strings below
// were checked with CPython 3.11).
#include "text/utf8.h"

#include <gtest/gtest.h>

namespace tessera::text {
namespace {

constexpr const char* R = "\xEF\xBF\xBD";  // U+FFFD

TEST(Utf8, ReplacementMatchesPython) {
  struct Case {
    std::string in, out;
  };
  const std::string r = R;
  const std::vector<Case> cases = {
      {"plain", "plain"},
      {"\xC3\xA9", "\xC3\xA9"},
      {"\xE2\x82", r},         // truncated 3-byte: one replacement
      {"\xE2\x82x", r + "x"},  // interrupted 3-byte
      {"\xE2(x", r + "(x"},    // bad second byte: only the lead is replaced
      {"\xF0\x9F\x98", r},     // truncated 4-byte
      {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
      {"\x80\x80", r + r},                  // lone continuation bytes
      {"\xC0\x80", r + r},                  // overlong lead is never valid
      {"\xE0\x80\x80", r + r + r},          // overlong 3-byte: E0 needs A0..BF
      {"\xED\xA0\x80", r + r + r},          // surrogate
      {"\xF4\x90\x80\x80", r + r + r + r},  // above U+10FFFF
      {"\xF5\x80", r + r},
      {"\xFF", r},
      {"a\xF0\x9F", "a" + r},
  };
  for (const auto& c : cases) EXPECT_EQ(replace_invalid_utf8(c.in), c.out) << c.in;
}

TEST(Utf8, IncompleteTail) {
  EXPECT_EQ(incomplete_utf8_tail(""), 0u);
  EXPECT_EQ(incomplete_utf8_tail("abc"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE2"), 1u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE2\x82"), 2u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE2\x82\xAC"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("\xC3\xA9\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_tail("\xC3\xA9\xE2"), 1u);
  EXPECT_EQ(incomplete_utf8_tail("\xF0\x80"), 0u);  // can never complete: emit now
  EXPECT_EQ(incomplete_utf8_tail("\x80\x80\x80"), 0u);
}

TEST(Utf8, PythonStrip) {
  EXPECT_EQ(python_strip("  hi there \n"), "hi there");
  EXPECT_EQ(python_strip("\u3000\u00a0x\u2028\x1f"), "x");
  EXPECT_EQ(python_strip("   "), "");
  EXPECT_EQ(python_strip(""), "");
  EXPECT_EQ(python_strip("\u180ex\u200b"), "\u180ex\u200b");  // not whitespace in Python
  EXPECT_EQ(python_strip(" \xFF "), "\xFF");
}

TEST(Utf8, CodePoints) {
  EXPECT_EQ(to_code_points("a\xC3\xA9\xF0\x9F\x98\x80\xE2"),
            (std::u32string{U'a', 0xE9, 0x1F600, 0xFFFD}));
  std::string s;
  for (char32_t c : {U'a', char32_t(0x7FF), char32_t(0xFFFF), char32_t(0x10FFFF)})
    append_utf8(c, s);
  EXPECT_TRUE(is_valid_utf8(s));
  EXPECT_EQ(to_code_points(s), (std::u32string{U'a', 0x7FF, 0xFFFF, 0x10FFFF}));
}

}  // namespace
}  // namespace tessera::text
