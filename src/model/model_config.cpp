#include "model/model_config.h"

#include <cmath>

#include "tessera/error.h"

namespace tessera {

std::string ModelConfig::family_name() const {
  const bool standard_ctx = n_audio_ctx == 1500 && n_text_ctx == 448 &&
                            n_audio_state == n_text_state && n_audio_head == n_text_head;
  if (!standard_ctx) return "custom";
  struct Size {
    const char* name;
    int d, layers, heads;
  };
  static constexpr Size kSizes[] = {
      {"tiny", 384, 4, 6}, {"base", 512, 6, 8}, {"small", 768, 12, 12}, {"medium", 1024, 24, 16}};
  for (const Size& s : kSizes) {
    if (n_audio_state != s.d || n_audio_layer != s.layers || n_text_layer != s.layers ||
        n_audio_head != s.heads || n_mels != 80)
      continue;
    if (n_vocab == 51864) return std::string(s.name) + ".en";
    if (n_vocab == 51865) return s.name;
    return "custom";
  }
  if (n_audio_state == 1280 && n_audio_layer == 32 && n_audio_head == 20) {
    // large-v1 and large-v2 share every shape; the v2 name is the one users mean today.
    if (n_mels == 80 && n_vocab == 51865 && n_text_layer == 32) return "large-v2";
    if (n_mels == 128 && n_vocab == 51866 && n_text_layer == 32) return "large-v3";
    if (n_mels == 128 && n_vocab == 51866 && n_text_layer == 4) return "large-v3-turbo";
  }
  return "custom";
}

namespace model {
namespace {

bool parse_layer_index(const std::string& name, const std::string& prefix, int& index) {
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  size_t i = prefix.size();
  int64_t v = 0;
  size_t digits = 0;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') {
    v = v * 10 + (name[i] - '0');
    if (++digits > 6) return false;
    ++i;
  }
  if (digits == 0 || i >= name.size() || name[i] != '/') return false;
  index = static_cast<int>(v);
  return true;
}

int count_layers(const WeightSet& w, const std::string& prefix, const std::string& where) {
  int count = 0;
  for (const auto& [name, t] : w.all()) {
    int i = 0;
    if (parse_layer_index(name, prefix, i)) count = std::max(count, i + 1);
  }
  if (count > 10000) throw Error(where + ": implausible layer count under '" + prefix + "'");
  return count;
}

const Tensor& require(const WeightSet& w, const std::string& name, const std::string& where) {
  const Tensor* t = w.find(name);
  if (!t) throw Error(where + ": required tensor '" + name + "' is missing");
  return *t;
}

int dim_of(const Tensor& t, size_t axis, size_t rank, const std::string& where) {
  if (t.shape.size() != rank)
    throw Error(where + ": tensor '" + t.name + "' has shape " + shape_string(t.shape) +
                ", expected rank " + std::to_string(rank));
  if (t.shape[axis] <= 0 || t.shape[axis] > (int64_t{1} << 30))
    throw Error(where + ": tensor '" + t.name + "' has an implausible dimension in " +
                shape_string(t.shape));
  return static_cast<int>(t.shape[axis]);
}

// Integer scalar tensor (e.g. encoder/num_heads, int16 rank 0), or -1 when absent.
int scalar_int(const WeightSet& w, const std::string& name, const std::string& where) {
  const Tensor* t = w.find(name);
  if (!t) return -1;
  if (t->numel() != 1 || t->dtype == DType::I8)
    throw Error(where + ": '" + name + "' should be one int16/int32 value, found " +
                std::string(dtype_name(t->dtype)) + " " + shape_string(t->shape));
  const float v = to_float32(*t)[0];
  if (!(v >= 1 && v <= 4096) || v != std::floor(v))
    throw Error(where + ": '" + name + "' = " + std::to_string(v) + " is not a valid head count");
  return static_cast<int>(v);
}

// config.json value that must be a positive integer when present; -1 when absent.
int json_int(const nlohmann::json* j, const char* key, const std::string& config_path) {
  if (!j || !j->is_object() || !j->contains(key) || (*j)[key].is_null()) return -1;
  const nlohmann::json& v = (*j)[key];
  if (!v.is_number_integer() || v.get<int64_t>() <= 0 || v.get<int64_t>() > (int64_t{1} << 30))
    throw Error(config_path + ": field '" + key + "' must be a positive integer, found " +
                v.dump());
  return static_cast<int>(v.get<int64_t>());
}

void agree(const nlohmann::json* j, const char* key, int from_tensors, const std::string& tensor,
           const std::string& config_path) {
  const int v = json_int(j, key, config_path);
  if (v >= 0 && v != from_tensors)
    throw Error(config_path + ": field '" + key + "' = " + std::to_string(v) + " contradicts " +
                tensor + " (" + std::to_string(from_tensors) + ")");
}

int heads(const WeightSet& w, const nlohmann::json* j, const char* scalar, const char* key,
          const std::string& where, const std::string& config_path) {
  const int from_scalar = scalar_int(w, scalar, where);
  const int from_json = json_int(j, key, config_path);
  if (from_scalar > 0 && from_json > 0 && from_scalar != from_json)
    throw Error(config_path + ": field '" + key + "' = " + std::to_string(from_json) +
                " contradicts tensor '" + scalar + "' (" + std::to_string(from_scalar) + ")");
  if (from_scalar > 0) return from_scalar;
  if (from_json > 0) return from_json;
  throw Error(where + ": cannot tell the number of heads: no '" + scalar + "' tensor and no '" +
              key + "' in config.json");
}

}  // namespace

ModelConfig derive_config(const WeightSet& w, const nlohmann::json* j, const std::string& where,
                          const std::string& config_path) {
  ModelConfig c;
  const Tensor& conv1 = require(w, "encoder/conv1/weight", where);
  c.n_audio_state = dim_of(conv1, 0, 3, where);
  c.n_mels = dim_of(conv1, 1, 3, where);
  c.n_audio_ctx = dim_of(require(w, "encoder/position_encodings/encodings", where), 0, 2, where);
  c.n_audio_layer = count_layers(w, "encoder/layer_", where);
  const Tensor& emb = require(w, "decoder/embeddings/weight", where);
  c.n_vocab = dim_of(emb, 0, 2, where);
  c.n_text_state = dim_of(emb, 1, 2, where);
  c.n_text_ctx = dim_of(require(w, "decoder/position_encodings/encodings", where), 0, 2, where);
  c.n_text_layer = count_layers(w, "decoder/layer_", where);
  c.n_audio_head = heads(w, j, "encoder/num_heads", "encoder_attention_heads", where, config_path);
  c.n_text_head = heads(w, j, "decoder/num_heads", "decoder_attention_heads", where, config_path);

  if (c.n_audio_layer == 0) throw Error(where + ": no encoder layers (encoder/layer_0/...)");
  if (c.n_text_layer == 0) throw Error(where + ": no decoder layers (decoder/layer_0/...)");
  if (c.n_audio_state % c.n_audio_head != 0)
    throw Error(where + ": encoder width " + std::to_string(c.n_audio_state) +
                " is not divisible by its " + std::to_string(c.n_audio_head) + " heads");
  if (c.n_text_state % c.n_text_head != 0)
    throw Error(where + ": decoder width " + std::to_string(c.n_text_state) +
                " is not divisible by its " + std::to_string(c.n_text_head) + " heads");
  if (c.n_text_state != c.n_audio_state)
    throw Error(where + ": decoder width " + std::to_string(c.n_text_state) +
                " differs from encoder width " + std::to_string(c.n_audio_state));

  agree(j, "d_model", c.n_audio_state, "tensor 'encoder/conv1/weight' dim 0", config_path);
  agree(j, "num_mel_bins", c.n_mels, "tensor 'encoder/conv1/weight' dim 1", config_path);
  agree(j, "max_source_positions", c.n_audio_ctx,
        "tensor 'encoder/position_encodings/encodings' dim 0", config_path);
  agree(j, "encoder_layers", c.n_audio_layer, "the number of encoder/layer_* tensors", config_path);
  agree(j, "decoder_layers", c.n_text_layer, "the number of decoder/layer_* tensors", config_path);
  agree(j, "vocab_size", c.n_vocab, "tensor 'decoder/embeddings/weight' dim 0", config_path);
  agree(j, "max_target_positions", c.n_text_ctx,
        "tensor 'decoder/position_encodings/encodings' dim 0", config_path);
  const std::string ffn_name = "encoder/layer_0/ffn/linear_0/weight";
  const int ffn = dim_of(require(w, ffn_name, where), 0, 2, where);
  agree(j, "encoder_ffn_dim", ffn, "tensor '" + ffn_name + "' dim 0", config_path);
  const std::string dec_ffn_name = "decoder/layer_0/ffn/linear_0/weight";
  const int dec_ffn = dim_of(require(w, dec_ffn_name, where), 0, 2, where);
  agree(j, "decoder_ffn_dim", dec_ffn, "tensor '" + dec_ffn_name + "' dim 0", config_path);
  return c;
}

void validate_weights(const WeightSet& w, const ModelConfig& c, const std::string& where) {
  auto check = [&](const std::string& name, std::vector<int64_t> shape) {
    const Tensor& t = require(w, name, where);
    if (t.shape != shape)
      throw Error(where + ": tensor '" + name + "' has shape " + shape_string(t.shape) +
                  ", expected " + shape_string(shape) + " for this model's dims");
    const bool is_float = t.dtype == DType::F32 || t.dtype == DType::F16 || t.dtype == DType::BF16;
    if (!is_float && !(t.dtype == DType::I8 && t.scale))
      throw Error(where + ": tensor '" + name + "' has dtype " + std::string(dtype_name(t.dtype)) +
                  (t.dtype == DType::I8 ? " without per-row scales" : ", expected a float type"));
    if (t.numel() > 0 && !t.data) throw Error(where + ": tensor '" + name + "' has no data");
  };
  const int64_t d = c.n_audio_state, V = c.n_vocab;
  auto norm = [&](const std::string& p) {
    check(p + "/gamma", {d});
    check(p + "/beta", {d});
  };
  auto linear = [&](const std::string& p, int64_t out, int64_t in) {
    check(p + "/weight", {out, in});
    check(p + "/bias", {out});
  };
  check("encoder/conv1/weight", {d, c.n_mels, 3});
  check("encoder/conv1/bias", {d});
  check("encoder/conv2/weight", {d, d, 3});
  check("encoder/conv2/bias", {d});
  check("encoder/position_encodings/encodings", {c.n_audio_ctx, d});
  norm("encoder/layer_norm");
  for (int i = 0; i < c.n_audio_layer; ++i) {
    const std::string p = "encoder/layer_" + std::to_string(i) + "/";
    norm(p + "self_attention/layer_norm");
    linear(p + "self_attention/linear_0", 3 * d, d);
    linear(p + "self_attention/linear_1", d, d);
    norm(p + "ffn/layer_norm");
    linear(p + "ffn/linear_0", 4 * d, d);
    linear(p + "ffn/linear_1", d, 4 * d);
  }
  check("decoder/embeddings/weight", {V, d});
  check("decoder/position_encodings/encodings", {c.n_text_ctx, d});
  check("decoder/projection/weight", {V, d});
  norm("decoder/layer_norm");
  for (int i = 0; i < c.n_text_layer; ++i) {
    const std::string p = "decoder/layer_" + std::to_string(i) + "/";
    norm(p + "self_attention/layer_norm");
    linear(p + "self_attention/linear_0", 3 * d, d);
    linear(p + "self_attention/linear_1", d, d);
    norm(p + "attention/layer_norm");
    linear(p + "attention/linear_0", d, d);
    linear(p + "attention/linear_1", 2 * d, d);
    linear(p + "attention/linear_2", d, d);
    norm(p + "ffn/layer_norm");
    linear(p + "ffn/linear_0", 4 * d, d);
    linear(p + "ffn/linear_1", d, 4 * d);
  }
}

}  // namespace model
}  // namespace tessera
