#include <string>

#include "tessera/encoder.h"
#include "tessera/error.h"

namespace tessera {

std::string_view compute_type_name(ComputeType t) {
  switch (t) {
    case ComputeType::Auto: return "auto";
    case ComputeType::F32: return "fp32";
    case ComputeType::BF16: return "bf16";
    case ComputeType::Int8: return "int8";
  }
  return "?";
}

ComputeType parse_compute_type(std::string_view s) {
  if (s == "auto" || s == "default") return ComputeType::Auto;
  if (s == "fp32" || s == "float32" || s == "f32") return ComputeType::F32;
  if (s == "bf16" || s == "bfloat16") return ComputeType::BF16;
  if (s == "int8") return ComputeType::Int8;
  throw Error("unknown compute type '" + std::string(s) + "' (expected auto, fp32, bf16 or int8)");
}

}  // namespace tessera
