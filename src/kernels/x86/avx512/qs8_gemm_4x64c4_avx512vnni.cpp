// qs8-qc8w-gemm-4x64c4-avx512vnni: vpdpbusd on zmm, 4 rows x 64 columns (16 accumulators). As in
// the AVX-VNNI kernel the s8 activations are fed as u8 (a + 128) and the epilogue removes
// 128 * colsum; the epilogue itself is the AVX2 one, applied to 16-column quarters of the tile.
// Not yet run on a CPU with AVX-512 VNNI: the table marks it unvalidated.
#include <immintrin.h>

#include <algorithm>

#include "kernels/reference/qs8_ukernels.h"
#include "kernels/x86/avx2/qs8_tile_avx2.h"

namespace tessera::kernels::avx512 {
namespace {

template <int MR>
inline __attribute__((always_inline)) void tile(const Qs8GemmArgs& g, const int8_t* a,
                                                const uint8_t* w, int r0, int c0, int nc) {
  __m512i acc[MR][4];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < 4; ++j) acc[r][j] = _mm512_setzero_si512();
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int q = 0; q < g.k_padded; q += 4, w += 256) {
    __m512i b[4];
    for (int j = 0; j < 4; ++j) b[j] = _mm512_load_si512(w + 64 * j);
#pragma GCC unroll 4
    for (int r = 0; r < MR; ++r) {
      int32_t v;
      __builtin_memcpy(&v, a + (r0 + r) * g.lda + q, 4);
      const __m512i au = _mm512_xor_si512(_mm512_set1_epi32(v), flip);
      for (int j = 0; j < 4; ++j) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], au, b[j]);
    }
  }
  for (int j = 0; j < 4 && 16 * j < nc; ++j) {
    // Through memory: GCC 12 warns (falsely) about the cast/extract intrinsics' undefined halves.
    __m256i t[MR][2];
    for (int r = 0; r < MR; ++r) {
      alignas(64) int32_t lanes[16];
      _mm512_store_si512(lanes, acc[r][j]);
      t[r][0] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
      t[r][1] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes + 8));
    }
    avx2::qs8_store_tile<MR, 128>(g, r0, c0 + 16 * j, std::min(16, nc - 16 * j), t);
  }
}

}  // namespace

void qs8_gemm_4x64c4(const Qs8GemmArgs& g) {
  const int8_t* a = static_cast<const int8_t*>(g.a);
  const uint8_t* panel = static_cast<const uint8_t*>(g.w);
  for (int c0 = 0; c0 < g.n; c0 += 64, panel += g.panel_stride) {
    const int nc = std::min(64, g.n - c0);
    int r = 0;
    for (; r + 4 <= g.m; r += 4) tile<4>(g, a, panel, r, c0, nc);
    switch (g.m - r) {
      case 3:
        tile<3>(g, a, panel, r, c0, nc);
        break;
      case 2:
        tile<2>(g, a, panel, r, c0, nc);
        break;
      case 1:
        tile<1>(g, a, panel, r, c0, nc);
        break;
      default:
        break;
    }
  }
}

}  // namespace tessera::kernels::avx512
