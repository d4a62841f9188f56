#include "model/ct2_loader.h"

#include <map>
#include <memory>
#include <vector>

#include "model/half.h"
#include "runtime/mapped_file.h"

namespace tessera::model {

bool checked_num_bytes(const std::vector<int64_t>& dims, size_t item_size, int64_t& num_bytes) {
  int64_t n = static_cast<int64_t>(item_size);
  for (int64_t d : dims) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return false;
  }
  num_bytes = n;
  return true;
}

namespace {

// A CTranslate2 string: u16 length counting a trailing NUL, the bytes, the NUL.
std::string read_string(ByteReader& r, const std::string& field) {
  const uint16_t len = r.read<uint16_t>(field + " length");
  if (len == 0) r.fail(field, "length 0 (must count the trailing NUL)");
  if (len > kMaxTensorNameBytes)
    r.fail(field, "length " + std::to_string(len) + " exceeds the limit of " +
                      std::to_string(kMaxTensorNameBytes));
  const uint8_t* p = r.take(len, field);
  if (p[len - 1] != 0) r.fail(field, "not NUL-terminated");
  std::string s(reinterpret_cast<const char*>(p), len - 1);
  if (s.find('\0') != std::string::npos) r.fail(field, "contains a NUL byte");
  return s;
}

DType dtype_from_id(ByteReader& r, uint8_t id, const std::string& field) {
  if (id > 5) r.fail(field, "dtype id " + std::to_string(id) + " is not one of 0..5");
  static constexpr DType kIds[] = {DType::F32, DType::I8,  DType::I16,
                                   DType::I32, DType::F16, DType::BF16};
  return kIds[id];
}

// Versions < 4 give an item size instead of a dtype id; CTranslate2 mapped it this way.
DType dtype_from_item_size(ByteReader& r, uint8_t size, const std::string& field) {
  switch (size) {
    case 4:
      return DType::F32;
    case 2:
      return DType::I16;
    case 1:
      return DType::I8;
  }
  r.fail(field, "item size " + std::to_string(size) + " is not 1, 2 or 4");
}

std::string dims_string(const std::vector<int64_t>& dims) {
  return shape_string(dims);
}

Tensor read_variable(ByteReader& r, uint32_t version, uint32_t index) {
  const std::string where = "variable " + std::to_string(index);
  Tensor t;
  t.name = read_string(r, where + " name");
  const std::string field = "variable '" + t.name + "'";
  const uint8_t rank = r.read<uint8_t>(field + " rank");
  if (rank > kMaxTensorRank)
    r.fail(field + " rank",
           std::to_string(rank) + " exceeds the limit of " + std::to_string(kMaxTensorRank));
  t.shape.resize(rank);
  for (uint8_t i = 0; i < rank; ++i) t.shape[i] = r.read<uint32_t>(field + " dims");
  uint64_t num_bytes = 0;
  if (version >= 4) {
    t.dtype = dtype_from_id(r, r.read<uint8_t>(field + " dtype id"), field + " dtype id");
    num_bytes = r.read<uint32_t>(field + " num_bytes");
  } else {
    const uint8_t item_size = r.read<uint8_t>(field + " item size");
    t.dtype = dtype_from_item_size(r, item_size, field + " item size");
    num_bytes = uint64_t{item_size} * r.read<uint32_t>(field + " num_elements");
  }
  int64_t expected = 0;
  if (!checked_num_bytes(t.shape, dtype_size(t.dtype), expected))
    r.fail(field + " dims", dims_string(t.shape) + " overflows");
  if (static_cast<uint64_t>(expected) != num_bytes)
    r.fail(field + " num_bytes", std::to_string(num_bytes) + " but dims " + dims_string(t.shape) +
                                     " of " + std::string(dtype_name(t.dtype)) + " need " +
                                     std::to_string(expected));
  t.data = r.take(num_bytes, field + " data");
  return t;
}

// CTranslate2 stores int8 weights with a per-row float scale named "<weight>_scale".
void attach_int8_scales(const std::string& path, std::map<std::string, Tensor>& vars,
                        std::vector<std::unique_ptr<float[]>>& owned_scales) {
  for (auto& [name, t] : vars) {
    if (t.dtype != DType::I8 || t.shape.empty()) continue;
    auto it = vars.find(name + "_scale");
    if (it == vars.end()) {
      if (name.size() >= 7 && name.compare(name.size() - 7, 7, "/weight") == 0)
        throw Error(path + ": int8 tensor '" + name + "' has no '" + name + "_scale'");
      continue;
    }
    const Tensor& s = it->second;
    if (s.shape != std::vector<int64_t>{t.shape[0]} && !(s.shape.empty() && t.shape[0] == 1))
      throw Error(path + ": '" + s.name + "' has shape " + shape_string(s.shape) + ", expected (" +
                  std::to_string(t.shape[0]) + ",) to match '" + name + "'");
    if (s.dtype == DType::F32) {
      t.scale = static_cast<const float*>(s.data);
    } else if (s.dtype == DType::F16 || s.dtype == DType::BF16) {
      std::vector<float> f = to_float32(s);
      owned_scales.emplace_back(new float[f.size()]);
      std::copy(f.begin(), f.end(), owned_scales.back().get());
      t.scale = owned_scales.back().get();
    } else {
      throw Error(path + ": '" + s.name + "' has dtype " + std::string(dtype_name(s.dtype)) +
                  ", expected a float type");
    }
  }
}

}  // namespace

