// UTF-8 helpers that reproduce Python's behaviour where Whisper's reference code relies on it:
// bytes.decode("utf-8", errors="replace") and str.strip().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::text {

// One step of a UTF-8 decoder that follows CPython: an invalid or truncated sequence covers its
// maximal valid prefix ("maximal subpart") and becomes a single U+FFFD.
struct Utf8Unit {
  char32_t code_point;  // U+FFFD when !valid
  uint32_t length;      // bytes consumed (>= 1)
  bool valid;
  bool truncated;  // a valid prefix of a multi-byte sequence that the input ends inside
};
Utf8Unit next_utf8_unit(std::string_view bytes, size_t pos);

void append_utf8(char32_t code_point, std::string& out);
// Appends `bytes` decoded with errors="replace" and re-encoded, i.e. always valid UTF-8.
void append_replacing_invalid_utf8(std::string_view bytes, std::string& out);
std::string replace_invalid_utf8(std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);
// Bytes at the end of `bytes` that are a truncated (still completable) multi-byte sequence: 0..3.
size_t incomplete_utf8_tail(std::string_view bytes);
// Code points of `bytes` (invalid sequences become U+FFFD as above).
std::u32string to_code_points(std::string_view bytes);

// Python's str.isspace() for one code point, and str.strip() with no arguments on UTF-8 text.
bool is_python_space(char32_t c);
std::string_view python_strip(std::string_view utf8);

}  // namespace tessera::text
