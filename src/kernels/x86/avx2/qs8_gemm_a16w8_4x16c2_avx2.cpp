// qs16-qc8w-gemm-4x16c2-w8-avx2: s16 activations x int8 weights stored in one byte each. The same
// 16x2 layout and vpmaddwd arithmetic as qs16-qc8w-gemm-4x16c2-avx2 (exact in int32 for the
// driver's qmax), but every weight group is sign-extended (vpmovsxbw) after the load: half the
// weight bytes. With few rows (decoder steps) the GEMM streams its weights once from memory, so
// those bytes are its cost and the extension is free; with many rows (the encoder) the s16
// layout's plain loads are cheaper.
#include <immintrin.h>

#include "kernels/reference/qs8_ukernels.h"
#include "kernels/x86/avx2/qs16_madd_tile_avx2.h"

namespace tessera::kernels::avx2 {
namespace {

// Columns 0..7 and 8..15 of one k pair: 2 x 16 bytes, each widened to 16 int16.
TESSERA_AVX2_INLINE void load_group(const uint8_t* w, __m256i& b0, __m256i& b1) {
  b0 = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(w)));
  b1 = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(w + 16)));
}

struct S8Weights {
  static constexpr int kGroupBytes = 32;
  TESSERA_AVX2_INLINE static void load(const uint8_t* w, __m256i& b0, __m256i& b1) {
    load_group(w, b0, b1);
  }
};

template <int MR>
struct MaddTileW8 : Qs16MaddTile<S8Weights>::Tile<MR> {};

// One row: two k pairs per iteration into separate accumulators, so the adds of consecutive
// groups do not wait on each other (the single-row GEMV is the decoder's most common call).
template <>
struct MaddTileW8<1> {
  __attribute__((noinline)) static void dot(const int16_t* a, int64_t /*lda*/, const uint8_t* w,
                                            int k_padded, __m256i (&acc)[1][2]) {
    __m256i c0 = _mm256_setzero_si256(), c1 = c0, d0 = c0, d1 = c0;
    int q = 0;
    for (; q + 4 <= k_padded; q += 4, w += 64) {
      __m256i b0, b1, e0, e1;
      load_group(w, b0, b1);
      load_group(w + 32, e0, e1);
      const __m256i x0 = broadcast32(a + q), x1 = broadcast32(a + q + 2);
      c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(x0, b0));
      c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(x0, b1));
      d0 = _mm256_add_epi32(d0, _mm256_madd_epi16(x1, e0));
      d1 = _mm256_add_epi32(d1, _mm256_madd_epi16(x1, e1));
    }
    if (q < k_padded) {  // k_padded is even: one pair left
      __m256i b0, b1;
      load_group(w, b0, b1);
      const __m256i x0 = broadcast32(a + q);
      c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(x0, b0));
      c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(x0, b1));
    }
    acc[0][0] = _mm256_add_epi32(c0, d0);
    acc[0][1] = _mm256_add_epi32(c1, d1);
  }
};

template <>
struct MaddTileW8<4> {
  static void dot(const int16_t* a, int64_t lda, const uint8_t* w, int k_padded,
                  __m256i (&acc)[4][2]) {
    qs16_madd_tile4<S8Weights>(a, lda, w, k_padded, acc);
  }
};

}  // namespace

void qs16_gemm_4x16c2_w8(const Qs8GemmArgs& args) {
  qs8_run_tiles<MaddTileW8, int16_t>(args);
}

}  // namespace tessera::kernels::avx2