void load_ct2_weights(const std::string& path, WeightSet& out) {
  std::shared_ptr<const MappedFile> file = MappedFile::open(path);
  ByteReader r(file->data(), file->size(), path);
  const uint32_t version = r.read<uint32_t>("binary_version");
  if (version < 1 || version > 6)
    r.fail("binary_version", std::to_string(version) + " is not supported (1..6)");
  if (version >= 2) {
    const std::string spec = read_string(r, "spec_name");
    r.read<uint32_t>("spec_revision");
    if (spec != "WhisperSpec") r.fail("spec_name", "'" + spec + "' is not a Whisper model");
  }
  const uint32_t num_variables = r.read<uint32_t>("num_variables");
  constexpr size_t kMinVariableBytes = 2 + 1 + 1 + 4;  // empty name, rank 0, dtype, count
  if (num_variables > r.remaining() / kMinVariableBytes)
    r.fail("num_variables", std::to_string(num_variables) + " cannot fit in the " +
                                std::to_string(r.remaining()) + " remaining bytes");
  std::map<std::string, Tensor> vars;
  for (uint32_t i = 0; i < num_variables; ++i) {
    Tensor t = read_variable(r, version, i);
    if (vars.count(t.name)) r.fail("variable '" + t.name + "'", "duplicate name");
    std::string name = t.name;
    vars.emplace(std::move(name), std::move(t));
  }
  std::vector<std::pair<std::string, std::string>> aliases;
  if (version >= 3) {
    const uint32_t num_aliases = r.read<uint32_t>("num_aliases");
    if (num_aliases > r.remaining() / 4)
      r.fail("num_aliases", std::to_string(num_aliases) + " cannot fit in the file");
    for (uint32_t i = 0; i < num_aliases; ++i) {
      const std::string field = "alias " + std::to_string(i);
      const std::string alias = read_string(r, field + " name");
      const std::string target = read_string(r, field + " target");
      if (vars.count(alias)) r.fail(field, "'" + alias + "' duplicates a variable name");
      if (!vars.count(target))
        r.fail(field, "'" + alias + "' points to a missing variable '" + target + "'");
      aliases.emplace_back(alias, target);
      // As CTranslate2 does: the alias of an int8 weight also aliases its scale.
      if (vars.count(target + "_scale")) aliases.emplace_back(alias + "_scale", target + "_scale");
    }
  }
  if (r.remaining() != 0)
    r.fail("end of file", std::to_string(r.remaining()) + " unexpected trailing bytes");
  auto owned_scales = std::make_shared<std::vector<std::unique_ptr<float[]>>>();
  attach_int8_scales(path, vars, *owned_scales);
  try {
    for (auto& [name, t] : vars) out.add(std::move(t));
    for (const auto& [alias, target] : aliases)
      if (!out.has(alias)) out.add_alias(alias, target);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  out.keep_alive(file);
  out.keep_alive(owned_scales);
}

}  // namespace tessera::model
