// model.safetensors: u64 header length, a JSON header {name: {dtype, shape, data_offsets}}, then
// the data block. Everything in the header is checked against the file before any tensor is used.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "model/ct2_loader.h"
#include "model/hf_loader.h"
#include "model/json_file.h"
#include "runtime/mapped_file.h"

namespace tessera::model {
namespace {

bool dtype_from_string(const std::string& s, DType& t) {
  static const std::pair<const char*, DType> kTypes[] = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16},
      {"I8", DType::I8},   {"I16", DType::I16}, {"I32", DType::I32}};
  for (const auto& [name, type] : kTypes)
    if (s == name) {
      t = type;
      return true;
    }
  return false;
}

struct Span {
  uint64_t begin, end;
  std::string name;
};

}  // namespace

void load_safetensors(const std::string& path, WeightSet& out) {
  std::shared_ptr<const MappedFile> file = MappedFile::open(path);
  ByteReader r(file->data(), file->size(), path);
  const uint64_t header_len = r.read<uint64_t>("header length");
  if (header_len > kMaxSafetensorsHeaderBytes)
    r.fail("header length", std::to_string(header_len) + " exceeds the limit of " +
                                std::to_string(kMaxSafetensorsHeaderBytes) + " bytes");
  if (header_len < 2) r.fail("header length", std::to_string(header_len) + " is too small");
  const char* text = reinterpret_cast<const char*>(r.take(header_len, "header"));
  const uint8_t* data = file->data() + r.offset();
  const uint64_t data_size = r.remaining();

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + header_len);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": header: invalid JSON: " + e.what());
  }
  if (!header.is_object()) throw Error(path + ": header: not a JSON object");

  std::vector<Span> spans;
  std::vector<Tensor> tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw Error(path + ": header: '__metadata__' is not an object");
      continue;
    }
    const std::string field = path + ": tensor '" + name + "'";
    if (name.empty() || name.size() > kMaxTensorNameBytes)
      throw Error(path + ": header: tensor name of " + std::to_string(name.size()) +
                  " bytes (must be 1.." + std::to_string(kMaxTensorNameBytes) + ")");
    if (!entry.is_object()) throw Error(field + ": entry is not an object");
    Tensor t;
    t.name = name;
    if (!entry.contains("dtype") || !entry["dtype"].is_string())
      throw Error(field + ": field 'dtype' missing or not a string");
    if (!dtype_from_string(entry["dtype"].get<std::string>(), t.dtype))
      throw Error(field + ": field 'dtype' = " + entry["dtype"].dump() +
                  " is not supported (F32, F16, BF16, I8, I16, I32)");
    if (!entry.contains("shape") || !entry["shape"].is_array())
      throw Error(field + ": field 'shape' missing or not an array");
    if (entry["shape"].size() > static_cast<size_t>(kMaxTensorRank))
      throw Error(field + ": field 'shape' has rank " + std::to_string(entry["shape"].size()) +
                  ", more than " + std::to_string(kMaxTensorRank));
    for (const nlohmann::json& d : entry["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t{1} << 40))
        throw Error(field + ": field 'shape' holds " + d.dump() + ", not a dimension");
      t.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    }
    int64_t nbytes = 0;
    if (!checked_num_bytes(t.shape, dtype_size(t.dtype), nbytes))
      throw Error(field + ": field 'shape' " + shape_string(t.shape) + " overflows");
    const nlohmann::json& off = entry.contains("data_offsets") ? entry["data_offsets"] : nullptr;
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      throw Error(field + ": field 'data_offsets' must be [begin, end]");
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > data_size)
      throw Error(field + ": field 'data_offsets' [" + std::to_string(begin) + ", " +
                  std::to_string(end) + "] is outside the " + std::to_string(data_size) +
                  "-byte data block");
    if (end - begin != static_cast<uint64_t>(nbytes))
      throw Error(field + ": field 'data_offsets' span " + std::to_string(end - begin) +
                  " bytes but shape " + shape_string(t.shape) + " of " +
                  std::string(dtype_name(t.dtype)) + " needs " + std::to_string(nbytes));
    t.data = data + begin;
    spans.push_back({begin, end, name});
    tensors.push_back(std::move(t));
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
  });
  // As the safetensors format requires, tensors tile the data block exactly: no overlap, no gap,
  // nothing after the last one. This also catches a header length that is off by a few bytes.
  uint64_t covered = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i > 0 && spans[i].begin < spans[i - 1].end)
      throw Error(path + ": field 'data_offsets' of tensors '" + spans[i - 1].name + "' and '" +
                  spans[i].name + "' overlap");
    if (spans[i].begin != covered)
      throw Error(path + ": field 'data_offsets' of tensor '" + spans[i].name + "' starts at " +
                  std::to_string(spans[i].begin) + ", leaving a gap after byte " +
                  std::to_string(covered) + " of the data block");
    covered = spans[i].end;
  }
  if (covered != data_size)
    throw Error(path + ": the data block has " + std::to_string(data_size) +
                " bytes but the header's tensors cover " + std::to_string(covered) +
                " (header length or data_offsets wrong?)");
  for (Tensor& t : tensors) {
    if (out.has(t.name)) throw Error(path + ": tensor '" + t.name + "' appears twice");
    out.add(std::move(t));
  }
  out.keep_alive(file);
}

}  // namespace tessera::model

namespace tessera::model {

void load_sharded_safetensors(const std::string& index_path, WeightSet& out) {
  const nlohmann::json index = read_json_file(index_path);
  if (!index.contains("weight_map") || !index["weight_map"].is_object())
    throw Error(index_path + ": field 'weight_map' missing or not an object");
  const std::filesystem::path folder = std::filesystem::path(index_path).parent_path();
  std::map<std::string, std::vector<std::string>> by_shard;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string())
      throw Error(index_path + ": field 'weight_map' entry '" + name + "' is not a file name");
    const std::string file = shard.get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
      throw Error(index_path + ": field 'weight_map' entry '" + name + "' names '" + file +
                  "', not a file in the same folder");
    by_shard[file].push_back(name);
  }
  if (by_shard.empty()) throw Error(index_path + ": field 'weight_map' is empty");
  for (const auto& [file, names] : by_shard) {
    const std::string shard_path = (folder / file).string();
    WeightSet shard;
    load_safetensors(shard_path, shard);
    for (const std::string& n : names)
      if (!shard.has(n)) throw Error(index_path + ": tensor '" + n + "' is not in " + shard_path);
    for (const auto& [name, t] : shard.all()) {
      if (out.has(name)) throw Error(shard_path + ": tensor '" + name + "' is in two shards");
      out.add(t);
    }
    for (const auto& s : shard.storage()) out.keep_alive(s);
  }
}

}  // namespace tessera::model
