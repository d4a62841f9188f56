// fp32 operators the encoder graph is built from. Each dispatches once (at first use) to the best
// microkernel for this CPU; every microkernel has a scalar reference twin in kernels/reference/.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/aligned_buffer.h"
#include "runtime/kernel_image.h"
#include "runtime/thread_pool.h"

namespace tessera::kernels {

struct F32GemmUkernel;
struct F32AttentionUkernel;

// Work fused after a GEMM, applied in this order: + bias[n], GELU (exact, erf), + residual[m, n].
struct Epilogue {
  const float* bias = nullptr;
  bool gelu = false;
  const float* residual = nullptr;  // may alias C
  int64_t ldr = 0;
};

// A weight matrix W [n x k] (PyTorch Linear layout, y = x W^T) packed once, at load time, into the
// panel layout of the chosen microkernel.
struct PackedF32 {
  int n = 0, k = 0;
  int nr = 0;  // panel width of the layout
  AlignedBuffer<float> data;
  const void* ukernel = nullptr;  // the microkernel the layout was made for
};

// image: where the packed panels live (one KernelImage per model component), or nullptr for a
// buffer of their own (tests, benchmarks).
PackedF32 pack_f32(const float* w, int n, int k, KernelImage* image = nullptr);
// Packs for a given microkernel of the f32 GEMM table (tests and benchmarks run every entry).
PackedF32 pack_f32(const F32GemmUkernel& ukernel, const float* w, int n, int k,
                   KernelImage* image = nullptr);

// C[m x n] = epilogue(A[m x k] W^T), parallel over the pool.
void gemm_f32(ThreadPool& pool, int m, const float* a, int64_t lda, const PackedF32& w, float* c,
              int64_t ldc, const Epilogue& ep = {});

// y = (x - mean) / sqrt(var + eps) * gamma + beta, per row of d. y may alias x.
void layer_norm_f32(ThreadPool& pool, int rows, int d, const float* x, int64_t ldx,
                    const float* gamma, const float* beta, float eps, float* y, int64_t ldy);

// Exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)), in place.
void gelu_f32(ThreadPool& pool, float* x, int64_t n);

// Multi-head self-attention without a mask, flash style (the t x t score matrix is never stored):
// out[:, h] = softmax(scale * q[:, h] k[:, h]^T) v[:, h] for each head h of width d_head.
// q, k, v and out are [t x heads*d_head] with row strides ld_*.
void attention_f32(ThreadPool& pool, int t, int heads, int d_head, const float* q, int64_t ldq,
                   const float* k, int64_t ldk, const float* v, int64_t ldv, float* out,
                   int64_t ldo, float scale);
// The same with a given microkernel of the attention table.
void attention_f32(const F32AttentionUkernel& ukernel, ThreadPool& pool, int t, int heads,
                   int d_head, const float* q, int64_t ldq, const float* k, int64_t ldk,
                   const float* v, int64_t ldv, float* out, int64_t ldo, float scale);

// Names of the microkernels the dispatcher chose on this CPU, for `tessera info`.
std::string f32_kernel_summary();

}  // namespace tessera::kernels
