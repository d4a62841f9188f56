// The decoder's weights, converted and packed once at load time by the device that runs them.
#pragma once

#include <memory>
#include <vector>

#include "runtime/device.h"
#include "tessera/model.h"

namespace tessera::decoder {

struct LayerWeights {
  const float *self_ln_gamma, *self_ln_beta;
  std::unique_ptr<LinearWeights> self_qkv;  // (3d x d): q;k;v
  const float* self_qkv_bias;               // nullptr: none
  std::unique_ptr<LinearWeights> self_out;
  const float* self_out_bias;

  const float *cross_ln_gamma, *cross_ln_beta;
  std::unique_ptr<LinearWeights> cross_q;
  const float* cross_q_bias;
  std::unique_ptr<LinearWeights> cross_kv;  // (2d x d): k;v, applied to the encoder output
  const float* cross_kv_bias;
  std::unique_ptr<LinearWeights> cross_out;
  const float* cross_out_bias;

  const float *mlp_ln_gamma, *mlp_ln_beta;
  std::unique_ptr<LinearWeights> fc1;  // (4d x d)
  const float* fc1_bias;
  std::unique_ptr<LinearWeights> fc2;  // (d x 4d)
  const float* fc2_bias;
};

struct DecoderWeights {
  std::vector<LayerWeights> layers;
  const float *ln_gamma, *ln_beta;
  std::vector<float> positions;           // (n_text_ctx x d), host
  std::unique_ptr<LinearWeights> logits;  // the token embedding (n_vocab x d) as a linear layer
  const Tensor* embeddings = nullptr;     // stored table; rows are converted on lookup
};

// max_rows: the most rows any decoder linear layer will see (step rows or n_audio_ctx).
DecoderWeights pack_decoder(const Model& model, Device& device, int64_t max_rows);

// Row `row` of an embedding table in any stored dtype, as float32 (d values into out).
void embedding_row(const Tensor& table, int64_t row, float* out);

}  // namespace tessera::decoder
