// Entry points of the int8 GEMM family: scalar references (this folder) and the per-ISA
// microkernels (kernels/x86/*). Only int8_ops.cpp and the tests include this.
#pragma once

#include <cstdint>

#include "kernels/int8_ops.h"

namespace tessera::kernels {

namespace reference {

// Weight packing for a layout of NR columns x KR consecutive k per group (T = int8 or int16).
void qs8_pack_16x4_s8(const int8_t* wq, int n, int k, int k_padded, void* out);
void qs8_pack_16x2_s16(const int8_t* wq, int n, int k, int k_padded, void* out);
void qs8_pack_64x4_s8(const int8_t* wq, int n, int k, int k_padded, void* out);
// The 16x2 layout with the weights kept in one byte each (half the bytes of the s16 layout).
void qs8_pack_16x2_s8(const int8_t* wq, int n, int k, int k_padded, void* out);

// Scalar microkernels on the 16x4 (int8 activations) and 16x2 (int16) layouts.
void qs8_gemm_1x16c4_scalar(const Qs8GemmArgs& args);
void qs16_gemm_1x16c2_scalar(const Qs8GemmArgs& args);
void qs16_gemm_1x16c2_w8_scalar(const Qs8GemmArgs& args);  // the 16x2 layout, s8 weights

// Quantizes one row of k values (times mult[j] when mult is set) into `out` (k_padded elements,
// zero past k): the definition every vectorized quantizer must match bit for bit.
void qs8_quantize_row_scalar(const float* x, int k, int k_padded, const float* mult, ActQuant mode,
                             Qs8ActType type, int qmax, void* out, float* scale,
                             int32_t* zero_point);

// The epilogue of one output element, as every kernel applies it.
float qs8_epilogue_scalar(int32_t acc, float a_scale, float w_scale, const float* bias, int col,
                          bool gelu);

// Plain GEMM on unpacked data, for tests: a holds the stored activation values (int32 so one
// routine covers both types), wq is [n x k] row-major. raw (optional) gets the exact integers.
void qs8_gemm_reference(int m, int n, int k, const int32_t* a, int64_t lda, const float* a_scale,
                        const int32_t* a_zero, const int8_t* wq, const float* w_scale,
                        const float* bias, bool gelu, const float* residual, int64_t ldr, float* c,
                        int64_t ldc, int32_t* raw, int64_t ldraw);

}  // namespace reference

namespace avx2 {
void qs8_gemm_4x16c4(const Qs8GemmArgs& args);   // s8 x s8 via vpsignb + vpmaddubsw
void qs16_gemm_4x16c2(const Qs8GemmArgs& args);  // s16 x s16 via vpmaddwd
// s16 activations x s8-stored weights (vpmovsxbw, then vpmaddwd): for few rows, where the GEMM
// streams its weights from memory and their bytes are the cost.
void qs16_gemm_4x16c2_w8(const Qs8GemmArgs& args);
void qs8_quantize_row(const float* x, int k, int k_padded, const float* mult, ActQuant mode,
                      Qs8ActType type, int qmax, void* out, float* scale, int32_t* zero_point);
}  // namespace avx2

namespace avxvnni {
void qs8_gemm_4x16c4(const Qs8GemmArgs& args);  // vpdpbusd on ymm
}  // namespace avxvnni

namespace avx512 {
void qs8_gemm_4x64c4(const Qs8GemmArgs& args);  // vpdpbusd on zmm
}  // namespace avx512

}  // namespace tessera::kernels
