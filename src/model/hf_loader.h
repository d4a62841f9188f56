// Hugging Face Whisper checkpoints: model.safetensors (or sharded model-*.safetensors with
// model.safetensors.index.json) + config.json, mapped onto canonical CTranslate2 names.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tessera/model.h"

namespace tessera::model {

// Real Whisper headers are < 1 MB; the cap bounds what a hostile header can make the JSON parser
// allocate (a parsed value costs several times its text).
constexpr uint64_t kMaxSafetensorsHeaderBytes = 16u << 20;

// Parses one .safetensors file into `out` under the file's own names (no renaming). Validates the
// header length, JSON, dtypes, shapes, data_offsets (in range, matching the byte count, not
// overlapping) against the file size.
void load_safetensors(const std::string& path, WeightSet& out);

// Renames and fuses HF tensors (q/k/v -> linear_0 ...) into canonical names. `config` is the HF
// config.json (used for head counts, stored as encoder/num_heads and decoder/num_heads scalars).
WeightSet map_hf_to_canonical(const WeightSet& hf, const nlohmann::json& config,
                              const std::string& where, const std::string& config_path);

// Sharded checkpoints: reads model.safetensors.index.json ({"weight_map": {tensor: shard file}}),
// loads every shard it names (plain file names in the same folder) and checks that each listed
// tensor is in the shard the index says.
void load_sharded_safetensors(const std::string& index_path, WeightSet& out);

}  // namespace tessera::model
