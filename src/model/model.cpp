// Model::load: detects the folder's format, loads the weights under canonical names, derives and
// checks the configuration, and reads the decoding hints from config.json.
#include <chrono>
#include <filesystem>

#include "model/ct2_loader.h"
#include "model/hf_loader.h"
#include "model/json_file.h"
#include "model/model_config.h"
#include "tessera/error.h"

namespace tessera {
namespace {

namespace fs = std::filesystem;

std::vector<int> token_list(const nlohmann::json& j, const char* key, const ModelConfig& c,
                            const std::string& config_path) {
  std::vector<int> ids;
  if (!j.contains(key) || j[key].is_null()) return ids;
  const nlohmann::json& v = j[key];
  if (!v.is_array()) throw Error(config_path + ": field '" + key + "' must be an array");
  for (const nlohmann::json& e : v) {
    if (!e.is_number_integer() || e.get<int64_t>() < 0 || e.get<int64_t>() >= c.n_vocab)
      throw Error(config_path + ": field '" + key + "' holds " + e.dump() +
                  ", not a token id in [0, " + std::to_string(c.n_vocab) + ")");
    ids.push_back(static_cast<int>(e.get<int64_t>()));
  }
  return ids;
}

std::vector<std::vector<int>> head_pairs(const nlohmann::json& j, const ModelConfig& c,
                                         const std::string& config_path) {
  std::vector<std::vector<int>> pairs;
  if (!j.contains("alignment_heads") || j["alignment_heads"].is_null()) return pairs;
  const nlohmann::json& v = j["alignment_heads"];
  if (!v.is_array()) throw Error(config_path + ": field 'alignment_heads' must be an array");
  for (const nlohmann::json& e : v) {
    const bool ok = e.is_array() && e.size() == 2 && e[0].is_number_integer() &&
                    e[1].is_number_integer() && e[0].get<int64_t>() >= 0 &&
                    e[0].get<int64_t>() < c.n_text_layer && e[1].get<int64_t>() >= 0 &&
                    e[1].get<int64_t>() < c.n_text_head;
    if (!ok)
      throw Error(config_path + ": field 'alignment_heads' holds " + e.dump() +
                  ", not a [layer, head] pair within " + std::to_string(c.n_text_layer) +
                  " layers x " + std::to_string(c.n_text_head) + " heads");
    pairs.push_back({static_cast<int>(e[0].get<int64_t>()), static_cast<int>(e[1].get<int64_t>())});
  }
  return pairs;
}

}  // namespace

std::shared_ptr<const Model> Model::load(const std::string& dir) {
  const auto start = std::chrono::steady_clock::now();
  auto m = std::make_shared<Model>();
  m->dir = dir;
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw Error(dir + ": not a model folder (no such directory)");
  const std::string config_path = (root / "config.json").string();
  const bool has_config = fs::exists(config_path, ec);
  nlohmann::json config;
  if (has_config) config = model::read_json_file(config_path);

  if (fs::exists(root / "model.bin", ec)) {
    m->format = ModelFormat::CTranslate2;
    model::load_ct2_weights((root / "model.bin").string(), m->weights);
  } else if (fs::exists(root / "model.safetensors", ec) ||
             fs::exists(root / "model.safetensors.index.json", ec)) {
    m->format = ModelFormat::SafeTensors;
    if (!has_config) throw Error(dir + ": a Hugging Face model needs a config.json beside it");
    WeightSet hf;
    std::string weights_path = (root / "model.safetensors").string();
    if (fs::exists(weights_path, ec)) {
      model::load_safetensors(weights_path, hf);
    } else {
      weights_path = (root / "model.safetensors.index.json").string();
      model::load_sharded_safetensors(weights_path, hf);
    }
    m->weights = model::map_hf_to_canonical(hf, config, weights_path, config_path);
  } else {
    throw Error(
        dir +
        ": no model.bin (CTranslate2) or model.safetensors[.index.json] (Hugging Face) found");
  }
  // Tied output projection: CTranslate2 stores it as an alias; restore it if a file omits it.
  if (!m->weights.has("decoder/projection/weight") && m->weights.has("decoder/embeddings/weight"))
    m->weights.add_alias("decoder/projection/weight", "decoder/embeddings/weight");

  m->config = model::derive_config(m->weights, has_config ? &config : nullptr, dir, config_path);
  model::validate_weights(m->weights, m->config, dir);
  m->stored_dtype = m->weights.get("encoder/layer_0/self_attention/linear_0/weight").dtype;

  if (has_config) {
    // CTranslate2 spells these suppress_ids / suppress_ids_begin; Hugging Face suppress_tokens /
    // begin_suppress_tokens.
    const bool ct2 = m->format == ModelFormat::CTranslate2;
    m->suppress_ids =
        token_list(config, ct2 ? "suppress_ids" : "suppress_tokens", m->config, config_path);
    m->suppress_ids_begin = token_list(config, ct2 ? "suppress_ids_begin" : "begin_suppress_tokens",
                                       m->config, config_path);
    m->alignment_heads = head_pairs(config, m->config, config_path);
  }
  if (m->format == ModelFormat::SafeTensors && m->alignment_heads.empty()) {
    const fs::path gen = root / "generation_config.json";
    if (fs::exists(gen, ec)) {
      const nlohmann::json g = model::read_json_file(gen.string());
      m->alignment_heads = head_pairs(g, m->config, gen.string());
      if (m->suppress_ids.empty())
        m->suppress_ids = token_list(g, "suppress_tokens", m->config, gen.string());
      if (m->suppress_ids_begin.empty())
        m->suppress_ids_begin = token_list(g, "begin_suppress_tokens", m->config, gen.string());
    }
  }
  m->load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return m;
}

}  // namespace tessera
