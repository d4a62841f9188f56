// The encoder's weights converted and packed once, at load time, for the fp32 kernels.
#pragma once

#include <vector>

#include "kernels/f32_ops.h"
#include "tessera/model.h"

namespace tessera::encoder {

struct LayerWeightsF32 {
  std::vector<float> attn_ln_gamma, attn_ln_beta;
  kernels::PackedF32 qkv;  // (3d x d): q;k;v
  std::vector<float> qkv_bias;
  kernels::PackedF32 out;
  std::vector<float> out_bias;
  std::vector<float> mlp_ln_gamma, mlp_ln_beta;
  kernels::PackedF32 fc1;  // (4d x d)
  std::vector<float> fc1_bias;
  kernels::PackedF32 fc2;  // (d x 4d)
  std::vector<float> fc2_bias;
};

struct EncoderWeightsF32 {
  // Convolutions as GEMMs over time-major input: weight columns reordered tap-major
  // (column j*C + c holds W[o, c, j]) so three consecutive input rows form one GEMM row.
  kernels::PackedF32 conv1, conv2;
  std::vector<float> conv1_bias, conv2_bias;
  std::vector<float> positions;  // (1500 x d)
  std::vector<LayerWeightsF32> layers;
  std::vector<float> ln_post_gamma, ln_post_beta;
};

EncoderWeightsF32 pack_encoder_f32(const Model& model);

}  // namespace tessera::encoder
