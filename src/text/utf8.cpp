#include "text/utf8.h"

namespace tessera::text {

Utf8Unit next_utf8_unit(std::string_view bytes, size_t pos) {
  const auto lead = static_cast<unsigned char>(bytes[pos]);
  if (lead < 0x80) return {lead, 1, true, false};
  uint32_t continuation_count = 0;
  char32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the next continuation byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuation_count = 1;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuation_count = 2;
    cp = lead & 0x0F;
    if (lead == 0xE0) lo = 0xA0;  // no overlong forms
    if (lead == 0xED) hi = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuation_count = 3;
    cp = lead & 0x07;
    if (lead == 0xF0) lo = 0x90;  // no overlong forms
    if (lead == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {0xFFFD, 1, false, false};  // continuation byte or a byte that never starts a sequence
  }
  for (uint32_t k = 1; k <= continuation_count; ++k) {
    if (pos + k >= bytes.size()) return {0xFFFD, k, false, true};
    const auto c = static_cast<unsigned char>(bytes[pos + k]);
    if (c < lo || c > hi) return {0xFFFD, k, false, false};
    cp = (cp << 6) | (c & 0x3F);
    lo = 0x80;
    hi = 0xBF;
  }
  return {cp, continuation_count + 1, true, false};
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void append_replacing_invalid_utf8(std::string_view bytes, std::string& out) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    // Copy runs of valid text in one go; only invalid sequences are rewritten.
    size_t run = pos;
    Utf8Unit unit{};
    while (run < bytes.size()) {
      unit = next_utf8_unit(bytes, run);
      if (!unit.valid) break;
      run += unit.length;
    }
    out.append(bytes.substr(pos, run - pos));
    if (run >= bytes.size()) break;
    append_utf8(0xFFFD, out);
    pos = run + unit.length;
  }
}

std::string replace_invalid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  append_replacing_invalid_utf8(bytes, out);
  return out;
}

bool is_valid_utf8(std::string_view bytes) {
  for (size_t pos = 0; pos < bytes.size();) {
    const Utf8Unit unit = next_utf8_unit(bytes, pos);
    if (!unit.valid) return false;
    pos += unit.length;
  }
  return true;
}

size_t incomplete_utf8_tail(std::string_view bytes) {
  // A truncated sequence is at most 3 bytes and starts with a lead byte; the decoder always
  // reaches a lead byte fresh (a lead byte never continues an earlier sequence).
  // Only continuation bytes follow it, so it is the last lead byte of the input.
  const size_t first = bytes.size() > 3 ? bytes.size() - 3 : 0;
  for (size_t pos = bytes.size(); pos > first; --pos) {
    const auto c = static_cast<unsigned char>(bytes[pos - 1]);
    if (c < 0xC0) continue;
    return next_utf8_unit(bytes, pos - 1).truncated ? bytes.size() - (pos - 1) : 0;
  }
  return 0;
}

std::u32string to_code_points(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    const Utf8Unit unit = next_utf8_unit(bytes, pos);
    out.push_back(unit.code_point);
    pos += unit.length;
  }
  return out;
}

bool is_python_space(char32_t c) {
  // CPython's _PyUnicode_IsWhitespace: bidi classes WS, B, S and category Zs.
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

std::string_view python_strip(std::string_view utf8) {
  size_t begin = 0;
  while (begin < utf8.size()) {
    const Utf8Unit unit = next_utf8_unit(utf8, begin);
    if (!unit.valid || !is_python_space(unit.code_point)) break;
    begin += unit.length;
  }
  // Find the end of the last non-space code point by walking forward (UTF-8 is not reversible
  // when invalid, and the text is short).
  size_t end = begin;
  for (size_t pos = begin; pos < utf8.size();) {
    const Utf8Unit unit = next_utf8_unit(utf8, pos);
    pos += unit.length;
    if (!unit.valid || !is_python_space(unit.code_point)) end = pos;
  }
  return utf8.substr(begin, end - begin);
}

}  // namespace tessera::text
