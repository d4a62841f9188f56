// qs8-qc8w-gemm-4x16c4-avx2: s8 activations x s8 weights, exact for every input.
//
// vpmaddubsw multiplies u8 by s8 and adds adjacent pairs into a saturating s16: with u8 up to 255
// and s8 up to 127 in magnitude a pair reaches 64770 and saturates. Here the activation's sign is
// moved onto the weight instead (vpsignb): |a| <= 128 and |sign(a) w| <= 127, so a pair is at most
// 2 * 128 * 127 = 32512 < 32767 and never saturates, for any s8 activation (symmetric rows, or
// asymmetric u8 rows stored as u8 - 128) and any weight in [-127, 127]. vpmaddwd with ones then
// widens the pairs to int32. Cost: one vpsignb per vpmaddubsw (docs/KERNELS_INT8.md has numbers).
#include <immintrin.h>

#include "kernels/reference/qs8_ukernels.h"
#include "kernels/x86/avx2/qs8_tile_avx2.h"

namespace tessera::kernels::avx2 {
namespace {

// One row's step: acc += |a| * (sign(a) w) over four k, for 16 columns.
#define TESSERA_QS8_SIGN_ROW(av, acc0, acc1)                                                 \
  {                                                                                          \
    const __m256i mag = _mm256_abs_epi8(av);                                                 \
    acc0 = _mm256_add_epi32(                                                                 \
        acc0, _mm256_madd_epi16(_mm256_maddubs_epi16(mag, _mm256_sign_epi8(b0, av)), ones)); \
    acc1 = _mm256_add_epi32(                                                                 \
        acc1, _mm256_madd_epi16(_mm256_maddubs_epi16(mag, _mm256_sign_epi8(b1, av)), ones)); \
  }

template <int MR>
struct SignTile {
  // a: MR rows of int8 (stride lda); w: one panel of k_padded / 4 groups x 16 columns x 4 k.
  TESSERA_AVX2_INLINE static void dot(const int8_t* a, int64_t lda, const uint8_t* w, int k_padded,
                                      __m256i (&acc)[MR][2]) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    for (int q = 0; q < k_padded; q += 4, w += 64) {
      const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
      const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32));
#pragma GCC unroll 4
      for (int r = 0; r < MR; ++r) {
        const __m256i av = broadcast32(a + r * lda + q);
        TESSERA_QS8_SIGN_ROW(av, acc[r][0], acc[r][1]);
      }
    }
  }
};

// The full tile, kept out of line with its 8 accumulators in named locals: inlined into the tile
// driver, or with an array, GCC 12 spills accumulators inside the loop.
template <>
struct SignTile<4> {
  __attribute__((noinline)) static void dot(const int8_t* a, int64_t lda, const uint8_t* w,
                                            int k_padded, __m256i (&acc)[4][2]) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
            c30 = c00, c31 = c00;
    const int8_t* a1 = a + lda;
    const int8_t* a2 = a + 2 * lda;
    const int8_t* a3 = a + 3 * lda;
    for (int q = 0; q < k_padded; q += 4, w += 64) {
      const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
      const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32));
      const __m256i x0 = broadcast32(a + q);
      TESSERA_QS8_SIGN_ROW(x0, c00, c01);
      const __m256i x1 = broadcast32(a1 + q);
      TESSERA_QS8_SIGN_ROW(x1, c10, c11);
      const __m256i x2 = broadcast32(a2 + q);
      TESSERA_QS8_SIGN_ROW(x2, c20, c21);
      const __m256i x3 = broadcast32(a3 + q);
      TESSERA_QS8_SIGN_ROW(x3, c30, c31);
    }
    acc[0][0] = c00, acc[0][1] = c01, acc[1][0] = c10, acc[1][1] = c11;
    acc[2][0] = c20, acc[2][1] = c21, acc[3][0] = c30, acc[3][1] = c31;
  }
};

#undef TESSERA_QS8_SIGN_ROW

}  // namespace

void qs8_gemm_4x16c4(const Qs8GemmArgs& args) {
  qs8_run_tiles<SignTile, int8_t>(args);
}

}  // namespace tessera::kernels::avx2
