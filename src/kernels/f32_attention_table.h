// The f32 flash-attention microkernel family. An entry computes one (head, query block) task:
// it streams K/V in tiles with an online softmax and never stores a t x t matrix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tessera::kernels {

// One head: q, k, v, out point at the head's first column; rows have strides ld*.
struct F32AttentionHead {
  int t = 0, d_head = 0;
  const float* q = nullptr;
  int64_t ldq = 0;
  const float* k = nullptr;
  int64_t ldk = 0;
  const float* v = nullptr;
  int64_t ldv = 0;
  float* out = nullptr;
  int64_t ldo = 0;
  float scale = 1.0f;
};

// out[q0:q1] of one head; scratch holds scratch_floats(d_head) floats (64-byte aligned).
using F32AttentionFn = void (*)(const F32AttentionHead& h, int q0, int q1, float* scratch);

struct F32AttentionUkernel {
  const char* name;  // e.g. "f32-attention-48x64-avx2-fma"
  const char* isa;
  bool (*supported)();
  bool (*supports_head)(int d_head);  // head widths it handles
  int block_q;                        // queries per task
  size_t (*scratch_floats)(int d_head);
  F32AttentionFn fn;
};

std::span<const F32AttentionUkernel> f32_attention_ukernels();

// First entry this CPU supports for this head width (throws tessera::Error if none).
const F32AttentionUkernel& f32_attention_best(int d_head);

}  // namespace tessera::kernels
