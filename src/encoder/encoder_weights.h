// The encoder's weights, converted and packed once at load time by the device that runs them.
#pragma once

#include <memory>
#include <vector>

#include "runtime/device.h"
#include "tessera/model.h"

namespace tessera::encoder {

struct LayerWeights {
  const float *attn_ln_gamma, *attn_ln_beta;
  std::unique_ptr<LinearWeights> qkv;  // (3d x d): q;k;v
  const float* qkv_bias;
  std::unique_ptr<LinearWeights> out;
  const float* out_bias;
  const float *mlp_ln_gamma, *mlp_ln_beta;
  std::unique_ptr<LinearWeights> fc1;  // (4d x d)
  const float* fc1_bias;
  std::unique_ptr<LinearWeights> fc2;  // (d x 4d)
  const float* fc2_bias;
};

struct EncoderWeights {
  // Convolutions as linear layers over time-major input: weight columns reordered tap-major
  // (column j*C + c holds W[o, c, j]) so three consecutive input rows form one GEMM row.
  std::unique_ptr<LinearWeights> conv1, conv2;
  const float *conv1_bias, *conv2_bias;
  const float* positions;  // (1500 x d)
  std::vector<LayerWeights> layers;
  const float *ln_post_gamma, *ln_post_beta;
};

// max_rows: the most rows (frames x windows) any encoder linear layer will see.
EncoderWeights pack_encoder(const Model& model, Device& device, int max_batch);

}  // namespace tessera::encoder
