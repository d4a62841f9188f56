#include "decoder/decoder_weights.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "model/half.h"
#include "tessera/error.h"

namespace tessera::decoder {
namespace {

class Packer {
 public:
  Packer(const Model& m, Device& dev) : w_(m.weights), dev_(dev) {}

  const float* vec(const std::string& name, int64_t n) {
    std::vector<float> v = to_float32(w_.get(name, {n}));
    return dev_.upload(v.data(), v.size());
  }
  // A bias that some exports leave out (openai-whisper's key projections have none).
  const float* optional_vec(const std::string& name, int64_t n) {
    return w_.has(name) ? vec(name, n) : nullptr;
  }
  // Step layers see a few rows per call; the cross-attention K/V projection a window's frames.
  std::unique_ptr<LinearWeights> linear(const std::string& name, int n, int k, int64_t max_rows,
                                        bool few_rows = true) {
    std::vector<float> m = to_float32(w_.get(name, {n, k}));
    return few_rows ? dev_.pack_linear_few_rows(m.data(), n, k, max_rows)
                    : dev_.pack_linear(m.data(), n, k, max_rows);
  }

 private:
  const WeightSet& w_;
  Device& dev_;
};

}  // namespace

DecoderWeights pack_decoder(const Model& model, Device& device, int64_t max_rows) {
  const ModelConfig& c = model.config;
  const int d = c.n_text_state;
  Packer p(model, device);
  DecoderWeights w;
  w.embeddings = &model.weights.get("decoder/embeddings/weight", {c.n_vocab, d});
  {
    std::vector<float> table = to_float32(*w.embeddings);
    w.logits = device.pack_linear_few_rows(table.data(), c.n_vocab, d, max_rows);
  }
  w.positions =
      to_float32(model.weights.get("decoder/position_encodings/encodings", {c.n_text_ctx, d}));
  w.ln_gamma = p.vec("decoder/layer_norm/gamma", d);
  w.ln_beta = p.vec("decoder/layer_norm/beta", d);
  const int64_t kv_rows = std::max<int64_t>(max_rows, c.n_audio_ctx);
  w.layers.resize(c.n_text_layer);
  for (int i = 0; i < c.n_text_layer; ++i) {
    const std::string n = "decoder/layer_" + std::to_string(i) + "/";
    LayerWeights& l = w.layers[i];
    l.self_ln_gamma = p.vec(n + "self_attention/layer_norm/gamma", d);
    l.self_ln_beta = p.vec(n + "self_attention/layer_norm/beta", d);
    l.self_qkv = p.linear(n + "self_attention/linear_0/weight", 3 * d, d, max_rows);
    l.self_qkv_bias = p.optional_vec(n + "self_attention/linear_0/bias", 3 * d);
    l.self_out = p.linear(n + "self_attention/linear_1/weight", d, d, max_rows);
    l.self_out_bias = p.optional_vec(n + "self_attention/linear_1/bias", d);

    l.cross_ln_gamma = p.vec(n + "attention/layer_norm/gamma", d);
    l.cross_ln_beta = p.vec(n + "attention/layer_norm/beta", d);
    l.cross_q = p.linear(n + "attention/linear_0/weight", d, d, max_rows);
    l.cross_q_bias = p.optional_vec(n + "attention/linear_0/bias", d);
    l.cross_kv = p.linear(n + "attention/linear_1/weight", 2 * d, d, kv_rows, false);
    l.cross_kv_bias = p.optional_vec(n + "attention/linear_1/bias", 2 * d);
    l.cross_out = p.linear(n + "attention/linear_2/weight", d, d, max_rows);
    l.cross_out_bias = p.optional_vec(n + "attention/linear_2/bias", d);

    l.mlp_ln_gamma = p.vec(n + "ffn/layer_norm/gamma", d);
    l.mlp_ln_beta = p.vec(n + "ffn/layer_norm/beta", d);
    l.fc1 = p.linear(n + "ffn/linear_0/weight", 4 * d, d, max_rows);
    l.fc1_bias = p.optional_vec(n + "ffn/linear_0/bias", 4 * d);
    l.fc2 = p.linear(n + "ffn/linear_1/weight", d, 4 * d, max_rows);
    l.fc2_bias = p.optional_vec(n + "ffn/linear_1/bias", d);
  }
  return w;
}

void embedding_row(const Tensor& table, int64_t row, float* out) {
  if (table.shape.size() != 2 || row < 0 || row >= table.shape[0])
    throw Error("decoder: embedding row " + std::to_string(row) + " outside " + table.name + " " +
                shape_string(table.shape));
  const int64_t d = table.shape[1];
  const size_t offset = static_cast<size_t>(row * d) * dtype_size(table.dtype);
  const auto* src = static_cast<const unsigned char*>(table.data) + offset;
  switch (table.dtype) {
    case DType::F32:
      std::memcpy(out, src, static_cast<size_t>(d) * sizeof(float));
      return;
    case DType::F16:
    case DType::BF16:
      for (int64_t i = 0; i < d; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        out[i] = table.dtype == DType::F16 ? fp16_to_fp32(h) : f32_from_bits(uint32_t{h} << 16);
      }
      return;
    case DType::I8: {
      float scale;
      if (!table.scale) throw Error("decoder: int8 table " + table.name + " has no scales");
      std::memcpy(&scale, table.scale + row, sizeof(float));
      for (int64_t i = 0; i < d; ++i)
        out[i] = static_cast<float>(static_cast<int8_t>(src[i])) / scale;
      return;
    }
    default:
      throw Error("decoder: embedding table " + table.name + " has unsupported dtype " +
                  std::string(dtype_name(table.dtype)));
  }
}

}  // namespace tessera::decoder
