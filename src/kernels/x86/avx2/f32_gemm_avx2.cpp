// f32-gemm-6x16-avx2-fma: 6 rows x 16 columns held in 12 ymm accumulators; per k step two W
// loads, six A broadcasts and twelve FMAs. The epilogue (accumulate, bias, GELU, residual) runs
// on the registers before the single store; tails of n use masked loads and stores.
#include "kernels/x86/avx2/f32_avx2.h"
#include "kernels/x86/avx2/f32_math_avx2.h"

namespace tessera::kernels::avx2 {
namespace {

constexpr int kMR = 6, kNR = 16;

template <bool kFull>
TESSERA_AVX2_INLINE __m256 load(const float* p, __m256i mask) {
  if constexpr (kFull) return _mm256_loadu_ps(p);
  return _mm256_maskload_ps(p, mask);
}

template <bool kFull>
TESSERA_AVX2_INLINE void store(float* p, __m256i mask, __m256 v) {
  if constexpr (kFull) {
    _mm256_storeu_ps(p, v);
  } else {
    _mm256_maskstore_ps(p, mask, v);
  }
}

template <int MR, bool kFull>
TESSERA_AVX2_INLINE void epilogue(__m256 (&acc)[MR][2], int nr, float* c, int64_t ldc,
                                  const F32TileEpilogue& ep) {
  const __m256i m0 = tail_mask(nr), m1 = tail_mask(nr - 8);
  for (int i = 0; i < MR; ++i) {
    __m256 v0 = acc[i][0], v1 = acc[i][1];
    float* ci = c + i * ldc;
    if (ep.accumulate) {
      v0 = _mm256_add_ps(v0, load<kFull>(ci, m0));
      v1 = _mm256_add_ps(v1, load<kFull>(ci + 8, m1));
    }
    if (ep.bias) {
      v0 = _mm256_add_ps(v0, load<kFull>(ep.bias, m0));
      v1 = _mm256_add_ps(v1, load<kFull>(ep.bias + 8, m1));
    }
    if (ep.gelu) {
      v0 = gelu_ps(v0);
      v1 = gelu_ps(v1);
    }
    if (ep.residual) {
      const float* ri = ep.residual + i * ep.ldr;
      v0 = _mm256_add_ps(v0, load<kFull>(ri, m0));
      v1 = _mm256_add_ps(v1, load<kFull>(ri + 8, m1));
    }
    store<kFull>(ci, m0, v0);
    store<kFull>(ci + 8, m1, v1);
  }
}

template <int MR>
void tile(int nr, int kc, const float* a, const float* b, float* c, int64_t ldc,
          const F32TileEpilogue& ep) {
  __m256 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += kMR;
    b += kNR;
  }
  if (nr == kNR) {
    epilogue<MR, true>(acc, nr, c, ldc, ep);
  } else {
    epilogue<MR, false>(acc, nr, c, ldc, ep);
  }
}

}  // namespace

void f32_gemm_6x16(int mr, int nr, int kc, const float* a, const float* b, float* c, int64_t ldc,
                   const F32TileEpilogue& ep) {
  switch (mr) {
    case 6: return tile<6>(nr, kc, a, b, c, ldc, ep);
    case 5: return tile<5>(nr, kc, a, b, c, ldc, ep);
    case 4: return tile<4>(nr, kc, a, b, c, ldc, ep);
    case 3: return tile<3>(nr, kc, a, b, c, ldc, ep);
    case 2: return tile<2>(nr, kc, a, b, c, ldc, ep);
    default: return tile<1>(nr, kc, a, b, c, ldc, ep);
  }
}

}  // namespace tessera::kernels::avx2
