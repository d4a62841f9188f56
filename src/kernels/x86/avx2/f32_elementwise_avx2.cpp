// AVX2+FMA element-wise kernels (erf, exp, GELU) and LayerNorm.
#include <algorithm>
#include <cmath>

#include "kernels/x86/avx2/f32_avx2.h"
#include "kernels/x86/avx2/f32_math_avx2.h"

namespace tessera::kernels::avx2 {
namespace {

template <__m256 (*F)(__m256)>
void map(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, F(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i mask = tail_mask(static_cast<int>(n - i));
    _mm256_maskstore_ps(y + i, mask, F(_mm256_maskload_ps(x + i, mask)));
  }
}

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace

void f32_verf(const float* x, float* y, int64_t n) {
  map<erf_ps>(x, y, n);
}
void f32_vexp(const float* x, float* y, int64_t n) {
  map<exp_ps>(x, y, n);
}
void f32_vgelu(const float* x, float* y, int64_t n) {
  map<gelu_ps>(x, y, n);
}

// Corrected two-pass in fp32 with 8-lane partial sums: the mean first, then the deviations from
// it and their squares. The deviations' sum corrects the rounding of the first mean (so a
// constant row normalizes to exactly beta) and a large common offset does not cancel.
void f32_layernorm(int d, const float* x, const float* gamma, const float* beta, float eps,
                   float* y) {
  const int d8 = d & ~7;
  const __m256i tail = tail_mask(d - d8);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int i = 0;
  for (; i + 32 <= d8; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_loadu_ps(x + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_loadu_ps(x + i + 24));
  }
  for (; i < d8; i += 8) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
  if (d8 < d) s1 = _mm256_add_ps(s1, _mm256_maskload_ps(x + d8, tail));
  const float mean0 = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))) / d;

  __m256 vmean = _mm256_set1_ps(mean0);
  __m256 dev0 = _mm256_setzero_ps(), dev1 = dev0, sq0 = dev0, sq1 = dev0;
  for (i = 0; i < d8; i += 8) {
    const __m256 a = _mm256_sub_ps(_mm256_loadu_ps(x + i), vmean);
    dev0 = _mm256_add_ps(dev0, a);
    sq0 = _mm256_fmadd_ps(a, a, sq0);
  }
  if (d8 < d) {
    const __m256 a = _mm256_and_ps(_mm256_sub_ps(_mm256_maskload_ps(x + d8, tail), vmean),
                                   _mm256_castsi256_ps(tail));
    dev1 = _mm256_add_ps(dev1, a);
    sq1 = _mm256_fmadd_ps(a, a, sq1);
  }
  const float shift = hsum(_mm256_add_ps(dev0, dev1)) / d;
  const float var = std::max(0.0f, hsum(_mm256_add_ps(sq0, sq1)) / d - shift * shift);
  vmean = _mm256_set1_ps(mean0 + shift);
  const __m256 inv = _mm256_set1_ps(1.0f / std::sqrt(var + eps));

  // y may alias x: each element is read before it is written.
  for (i = 0; i < d8; i += 8) {
    const __m256 a = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmean), inv);
    _mm256_storeu_ps(y + i,
                     _mm256_fmadd_ps(a, _mm256_loadu_ps(gamma + i), _mm256_loadu_ps(beta + i)));
  }
  if (d8 < d) {
    const __m256 a = _mm256_mul_ps(_mm256_sub_ps(_mm256_maskload_ps(x + d8, tail), vmean), inv);
    _mm256_maskstore_ps(y + d8, tail,
                        _mm256_fmadd_ps(a, _mm256_maskload_ps(gamma + d8, tail),
                                        _mm256_maskload_ps(beta + d8, tail)));
  }
}

}  // namespace tessera::kernels::avx2
