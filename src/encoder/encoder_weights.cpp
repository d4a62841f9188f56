#include "encoder/encoder_weights.h"

#include <string>

namespace tessera::encoder {
namespace {

std::vector<float> load(const WeightSet& w, const std::string& name, std::vector<int64_t> shape) {
  return to_float32(w.get(name, shape));
}

kernels::PackedF32 pack_linear(const WeightSet& w, const std::string& name, int n, int k) {
  std::vector<float> m = load(w, name, {n, k});
  return kernels::pack_f32(m.data(), n, k);
}

// (out, in, 3) PyTorch conv weight -> (out x 3*in) with tap-major columns.
kernels::PackedF32 pack_conv(const WeightSet& w, const std::string& name, int out, int in) {
  std::vector<float> src = load(w, name, {out, in, 3});
  std::vector<float> dst(src.size());
  for (int o = 0; o < out; ++o)
    for (int c = 0; c < in; ++c)
      for (int j = 0; j < 3; ++j)
        dst[(static_cast<size_t>(o) * 3 + j) * in + c] = src[(static_cast<size_t>(o) * in + c) * 3 + j];
  return kernels::pack_f32(dst.data(), out, 3 * in);
}

}  // namespace

EncoderWeightsF32 pack_encoder_f32(const Model& model) {
  const WeightSet& w = model.weights;
  const ModelConfig& c = model.config;
  const int d = c.n_audio_state;
  EncoderWeightsF32 e;
  e.conv1 = pack_conv(w, "encoder/conv1/weight", d, c.n_mels);
  e.conv1_bias = load(w, "encoder/conv1/bias", {d});
  e.conv2 = pack_conv(w, "encoder/conv2/weight", d, d);
  e.conv2_bias = load(w, "encoder/conv2/bias", {d});
  e.positions = load(w, "encoder/position_encodings/encodings", {c.n_audio_ctx, d});
  e.ln_post_gamma = load(w, "encoder/layer_norm/gamma", {d});
  e.ln_post_beta = load(w, "encoder/layer_norm/beta", {d});
  e.layers.resize(c.n_audio_layer);
  for (int i = 0; i < c.n_audio_layer; ++i) {
    const std::string p = "encoder/layer_" + std::to_string(i) + "/";
    LayerWeightsF32& l = e.layers[i];
    l.attn_ln_gamma = load(w, p + "self_attention/layer_norm/gamma", {d});
    l.attn_ln_beta = load(w, p + "self_attention/layer_norm/beta", {d});
    l.qkv = pack_linear(w, p + "self_attention/linear_0/weight", 3 * d, d);
    l.qkv_bias = load(w, p + "self_attention/linear_0/bias", {3 * d});
    l.out = pack_linear(w, p + "self_attention/linear_1/weight", d, d);
    l.out_bias = load(w, p + "self_attention/linear_1/bias", {d});
    l.mlp_ln_gamma = load(w, p + "ffn/layer_norm/gamma", {d});
    l.mlp_ln_beta = load(w, p + "ffn/layer_norm/beta", {d});
    l.fc1 = pack_linear(w, p + "ffn/linear_0/weight", 4 * d, d);
    l.fc1_bias = load(w, p + "ffn/linear_0/bias", {4 * d});
    l.fc2 = pack_linear(w, p + "ffn/linear_1/weight", d, 4 * d);
    l.fc2_bias = load(w, p + "ffn/linear_1/bias", {d});
  }
  return e;
}

}  // namespace tessera::encoder
