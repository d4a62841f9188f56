// The vpmaddwd register tile shared by the s16-activation GEMM kernels: MR rows x 16 columns of
// int32 accumulators, one k pair per step. The kernels differ only in how a weight group (16
// columns x 2 k as s16) reaches the registers, which the Weights policy says:
//   static constexpr int kGroupBytes;                       // bytes per k pair in the panel
//   static void load(const uint8_t* w, __m256i& b0, __m256i& b1);  // columns 0..7 and 8..15
// Include only from translation units compiled with -mavx2 -mfma.
#pragma once

#include <immintrin.h>

#include "kernels/x86/avx2/qs8_tile_avx2.h"

namespace tessera::kernels::avx2 {

template <class Weights>
struct Qs16MaddTile {
  template <int MR>
  struct Tile {
    // a: MR rows of int16 (stride lda elements); w: k_padded / 2 weight groups.
    TESSERA_AVX2_INLINE static void dot(const int16_t* a, int64_t lda, const uint8_t* w,
                                        int k_padded, __m256i (&acc)[MR][2]) {
      for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
      for (int q = 0; q < k_padded; q += 2, w += Weights::kGroupBytes) {
        __m256i b0, b1;
        Weights::load(w, b0, b1);
#pragma GCC unroll 4
        for (int r = 0; r < MR; ++r) {
          const __m256i av = broadcast32(a + r * lda + q);
          acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, b0));
          acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, b1));
        }
      }
    }
  };
};

// The full 4-row tile out of line with named accumulators (inlined, GCC 12 spills them).
template <class Weights>
__attribute__((noinline)) void qs16_madd_tile4(const int16_t* a, int64_t lda, const uint8_t* w,
                                               int k_padded, __m256i (&acc)[4][2]) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
          c30 = c00, c31 = c00;
  const int16_t* a1 = a + lda;
  const int16_t* a2 = a + 2 * lda;
  const int16_t* a3 = a + 3 * lda;
  for (int q = 0; q < k_padded; q += 2, w += Weights::kGroupBytes) {
    __m256i b0, b1;
    Weights::load(w, b0, b1);
    const __m256i x0 = broadcast32(a + q);
    c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(x0, b0));
    c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(x0, b1));
    const __m256i x1 = broadcast32(a1 + q);
    c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(x1, b0));
    c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(x1, b1));
    const __m256i x2 = broadcast32(a2 + q);
    c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(x2, b0));
    c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(x2, b1));
    const __m256i x3 = broadcast32(a3 + q);
    c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(x3, b0));
    c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(x3, b1));
  }
  acc[0][0] = c00, acc[0][1] = c01, acc[1][0] = c10, acc[1][1] = c11;
  acc[2][0] = c20, acc[2][1] = c21, acc[3][0] = c30, acc[3][1] = c31;
}

}  // namespace tessera::kernels::avx2
