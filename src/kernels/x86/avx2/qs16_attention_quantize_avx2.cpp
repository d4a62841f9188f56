// The quantize pass of the qs16 attention family, AVX2. Bit-identical to the scalar definitions
// in reference/qs16_attention_scalar.cpp: the same float operations in the same order (no FMA
// contraction in C++20 mode), cvtps rounds to nearest even like nearbyint, max ignores NaN the
// way std::max does there, and NaN converts to INT_MIN, which the clamp sends to -qmax as the
// scalar code does.
#include <immintrin.h>

#include <cmath>

#include "kernels/reference/qs16_attention_ukernels.h"
#include "kernels/x86/avx2/f32_math_avx2.h"

namespace tessera::kernels::avx2 {
namespace {

TESSERA_AVX2_INLINE __m256i quantize8(__m256 x, __m256 inv, __m256i lo, __m256i hi) {
  const __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(x, inv));
  return _mm256_min_epi32(_mm256_max_epi32(q, lo), hi);
}

TESSERA_AVX2_INLINE float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

}  // namespace

void qs16_quantize_rows(int rows, int d, const float* x, int64_t ldx, int qmax, float mult,
                        int16_t* out, float* scale) {
  const float fq = static_cast<float>(qmax);
  const __m256i lo = _mm256_set1_epi32(-qmax), hi = _mm256_set1_epi32(qmax);
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + r * ldx;
    int16_t* o = out + static_cast<int64_t>(r) * d;
    __m256 vmax = _mm256_setzero_ps();
    for (int j = 0; j < d; j += 8) vmax = _mm256_max_ps(abs_ps(_mm256_loadu_ps(xr + j)), vmax);
    const float amax = hmax(vmax);
    const float inv = fq / amax;
    if (!(amax > 0) || !std::isfinite(amax) || !std::isfinite(inv)) {
      scale[r] = 0;
      for (int j = 0; j < d; j += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + j), _mm256_setzero_si256());
      continue;
    }
    scale[r] = amax / fq * mult;
    const __m256 vinv = _mm256_set1_ps(inv);
    for (int j = 0; j < d; j += 16) {
      const __m256i q0 = quantize8(_mm256_loadu_ps(xr + j), vinv, lo, hi);
      const __m256i q1 = quantize8(_mm256_loadu_ps(xr + j + 8), vinv, lo, hi);
      // packs interleaves the 128-bit lanes: (q0 lo, q1 lo, q0 hi, q1 hi); put them in order.
      const __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi32(q0, q1), 0xD8);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + j), packed);
    }
  }
}

void qs16_quantize_v(int rows, int d, const float* x, int64_t ldx, int16_t* out, float* scale) {
  const float fq = static_cast<float>(qs16_attention::kVMax);
  const __m256 vfq = _mm256_set1_ps(fq), inf = _mm256_set1_ps(INFINITY);
  const __m256i lo = _mm256_set1_epi32(-qs16_attention::kVMax);
  const __m256i hi = _mm256_set1_epi32(qs16_attention::kVMax);
  const __m256i low16 = _mm256_set1_epi32(0xFFFF);
  for (int j = 0; j < d; j += 8) {
    __m256 amax = _mm256_setzero_ps();
    for (int r = 0; r < rows; ++r)
      amax = _mm256_max_ps(abs_ps(_mm256_loadu_ps(x + r * ldx + j)), amax);
    const __m256 inv = _mm256_div_ps(vfq, amax);
    const __m256 valid =
        _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(amax, _mm256_setzero_ps(), _CMP_GT_OQ),
                                    _mm256_cmp_ps(amax, inf, _CMP_LT_OQ)),
                      _mm256_cmp_ps(inv, inf, _CMP_LT_OQ));
    const __m256i keep = _mm256_castps_si256(valid);
    _mm256_storeu_ps(scale + j, _mm256_and_ps(_mm256_div_ps(amax, vfq), valid));
    int r = 0;
    for (; r + 2 <= rows; r += 2) {
      const __m256i q0 =
          _mm256_and_si256(quantize8(_mm256_loadu_ps(x + r * ldx + j), inv, lo, hi), keep);
      const __m256i q1 =
          _mm256_and_si256(quantize8(_mm256_loadu_ps(x + (r + 1) * ldx + j), inv, lo, hi), keep);
      _mm256_storeu_si256(
          reinterpret_cast<__m256i*>(out + (static_cast<int64_t>(r / 2) * d + j) * 2),
          _mm256_or_si256(_mm256_and_si256(q0, low16), _mm256_slli_epi32(q1, 16)));
    }
    if (r < rows) {
      const __m256i q0 =
          _mm256_and_si256(quantize8(_mm256_loadu_ps(x + r * ldx + j), inv, lo, hi), keep);
      _mm256_storeu_si256(
          reinterpret_cast<__m256i*>(out + (static_cast<int64_t>(r / 2) * d + j) * 2),
          _mm256_and_si256(q0, low16));
    }
  }
}

}  // namespace tessera::kernels::avx2
