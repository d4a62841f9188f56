#include "text/python_json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "text/utf8.h"

namespace tessera::text {
namespace {

void append_u_escape(unsigned unit, std::string& out) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\u%04x", unit & 0xFFFFu);
  out += buf;
}

}  // namespace

void append_python_json_string(std::string_view utf8, std::string& out) {
  out.push_back('"');
  for (size_t pos = 0; pos < utf8.size();) {
    const Utf8Unit unit = next_utf8_unit(utf8, pos);
    pos += unit.length;
    const char32_t c = unit.code_point;
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (c >= 0x20 && c <= 0x7E) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x10000) {
      append_u_escape(static_cast<unsigned>(c), out);
    } else {
      const unsigned v = static_cast<unsigned>(c) - 0x10000;
      append_u_escape(0xD800 | (v >> 10), out);
      append_u_escape(0xDC00 | (v & 0x3FF), out);
    }
  }
  out.push_back('"');
}

void append_python_float(double value, std::string& out) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "Infinity" : "-Infinity";
    return;
  }
  if (std::signbit(value)) out.push_back('-');
  // Shortest round-trip digits via to_chars, then laid out the way Python's repr does.
  char buf[64];
  const auto result =
      std::to_chars(buf, buf + sizeof(buf), std::fabs(value), std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(result.ptr - buf));  // "d.ddde+XX"
  const size_t e_pos = sci.find('e');
  std::string digits;
  digits.push_back(sci[0]);
  if (e_pos > 1) digits.append(sci.data() + 2, e_pos - 2);
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                  exponent);
  if (digits == "0") {
    out.append("0.0");
    return;
  }
  const int n = static_cast<int>(digits.size());
  const int point = exponent + 1;  // value is 0.DDDD * 10^point
  if (point > -4 && point <= 16) {
    if (point <= 0) {
      out.append("0.");
      out.append(static_cast<size_t>(-point), '0');
      out.append(digits);
    } else if (point >= n) {
      out.append(digits);
      out.append(static_cast<size_t>(point - n), '0');
      out.append(".0");
    } else {
      out.append(digits, 0, static_cast<size_t>(point));
      out.push_back('.');
      out.append(digits, static_cast<size_t>(point));
    }
    return;
  }
  out.push_back(digits[0]);
  if (n > 1) {
    out.push_back('.');
    out.append(digits, 1);
  }
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  out += exp_buf;
}

}  // namespace tessera::text
