// Scalar reference twins of every f32 microkernel: plain code, the ground truth the optimized
// variants are tested against, and the path used on CPUs without AVX2.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/f32_attention_table.h"
#include "kernels/f32_gemm_table.h"

namespace tessera::kernels::reference {

// Exact GELU in double, rounded once to float.
float gelu(float x);

void f32_gemm_pack_panels(const float* w, int64_t ldw, int n, int k, int nr, float* out);
void f32_gemm_pack_a_4(int rows, int kc, const float* a, int64_t lda, float* out);
void f32_gemm_4x4_scalar(int mr, int nr, int kc, const float* a, const float* b, float* c,
                         int64_t ldc, const F32TileEpilogue& ep);

void f32_verf_scalar(const float* x, float* y, int64_t n);
void f32_vexp_scalar(const float* x, float* y, int64_t n);
void f32_vgelu_scalar(const float* x, float* y, int64_t n);

void f32_layernorm_scalar(int d, const float* x, const float* gamma, const float* beta, float eps,
                          float* y);

inline constexpr int kAttentionScalarMaxHead = 512;
bool f32_attention_scalar_supports(int d_head);
size_t f32_attention_scalar_scratch(int d_head);
void f32_attention_scalar(const F32AttentionHead& h, int q0, int q1, float* scratch);

}  // namespace tessera::kernels::reference
