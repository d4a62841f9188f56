// AVX2+FMA f32 microkernels (defined in src/kernels/x86/avx2/, compiled with -mavx2 -mfma).
// Plain declarations: the tables include this from baseline code and call these only when
// cpu_features() reports AVX2 and FMA.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/f32_attention_table.h"
#include "kernels/f32_gemm_table.h"

namespace tessera::kernels::avx2 {

void f32_gemm_pack_a_6(int rows, int kc, const float* a, int64_t lda, float* out);
void f32_gemm_6x16(int mr, int nr, int kc, const float* a, const float* b, float* c, int64_t ldc,
                   const F32TileEpilogue& ep);

void f32_verf(const float* x, float* y, int64_t n);
void f32_vexp(const float* x, float* y, int64_t n);
void f32_vgelu(const float* x, float* y, int64_t n);

void f32_layernorm(int d, const float* x, const float* gamma, const float* beta, float eps,
                   float* y);

bool f32_attention_supports(int d_head);
size_t f32_attention_scratch(int d_head);
void f32_attention(const F32AttentionHead& h, int q0, int q1, float* scratch);

}  // namespace tessera::kernels::avx2
