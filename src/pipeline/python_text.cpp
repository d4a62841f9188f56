#include "pipeline/python_text.h"

#include <cfenv>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "tessera/error.h"

namespace tessera::pipeline {

namespace {

bool is_py_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

// Decodes the code point starting at text[i]; returns its length in bytes (0 when malformed).
size_t code_point_at(std::string_view text, size_t i, uint32_t& cp) {
  const auto b = static_cast<unsigned char>(text[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > text.size()) return 0;
  cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c >> 6) != 2) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  return len;
}

// Start of the code point that ends at text[end - 1].
size_t code_point_start(std::string_view text, size_t end) {
  size_t i = end - 1;
  while (i > 0 && end - i < 4 && (static_cast<unsigned char>(text[i]) >> 6) == 2) --i;
  return i;
}

}  // namespace

std::string_view py_strip(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    uint32_t cp = 0;
    const size_t len = code_point_at(text, begin, cp);
    if (len == 0 || !is_py_space(cp)) break;
    begin += len;
  }
  size_t end = text.size();
  while (end > begin) {
    const size_t start = code_point_start(text, end);
    uint32_t cp = 0;
    const size_t len = code_point_at(text, start, cp);
    if (len != end - start || !is_py_space(cp)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

std::string space_then_stripped(std::string_view text) {
  std::string out(1, ' ');
  out.append(py_strip(text));
  return out;
}

long long py_round(double x) {
  const int mode = std::fegetround();
  std::fesetround(FE_TONEAREST);  // nearbyint then rounds half to even, like Python
  const double r = std::nearbyint(x);
  std::fesetround(mode);
  return static_cast<long long>(r);
}

std::vector<int> py_tail(std::span<const int> v, long long k) {
  const long long n = static_cast<long long>(v.size());
  long long start = -k;  // list[-k:]
  if (k == 0) start = 0;
  if (start < 0) start += n;
  if (start < 0) start = 0;
  if (start > n) start = n;
  return std::vector<int>(v.begin() + start, v.end());
}

std::vector<double> parse_clip_timestamps(std::string_view text) {
  std::vector<double> out;
  if (text.empty()) return out;
  size_t pos = 0;
  for (;;) {
    const size_t comma = text.find(',', pos);
    std::string_view item = py_strip(
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    double v = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() ||
        !std::isfinite(v) || v < 0)
      throw Error("clip_timestamps: '" + std::string(item) + "' is not a time in seconds");
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace tessera::pipeline
