#include "encoder/encoder_weights.h"

#include <string>

namespace tessera::encoder {
namespace {

class Packer {
 public:
  Packer(const Model& m, Device& dev) : w_(m.weights), dev_(dev) {}

  const float* vec(const std::string& name, int64_t n) {
    std::vector<float> v = to_float32(w_.get(name, {n}));
    return dev_.upload(v.data(), v.size());
  }
  const float* matrix(const std::string& name, int64_t rows, int64_t cols) {
    std::vector<float> v = to_float32(w_.get(name, {rows, cols}));
    return dev_.upload(v.data(), v.size());
  }
  std::unique_ptr<LinearWeights> linear(const std::string& name, int n, int k, int64_t max_rows) {
    std::vector<float> m = to_float32(w_.get(name, {n, k}));
    return dev_.pack_linear(m.data(), n, k, max_rows);
  }
  // (out, in, 3) PyTorch conv weight -> linear (out x 3*in) with tap-major columns.
  std::unique_ptr<LinearWeights> conv(const std::string& name, int out, int in, int64_t max_rows) {
    std::vector<float> src = to_float32(w_.get(name, {out, in, 3}));
    std::vector<float> dst(src.size());
    for (size_t o = 0; o < static_cast<size_t>(out); ++o)
      for (size_t c = 0; c < static_cast<size_t>(in); ++c)
        for (size_t j = 0; j < 3; ++j) dst[(o * 3 + j) * in + c] = src[(o * in + c) * 3 + j];
    return dev_.pack_linear(dst.data(), out, 3 * in, max_rows);
  }

 private:
  const WeightSet& w_;
  Device& dev_;
};

}  // namespace

EncoderWeights pack_encoder(const Model& model, Device& device, int max_batch) {
  const ModelConfig& c = model.config;
  const int d = c.n_audio_state;
  const int64_t rows = static_cast<int64_t>(max_batch) * c.n_audio_ctx;
  Packer p(model, device);
  EncoderWeights e;
  e.conv1 = p.conv("encoder/conv1/weight", d, c.n_mels, 2 * c.n_audio_ctx);
  e.conv1_bias = p.vec("encoder/conv1/bias", d);
  e.conv2 = p.conv("encoder/conv2/weight", d, d, c.n_audio_ctx);
  e.conv2_bias = p.vec("encoder/conv2/bias", d);
  e.positions = p.matrix("encoder/position_encodings/encodings", c.n_audio_ctx, d);
  e.ln_post_gamma = p.vec("encoder/layer_norm/gamma", d);
  e.ln_post_beta = p.vec("encoder/layer_norm/beta", d);
  e.layers.resize(c.n_audio_layer);
  for (int i = 0; i < c.n_audio_layer; ++i) {
    const std::string n = "encoder/layer_" + std::to_string(i) + "/";
    LayerWeights& l = e.layers[i];
    l.attn_ln_gamma = p.vec(n + "self_attention/layer_norm/gamma", d);
    l.attn_ln_beta = p.vec(n + "self_attention/layer_norm/beta", d);
    l.qkv = p.linear(n + "self_attention/linear_0/weight", 3 * d, d, rows);
    l.qkv_bias = p.vec(n + "self_attention/linear_0/bias", 3 * d);
    l.out = p.linear(n + "self_attention/linear_1/weight", d, d, rows);
    l.out_bias = p.vec(n + "self_attention/linear_1/bias", d);
    l.mlp_ln_gamma = p.vec(n + "ffn/layer_norm/gamma", d);
    l.mlp_ln_beta = p.vec(n + "ffn/layer_norm/beta", d);
    l.fc1 = p.linear(n + "ffn/linear_0/weight", 4 * d, d, rows);
    l.fc1_bias = p.vec(n + "ffn/linear_0/bias", 4 * d);
    l.fc2 = p.linear(n + "ffn/linear_1/weight", d, 4 * d, rows);
    l.fc2_bias = p.vec(n + "ffn/linear_1/bias", d);
  }
  return e;
}

}  // namespace tessera::encoder
