// CTranslate2 model.bin reader (binary versions 1..6), memory-mapped and fully bounds-checked.
#pragma once

#include <string>

#include "tessera/model.h"

namespace tessera::model {

constexpr size_t kMaxTensorNameBytes = 1024;  // real names are < 100 bytes
constexpr int kMaxTensorRank = 8;

// Reads every variable and alias of `path` into `out`. Tensors point into the mapped file, which
// `out` keeps alive. Int8 tensors named X get X_scale attached as Tensor::scale (float32, one per
// row). Throws tessera::Error naming the file and the field on any inconsistency.
void load_ct2_weights(const std::string& path, WeightSet& out);

// Multiplies dims with overflow checks; returns false if any dim is negative or the product (or
// product * item_size) does not fit in int64. Shared with the safetensors reader.
bool checked_num_bytes(const std::vector<int64_t>& dims, size_t item_size, int64_t& num_bytes);

}  // namespace tessera::model
