#include "runtime/npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>

#include "tessera/error.h"

namespace tessera {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) s += ",";
    if (i + 1 < shape.size()) s += " ";
  }
  return s + ")";
}

// Finds `'key':` in the header dict and returns the text after the colon.
std::string_view dict_value(std::string_view header, std::string_view key,
                            const std::string& name) {
  std::string quoted;  // built with append: GCC 12 warns falsely on "'" + std::string(...)
  quoted.append(1, '\'').append(key).append(1, '\'');
  size_t k = header.find(quoted);
  if (k == std::string_view::npos) throw Error(name + ": .npy header has no " + quoted);
  size_t colon = header.find(':', k + quoted.size());
  if (colon == std::string_view::npos) throw Error(name + ": .npy header: no value for " + quoted);
  std::string_view rest = header.substr(colon + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest;
}

}  // namespace

void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
  size_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error(path + ": write_npy: negative dimension in shape " + shape_text(shape));
    count *= static_cast<size_t>(d);
  }
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
  // magic(6) + version(2) + length(2) + header + '\n', padded with spaces to a multiple of 64.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535) throw Error(path + ": write_npy: shape too long for a v1.0 header");

  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) throw Error(path + ": cannot open for writing: " + std::strerror(errno));
  const unsigned char preamble[10] = {0x93,
                                      'N',
                                      'U',
                                      'M',
                                      'P',
                                      'Y',
                                      1,
                                      0,
                                      static_cast<unsigned char>(header.size() & 0xff),
                                      static_cast<unsigned char>(header.size() >> 8)};
  bool ok = std::fwrite(preamble, 1, sizeof(preamble), f.get()) == sizeof(preamble) &&
            std::fwrite(header.data(), 1, header.size(), f.get()) == header.size() &&
            (count == 0 || std::fwrite(data, sizeof(float), count, f.get()) == count);
  if (!ok || std::fflush(f.get()) != 0)
    throw Error(path + ": write failed: " + std::strerror(errno));
  if (std::fclose(f.release()) != 0) throw Error(path + ": close failed: " + std::strerror(errno));
}

NpyView parse_npy(const uint8_t* bytes, size_t size, const std::string& name) {
  static const uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(bytes, kMagic, 6) != 0)
    throw Error(name + ": not a .npy array (bad magic or shorter than 10 bytes)");
  const int major = bytes[6];
  size_t header_len = 0;
  size_t pos = 0;
  if (major == 1) {
    header_len = bytes[8] | (size_t{bytes[9]} << 8);
    pos = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw Error(name + ": .npy header length truncated");
    header_len =
        bytes[8] | (size_t{bytes[9]} << 8) | (size_t{bytes[10]} << 16) | (size_t{bytes[11]} << 24);
    pos = 12;
  } else {
    throw Error(name + ": unsupported .npy version " + std::to_string(major));
  }
  if (header_len > size - pos)
    throw Error(name + ": .npy header length " + std::to_string(header_len) + " runs past the end");
  std::string_view header(reinterpret_cast<const char*>(bytes + pos), header_len);
  NpyView v;

  std::string_view descr = dict_value(header, "descr", name);
  if (descr.size() < 2 || descr.front() != '\'') throw Error(name + ": .npy descr is not a string");
  size_t end = descr.find('\'', 1);
  if (end == std::string_view::npos) throw Error(name + ": .npy descr is unterminated");
  v.descr = std::string(descr.substr(1, end - 1));

  std::string_view fortran = dict_value(header, "fortran_order", name);
  if (fortran.substr(0, 4) == "True") {
    v.fortran_order = true;
  } else if (fortran.substr(0, 5) != "False") {
    throw Error(name + ": .npy fortran_order is neither True nor False");
  }

  std::string_view shape = dict_value(header, "shape", name);
  if (shape.empty() || shape.front() != '(') throw Error(name + ": .npy shape is not a tuple");
  size_t close = shape.find(')');
  if (close == std::string_view::npos) throw Error(name + ": .npy shape tuple is unterminated");
  shape = shape.substr(1, close - 1);
  size_t count = 1;
  constexpr int64_t kMaxDim = int64_t{1} << 40;
  while (!shape.empty()) {
    while (!shape.empty() && (shape.front() == ' ' || shape.front() == ',')) shape.remove_prefix(1);
    if (shape.empty()) break;
    int64_t d = 0;
    size_t digits = 0;
    while (digits < shape.size() && shape[digits] >= '0' && shape[digits] <= '9') {
      d = d * 10 + (shape[digits] - '0');
      if (d > kMaxDim) throw Error(name + ": .npy dimension too large");
      ++digits;
    }
    if (digits == 0) throw Error(name + ": .npy shape has a non-numeric dimension");
    shape.remove_prefix(digits);
    if (d != 0 && count > std::numeric_limits<size_t>::max() / static_cast<size_t>(d))
      throw Error(name + ": .npy shape product overflows");
    count *= static_cast<size_t>(d);
    v.shape.push_back(d);
  }

  size_t item = 0;
  if (v.descr.size() >= 3 && (v.descr[0] == '<' || v.descr[0] == '|' || v.descr[0] == '=')) {
    for (size_t i = 2; i < v.descr.size(); ++i) {
      if (v.descr[i] < '0' || v.descr[i] > '9' || item > 64) {
        item = 0;
        break;
      }
      item = item * 10 + static_cast<size_t>(v.descr[i] - '0');
    }
  }
  if (item == 0) throw Error(name + ": unsupported .npy dtype '" + v.descr + "'");
  if (count > std::numeric_limits<size_t>::max() / item)
    throw Error(name + ": .npy byte count overflows");
  v.data_bytes = count * item;
  pos += header_len;
  if (v.data_bytes > size - pos)
    throw Error(name + ": .npy data needs " + std::to_string(v.data_bytes) + " bytes but only " +
                std::to_string(size - pos) + " remain (truncated?)");
  v.data = bytes + pos;
  return v;
}

std::vector<float> npy_to_f32(const NpyView& v, const std::vector<int64_t>& expected_shape,
                              const std::string& name) {
  if (v.descr != "<f4") throw Error(name + ": expected dtype <f4, found '" + v.descr + "'");
  if (v.fortran_order) throw Error(name + ": expected C order, found fortran_order True");
  if (v.shape != expected_shape)
    throw Error(name + ": expected shape " + shape_text(expected_shape) + ", found " +
                shape_text(v.shape));
  std::vector<float> out(v.data_bytes / sizeof(float));
  if (!out.empty()) std::memcpy(out.data(), v.data, out.size() * sizeof(float));
  return out;
}

}  // namespace tessera
