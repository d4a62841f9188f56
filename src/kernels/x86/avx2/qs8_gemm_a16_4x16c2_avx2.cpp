// qs16-qc8w-gemm-4x16c2-avx2: s16 activations x int8-valued weights (stored as s16), vpmaddwd.
// A pair of s16 products is exact in int32; the driver bounds |a| by qs16_qmax(k) so the whole
// sum over k fits int32 too. Same ALU cost per multiply-add as the sign trick of the int8 kernel,
// twice the bytes per operand, and activation rounding error 64-256x smaller than int8's.
#include <immintrin.h>

#include "kernels/reference/qs8_ukernels.h"
#include "kernels/x86/avx2/qs16_madd_tile_avx2.h"

namespace tessera::kernels::avx2 {
namespace {

// A weight group is 16 columns x 2 k, already s16: two plain loads.
struct S16Weights {
  static constexpr int kGroupBytes = 64;
  TESSERA_AVX2_INLINE static void load(const uint8_t* w, __m256i& b0, __m256i& b1) {
    b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
    b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32));
  }
};

template <int MR>
struct MaddTile : Qs16MaddTile<S16Weights>::Tile<MR> {};

template <>
struct MaddTile<4> {
  static void dot(const int16_t* a, int64_t lda, const uint8_t* w, int k_padded,
                  __m256i (&acc)[4][2]) {
    qs16_madd_tile4<S16Weights>(a, lda, w, k_padded, acc);
  }
};

}  // namespace

void qs16_gemm_4x16c2(const Qs8GemmArgs& args) {
  qs8_run_tiles<MaddTile, int16_t>(args);
}

}  // namespace tessera::kernels::avx2
