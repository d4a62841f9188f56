// Tensor, WeightSet and dtype helpers shared by every loader.
#include <cstring>

#include "model/half.h"
#include "tessera/error.h"
#include "tessera/model.h"

namespace tessera {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "float32";
    case DType::I8:
      return "int8";
    case DType::I16:
      return "int16";
    case DType::I32:
      return "int32";
    case DType::F16:
      return "float16";
    case DType::BF16:
      return "bfloat16";
  }
  return "unknown";
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // loaders reject shapes whose product overflows
  return n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

void WeightSet::add(Tensor t) {
  if (has(t.name)) throw Error("duplicate tensor name '" + t.name + "'");
  std::string name = t.name;
  tensors_.emplace(std::move(name), std::move(t));
}

void WeightSet::add_alias(const std::string& alias, const std::string& target) {
  if (has(alias)) throw Error("alias '" + alias + "' clashes with an existing tensor or alias");
  if (!tensors_.count(target))
    throw Error("alias '" + alias + "' points to a missing tensor '" + target + "'");
  aliases_.emplace(alias, target);
}

bool WeightSet::has(const std::string& name) const {
  return tensors_.count(name) != 0 || aliases_.count(name) != 0;
}

const Tensor* WeightSet::find(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it != tensors_.end()) return &it->second;
  auto a = aliases_.find(name);
  if (a == aliases_.end()) return nullptr;
  it = tensors_.find(a->second);
  return it == tensors_.end() ? nullptr : &it->second;
}

const Tensor& WeightSet::get(const std::string& name) const {
  const Tensor* t = find(name);
  if (!t) throw Error("model has no tensor '" + name + "'");
  return *t;
}

const Tensor& WeightSet::get(const std::string& name, const std::vector<int64_t>& shape) const {
  const Tensor& t = get(name);
  if (t.shape != shape)
    throw Error("tensor '" + name + "' has shape " + shape_string(t.shape) + ", expected " +
                shape_string(shape));
  return t;
}

int64_t WeightSet::parameter_count() const {
  int64_t n = 0;
  for (const auto& [name, t] : tensors_) {
    const bool is_weight = t.dtype == DType::F32 || t.dtype == DType::F16 ||
                           t.dtype == DType::BF16 || t.dtype == DType::I8;
    const bool is_scale = name.size() >= 6 && name.compare(name.size() - 6, 6, "_scale") == 0;
    if (is_weight && !is_scale && !t.shape.empty()) n += t.numel();
  }
  return n;
}

namespace {

// Tensor data may sit at any byte offset of a mapped file, so elements are read with memcpy.
template <typename T>
T load_unaligned(const void* base, size_t i) {
  T v;
  std::memcpy(&v, static_cast<const uint8_t*>(base) + i * sizeof(T), sizeof(T));
  return v;
}

}  // namespace

std::vector<float> to_float32(const Tensor& t) {
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<float> out(n);
  if (n != 0 && !t.data) throw Error("tensor '" + t.name + "' has no data");
  switch (t.dtype) {
    case DType::F32:
      if (n) std::memcpy(out.data(), t.data, n * 4);
      break;
    case DType::F16:
      for (size_t i = 0; i < n; ++i) out[i] = fp16_to_fp32(load_unaligned<uint16_t>(t.data, i));
      break;
    case DType::BF16:
      for (size_t i = 0; i < n; ++i) out[i] = bf16_to_fp32(load_unaligned<uint16_t>(t.data, i));
      break;
    case DType::I8: {
      const auto* q = static_cast<const int8_t*>(t.data);
      if (!t.scale) {  // plain int8 (e.g. a flag scalar): the values themselves
        for (size_t i = 0; i < n; ++i) out[i] = q[i];
        break;
      }
      if (t.shape.empty() || t.shape[0] == 0) break;
      const size_t rows = static_cast<size_t>(t.shape[0]);
      const size_t cols = n / rows;
      for (size_t r = 0; r < rows; ++r) {
        const float s = load_unaligned<float>(t.scale, r);
        for (size_t c = 0; c < cols; ++c)
          out[r * cols + c] = static_cast<float>(q[r * cols + c]) / s;
      }
      break;
    }
    case DType::I16:
      for (size_t i = 0; i < n; ++i) out[i] = load_unaligned<int16_t>(t.data, i);
      break;
    case DType::I32:
      for (size_t i = 0; i < n; ++i)
        out[i] = static_cast<float>(load_unaligned<int32_t>(t.data, i));
      break;
  }
  return out;
}

}  // namespace tessera
