// Shared tile driver and epilogue of the AVX2-class int8 GEMM kernels (AVX2 and AVX-VNNI): a tile
// is MR rows x 16 columns of int32 accumulators, two ymm per row. Include only from translation
// units compiled with at least -mavx2 -mfma.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/int8_ops.h"
#include "kernels/x86/avx2/f32_math_avx2.h"

namespace tessera::kernels::avx2 {

// GELU x/2 (1 + erf(x / sqrt 2)) with erf as a [13/8] rational function on [-4, 4] (the
// coefficients Eigen and XLA use; |erf error| < 3.3e-7). |GELU error| < 1e-6 everywhere, i.e.
// below 1e-6 relative for |x| >= 1 and 4e-4 relative only in the far negative tail where
// |GELU| < 3e-3: three orders below int8 rounding, at about half the cost of the exact
// erfc-based gelu_ps, which fc1 (N = 4 d) notices.
TESSERA_AVX2_INLINE __m256 qs8_gelu_ps(__m256 x) {
  __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.707106781f));
  z = _mm256_max_ps(_mm256_min_ps(z, _mm256_set1_ps(4.0f)), _mm256_set1_ps(-4.0f));
  const __m256 z2 = _mm256_mul_ps(z, z);
  __m256 p = _mm256_set1_ps(-2.72614225801306e-10f);
  p = _mm256_fmadd_ps(z2, p, _mm256_set1_ps(2.77068142495902e-08f));
  p = _mm256_fmadd_ps(z2, p, _mm256_set1_ps(-2.10102402082508e-06f));
  p = _mm256_fmadd_ps(z2, p, _mm256_set1_ps(-5.69250639462346e-05f));
  p = _mm256_fmadd_ps(z2, p, _mm256_set1_ps(-7.34990630326855e-04f));
  p = _mm256_fmadd_ps(z2, p, _mm256_set1_ps(-2.95459980854025e-03f));
  p = _mm256_fmadd_ps(z2, p, _mm256_set1_ps(-1.60960333262415e-02f));
  p = _mm256_mul_ps(z, p);
  __m256 q = _mm256_set1_ps(-1.45660718464996e-05f);
  q = _mm256_fmadd_ps(z2, q, _mm256_set1_ps(-2.13374055278905e-04f));
  q = _mm256_fmadd_ps(z2, q, _mm256_set1_ps(-1.68282697438203e-03f));
  q = _mm256_fmadd_ps(z2, q, _mm256_set1_ps(-7.37332916720468e-03f));
  q = _mm256_fmadd_ps(z2, q, _mm256_set1_ps(-1.42647390514189e-02f));
  const __m256 one_plus_erf = _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(p, q));
  return _mm256_mul_ps(_mm256_mul_ps(x, _mm256_set1_ps(0.5f)), one_plus_erf);
}

// Applies zero-point correction and the epilogue to an MR x 16 tile and stores columns [0, nc).
// kZeroShift is added to every row's zero point: kernels that feed a + 128 to an u8 x s8
// instruction (VNNI) accumulate 128 * colsum too much.
template <int MR, int kZeroShift = 0>
TESSERA_AVX2_INLINE void qs8_store_tile(const Qs8GemmArgs& g, int r0, int c0, int nc,
                                        __m256i (&acc)[MR][2]) {
  const __m256i m0 = tail_mask(std::min(nc, 8)), m1 = tail_mask(std::max(nc - 8, 0));
  if (g.a_zero || kZeroShift != 0) {
    const __m256i cs0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.w_colsum + c0));
    const __m256i cs1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.w_colsum + c0 + 8));
    for (int r = 0; r < MR; ++r) {
      const __m256i zp = _mm256_set1_epi32((g.a_zero ? g.a_zero[r0 + r] : 0) + kZeroShift);
      acc[r][0] = _mm256_sub_epi32(acc[r][0], _mm256_mullo_epi32(zp, cs0));
      acc[r][1] = _mm256_sub_epi32(acc[r][1], _mm256_mullo_epi32(zp, cs1));
    }
  }
  if (g.raw) {
    for (int r = 0; r < MR; ++r) {
      int* out = g.raw + (r0 + r) * g.ldraw + c0;
      _mm256_maskstore_epi32(out, m0, acc[r][0]);
      _mm256_maskstore_epi32(out + 8, m1, acc[r][1]);
    }
    return;
  }
  const __m256 ws0 = _mm256_loadu_ps(g.w_scale + c0), ws1 = _mm256_loadu_ps(g.w_scale + c0 + 8);
  __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
  if (g.bias) {  // the caller's bias has exactly n entries: masked loads at the tail
    b0 = _mm256_maskload_ps(g.bias + c0, m0);
    b1 = _mm256_maskload_ps(g.bias + c0 + 8, m1);
  }
  for (int r = 0; r < MR; ++r) {
    const __m256 as = _mm256_set1_ps(g.a_scale[r0 + r]);
    __m256 y0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r][0]), _mm256_mul_ps(as, ws0), b0);
    __m256 y1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r][1]), _mm256_mul_ps(as, ws1), b1);
    if (g.gelu) {
      y0 = qs8_gelu_ps(y0);
      y1 = qs8_gelu_ps(y1);
    }
    if (g.residual) {
      const float* res = g.residual + (r0 + r) * g.ldr + c0;
      y0 = _mm256_add_ps(y0, _mm256_maskload_ps(res, m0));
      y1 = _mm256_add_ps(y1, _mm256_maskload_ps(res + 8, m1));
    }
    float* out = g.c + (r0 + r) * g.ldc + c0;
    _mm256_maskstore_ps(out, m0, y0);
    _mm256_maskstore_ps(out + 8, m1, y1);
  }
}

// Runs `Tile<MR>::dot` over every 16-column panel (outer) and MR-row tile (inner) of the call.
// Tile<MR>::dot(a_rows, lda, panel, k_padded, acc) accumulates an MR x 16 tile from zero.
template <template <int> class Tile, typename TA, int kZeroShift = 0>
TESSERA_AVX2_INLINE void qs8_run_tiles(const Qs8GemmArgs& g) {
  const TA* a = static_cast<const TA*>(g.a);
  const uint8_t* panel = static_cast<const uint8_t*>(g.w);
  for (int c0 = 0; c0 < g.n; c0 += 16, panel += g.panel_stride) {
    const int nc = std::min(16, g.n - c0);
    int r = 0;
    for (; r + 4 <= g.m; r += 4) {
      __m256i acc[4][2];
      Tile<4>::dot(a + r * g.lda, g.lda, panel, g.k_padded, acc);
      qs8_store_tile<4, kZeroShift>(g, r, c0, nc, acc);
    }
    if (g.m - r == 3) {
      __m256i acc[3][2];
      Tile<3>::dot(a + r * g.lda, g.lda, panel, g.k_padded, acc);
      qs8_store_tile<3, kZeroShift>(g, r, c0, nc, acc);
    } else if (g.m - r == 2) {
      __m256i acc[2][2];
      Tile<2>::dot(a + r * g.lda, g.lda, panel, g.k_padded, acc);
      qs8_store_tile<2, kZeroShift>(g, r, c0, nc, acc);
    } else if (g.m - r == 1) {
      __m256i acc[1][2];
      Tile<1>::dot(a + r * g.lda, g.lda, panel, g.k_padded, acc);
      qs8_store_tile<1, kZeroShift>(g, r, c0, nc, acc);
    }
  }
}

// Four consecutive activation bytes (or two int16) broadcast to every 32-bit lane.
TESSERA_AVX2_INLINE __m256i broadcast32(const void* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

}  // namespace tessera::kernels::avx2
