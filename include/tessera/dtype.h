// Element types of stored weights and of compute.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tessera {

enum class DType : uint8_t { F32, I8, I16, I32, F16, BF16 };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32:
      return 4;
    case DType::I8:
      return 1;
    case DType::I16:
      return 2;
    case DType::I32:
      return 4;
    case DType::F16:
      return 2;
    case DType::BF16:
      return 2;
  }
  return 0;
}

std::string_view dtype_name(DType t);  // "float32", "int8", "int16", "int32", "float16", "bfloat16"

}  // namespace tessera
