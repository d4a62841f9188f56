// Entry points of the qs16 attention family: scalar references (this folder) and the AVX2
// kernels. Only qs16_attention.cpp, the tests and the benchmarks include this.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/qs16_attention.h"

namespace tessera::kernels {

namespace reference {
inline constexpr int kQs16AttentionScalarMaxHead = 512;
bool qs16_attention_scalar_supports(int d_head);
size_t qs16_attention_scalar_scratch(int d_head);
// The definitions every optimized quantizer matches bit for bit.
void qs16_quantize_rows_scalar(int rows, int d, const float* x, int64_t ldx, int qmax, float mult,
                               int16_t* out, float* scale);
void qs16_quantize_v_scalar(int rows, int d, const float* x, int64_t ldx, int16_t* out,
                            float* scale);
void qs16_attention_scalar(const Qs16AttentionHead& h, int q0, int q1, float* scratch);
}  // namespace reference

namespace avx2 {
bool qs16_attention_supports(int d_head);
size_t qs16_attention_scratch(int d_head);
void qs16_quantize_rows(int rows, int d, const float* x, int64_t ldx, int qmax, float mult,
                        int16_t* out, float* scale);
void qs16_quantize_v(int rows, int d, const float* x, int64_t ldx, int16_t* out, float* scale);
void qs16_attention(const Qs16AttentionHead& h, int q0, int q1, float* scratch);
}  // namespace avx2

}  // namespace tessera::kernels
