// qs8-qc8w-gemm-4x16c4-avxvnni: vpdpbusd (u8 x s8, four products summed straight into int32, no
// intermediate saturation). The s8 activations are fed as u8 by flipping their sign bit (a + 128);
// the epilogue takes the extra 128 * colsum back out. Not yet run on a CPU with AVX-VNNI: the table
// marks it unvalidated, so only the tests (where the CPU has it) ever call it.
#include <immintrin.h>

#include "kernels/reference/qs8_ukernels.h"
#include "kernels/x86/avx2/qs8_tile_avx2.h"

namespace tessera::kernels::avxvnni {
namespace {

template <int MR>
struct VnniTile {
  TESSERA_AVX2_INLINE static void dot(const int8_t* a, int64_t lda, const uint8_t* w, int k_padded,
                                      __m256i (&acc)[MR][2]) {
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
    for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    for (int q = 0; q < k_padded; q += 4, w += 64) {
      const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
      const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 32));
#pragma GCC unroll 4
      for (int r = 0; r < MR; ++r) {
        const __m256i au = _mm256_xor_si256(avx2::broadcast32(a + r * lda + q), flip);
        acc[r][0] = _mm256_dpbusd_avx_epi32(acc[r][0], au, b0);
        acc[r][1] = _mm256_dpbusd_avx_epi32(acc[r][1], au, b1);
      }
    }
  }
};

}  // namespace

void qs8_gemm_4x16c4(const Qs8GemmArgs& args) {
  avx2::qs8_run_tiles<VnniTile, int8_t, 128>(args);
}

}  // namespace tessera::kernels::avxvnni
