// Integer flash attention for the int8 compute type (the qs16 attention family).
//
// One pass quantizes Q, K and V of all heads to int16; the kernels then run both products with
// vpmaddwd (16 multiply-adds per instruction, 2 per cycle on Zen 3, against 8 per FMA) and keep
// the softmax in fp32:
//  - Q, K: per (token, head) symmetric, |q| <= qk_qmax(d_head) = floor(sqrt((2^31 - 1) / d_head)),
//    so sum_d q k over the whole head fits int32 (5792 for d_head = 64: 12.5 bits). The softmax
//    scale and log2(e) are folded into Q's row scale: a score is float(acc) * q_scale * k_scale
//    in log2 units, and the softmax takes 2^(s - max).
//  - P = 2^(s - running max) <= 1 is quantized with the fixed scale kPOne (P = 1 -> 8192).
//  - V: per (head, column) symmetric, |v| <= kVMax = 4095, stored with key pairs interleaved
//    ([key / 2][d][2]) so vpmaddwd sums over two keys at once.
//  - PV accumulates in int32 over one tile of kKeyTile = 64 keys: 64 * 8192 * 4095 < 2^31, for
//    every input; the tile's sum is converted to fp32 and merged with the online-softmax rescale.
// Every bound holds for every input (no data-dependent overflow); the scalar twins use the same
// tile schedule and the same integer products, so optimized and reference differ only in the
// rounding of exp (tested).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "runtime/aligned_buffer.h"
#include "runtime/thread_pool.h"

namespace tessera::kernels {

namespace qs16_attention {
inline constexpr int kKeyTile = 64;     // keys per online-softmax step (PV int32 accumulation)
inline constexpr int32_t kPOne = 8192;  // quantized P of probability 1
inline constexpr int32_t kVMax = 4095;  // largest |v|
inline constexpr float kLog2E = 1.44269504088896341f;  // scores are carried in log2 units
static_assert(int64_t{kKeyTile} * kPOne * kVMax <= INT32_MAX, "PV tile sum must fit int32");
static_assert(2 * int64_t{32767} * 32767 <= INT32_MAX, "a vpmaddwd pair of int16 fits int32");

// Largest |q|, |k| such that d_head * qmax^2 <= 2^31 - 1 (the whole dot product fits int32).
int qk_qmax(int d_head);
}  // namespace qs16_attention

// Quantized Q, K, V of one attention call, all heads, in the layouts the kernels read. Sized by
// reserve(); quantizing into it never allocates.
struct Qs16AttentionInput {
  int t = 0, heads = 0, d_head = 0;
  int capacity_rows = 0;                  // rows (tokens) per head reserved, even
  int64_t head_stride = 0;                // int16 elements from one head to the next in q, k and v
  AlignedBuffer<int16_t> q, k;            // [head][row][d]
  AlignedBuffer<int16_t> v;               // [head][row / 2][d][2]: key pairs interleaved
  AlignedBuffer<float> q_scale, k_scale;  // [head][row]; q_scale includes scale * log2(e)
  AlignedBuffer<float> v_scale;           // [head][d]

  void reserve(int rows, int heads, int d_head);
};

// One head of a quantized attention call.
struct Qs16AttentionHead {
  int t = 0, d_head = 0;
  const int16_t* q = nullptr;  // [t][d]
  const float* q_scale = nullptr;
  const int16_t* k = nullptr;  // [t][d]
  const float* k_scale = nullptr;
  const int16_t* v = nullptr;  // [t / 2][d][2]
  const float* v_scale = nullptr;
  float* out = nullptr;
  int64_t ldo = 0;
};

// out[q0:q1] of one head; scratch holds scratch_floats(d_head) floats (64-byte aligned).
using Qs16AttentionFn = void (*)(const Qs16AttentionHead& h, int q0, int q1, float* scratch);

// rows x d values x[r * ldx + j] -> out[r * d + j] with |q| <= qmax, scale[r] = amax / qmax * mult.
using Qs16QuantizeRowsFn = void (*)(int rows, int d, const float* x, int64_t ldx, int qmax,
                                    float mult, int16_t* out, float* scale);
// One head's V: rows x d -> out [(rows + 1) / 2][d][2] (a missing odd partner is 0), per column
// |q| <= kVMax, scale[j] = amax_j / kVMax.
using Qs16QuantizeVFn = void (*)(int rows, int d, const float* x, int64_t ldx, int16_t* out,
                                 float* scale);

struct Qs16AttentionUkernel {
  const char* name;  // e.g. "qs16-attention-48x64-avx2"
  const char* isa;
  bool (*supported)();
  bool (*supports_head)(int d_head);
  int block_q;  // queries per task
  size_t (*scratch_floats)(int d_head);
  Qs16QuantizeRowsFn quantize_rows;
  Qs16QuantizeVFn quantize_v;
  Qs16AttentionFn fn;
};

std::span<const Qs16AttentionUkernel> qs16_attention_ukernels();

// First entry this CPU supports for this head width (throws tessera::Error if none).
const Qs16AttentionUkernel& qs16_attention_best(int d_head);

// Quantizes q, k, v (t rows, heads * d_head columns each, row strides ld*) into `in`, which must
// have been reserved for at least t rows of this shape. Parallel over the pool.
void quantize_attention_qs16(const Qs16AttentionUkernel& uk, ThreadPool& pool, int t, int heads,
                             int d_head, const float* q, int64_t ldq, const float* k, int64_t ldk,
                             const float* v, int64_t ldv, float scale, Qs16AttentionInput& in);

// Runs the kernel over every (head, query block) of a quantized input.
void attention_qs16(const Qs16AttentionUkernel& uk, ThreadPool& pool, const Qs16AttentionInput& in,
                    float* out, int64_t ldo);

// Both steps, as Device::attention needs them (same contract as attention_f32).
void attention_qs16(const Qs16AttentionUkernel& uk, ThreadPool& pool, int t, int heads, int d_head,
                    const float* q, int64_t ldq, const float* k, int64_t ldk, const float* v,
                    int64_t ldv, float* out, int64_t ldo, float scale, Qs16AttentionInput& in);

// "attention=<name>" of the chosen kernel, for kernel summaries.
std::string qs16_attention_summary();

}  // namespace tessera::kernels
