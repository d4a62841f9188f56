// NumPy .npy files: a float32 writer (for --dump-npy) and a bounds-checked parser of in-memory
// arrays.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tessera {

// Writes a C-order little-endian float32 array of the given shape (format version 1.0).
// Throws tessera::Error naming the path if the file cannot be written.
void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);

// A parsed .npy: `data` points into the caller's buffer (not copied).
struct NpyView {
  std::string descr;  // e.g. "<f4"
  bool fortran_order = false;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t data_bytes = 0;  // product(shape) * item size, checked against the buffer
};

// Parses versions 1.0, 2.0 and 3.0; `name` is used in error messages.
NpyView parse_npy(const uint8_t* bytes, size_t size, const std::string& name);

// Copies a parsed little-endian float32 C-order array out, checking its shape.
std::vector<float> npy_to_f32(const NpyView& v, const std::vector<int64_t>& expected_shape,
                              const std::string& name);

}  // namespace tessera
