// Row quantization for the int8 GEMM family, AVX2. Bit-identical to
// reference::qs8_quantize_row_scalar: the same float operations in the same order (no FMA
// contraction: C++20 mode compiles with -ffp-contract=off), cvtps rounds to nearest even like
// nearbyint, and max/min ignore NaN the way std::max/std::min do in the reference.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/reference/qs8_ukernels.h"
#include "kernels/x86/avx2/f32_math_avx2.h"

namespace tessera::kernels::avx2 {
namespace {

TESSERA_AVX2_INLINE __m256 load_values(const float* x, const float* mult, int j) {
  const __m256 v = _mm256_loadu_ps(x + j);
  return mult ? _mm256_mul_ps(v, _mm256_loadu_ps(mult + j)) : v;
}

TESSERA_AVX2_INLINE __m256 load_values_tail(const float* x, const float* mult, int j, int n) {
  const __m256i m = tail_mask(n);
  const __m256 v = _mm256_maskload_ps(x + j, m);
  return mult ? _mm256_mul_ps(v, _mm256_maskload_ps(mult + j, m)) : v;
}

inline float value(const float* x, const float* mult, int j) {
  return mult ? x[j] * mult[j] : x[j];
}

inline int32_t round_clamp(float v, float lo, float hi) {
  float r = std::nearbyint(v);
  if (!(r >= lo)) r = lo;
  if (r > hi) r = hi;
  return static_cast<int32_t>(r);
}

// q = clamp(round(v * inv), lo, hi) + add, 8 lanes.
TESSERA_AVX2_INLINE __m256i quantize8(__m256 v, __m256 inv, __m256i lo, __m256i hi, __m256i add) {
  const __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(v, inv));
  return _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(q, lo), hi), add);
}

// Writes k values (and zeros up to k_padded) as T.
template <typename T>
void quantize_body(const float* x, const float* mult, int k, int k_padded, float inv, int32_t lo,
                   int32_t hi, int32_t add, T* out) {
  const __m256 vinv = _mm256_set1_ps(inv);
  const __m256i vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
  const __m256i vadd = _mm256_set1_epi32(add);
  int j = 0;
  if constexpr (sizeof(T) == 1) {
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (; j + 32 <= k; j += 32) {
      const __m256i q0 = quantize8(load_values(x, mult, j), vinv, vlo, vhi, vadd);
      const __m256i q1 = quantize8(load_values(x, mult, j + 8), vinv, vlo, vhi, vadd);
      const __m256i q2 = quantize8(load_values(x, mult, j + 16), vinv, vlo, vhi, vadd);
      const __m256i q3 = quantize8(load_values(x, mult, j + 24), vinv, vlo, vhi, vadd);
      const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j),
                          _mm256_permutevar8x32_epi32(b, order));
    }
  } else {
    for (; j + 16 <= k; j += 16) {
      const __m256i q0 = quantize8(load_values(x, mult, j), vinv, vlo, vhi, vadd);
      const __m256i q1 = quantize8(load_values(x, mult, j + 8), vinv, vlo, vhi, vadd);
      const __m256i s = _mm256_permute4x64_epi64(_mm256_packs_epi32(q0, q1), 0xD8);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j), s);
    }
  }
  const float flo = static_cast<float>(lo), fhi = static_cast<float>(hi);
  for (; j < k; ++j) out[j] = static_cast<T>(round_clamp(value(x, mult, j) * inv, flo, fhi) + add);
  for (; j < k_padded; ++j) out[j] = T{0};
}

template <typename T>
void zero_row(int k_padded, T* out) {
  std::fill(out, out + k_padded, T{0});
}

}  // namespace

void qs8_quantize_row(const float* x, int k, int k_padded, const float* mult, ActQuant mode,
                      Qs8ActType type, int qmax, void* out, float* scale, int32_t* zero_point) {
  auto zero = [&] {
    *scale = 0;
    *zero_point = 0;
    if (type == Qs8ActType::kInt8)
      zero_row(k_padded, static_cast<int8_t*>(out));
    else
      zero_row(k_padded, static_cast<int16_t*>(out));
  };
  const int full = k / 8 * 8;
  if (mode == ActQuant::kSymmetric) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    for (int j = 0; j < full; j += 8)
      m = _mm256_max_ps(_mm256_andnot_ps(sign, load_values(x, mult, j)), m);
    if (full < k)
      m = _mm256_max_ps(_mm256_andnot_ps(sign, load_values_tail(x, mult, full, k - full)), m);
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(_mm_movehl_ps(h, h), h);
    h = _mm_max_ss(_mm_shuffle_ps(h, h, 1), h);
    const float amax = _mm_cvtss_f32(h);
    const float fq = static_cast<float>(qmax);
    const float inv = fq / amax;
    if (!(amax > 0) || !std::isfinite(amax) || !std::isfinite(inv)) return zero();
    *scale = amax / fq;
    *zero_point = 0;
    if (type == Qs8ActType::kInt8)
      quantize_body(x, mult, k, k_padded, inv, -qmax, qmax, 0, static_cast<int8_t*>(out));
    else
      quantize_body(x, mult, k, k_padded, inv, -qmax, qmax, 0, static_cast<int16_t*>(out));
    return;
  }
  __m256 vlo = _mm256_setzero_ps(), vhi = _mm256_setzero_ps();
  for (int j = 0; j < full; j += 8) {
    const __m256 v = load_values(x, mult, j);
    vlo = _mm256_min_ps(v, vlo);
    vhi = _mm256_max_ps(v, vhi);
  }
  if (full < k) {  // masked lanes read as 0, which the range includes anyway
    const __m256 v = load_values_tail(x, mult, full, k - full);
    vlo = _mm256_min_ps(v, vlo);
    vhi = _mm256_max_ps(v, vhi);
  }
  __m128 l = _mm_min_ps(_mm256_castps256_ps128(vlo), _mm256_extractf128_ps(vlo, 1));
  l = _mm_min_ps(_mm_movehl_ps(l, l), l);
  l = _mm_min_ss(_mm_shuffle_ps(l, l, 1), l);
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(vhi), _mm256_extractf128_ps(vhi, 1));
  h = _mm_max_ps(_mm_movehl_ps(h, h), h);
  h = _mm_max_ss(_mm_shuffle_ps(h, h, 1), h);
  const float lo = _mm_cvtss_f32(l), hi = _mm_cvtss_f32(h);
  const float range = hi - lo;
  const float inv = 255.0f / range;
  if (!(range > 0) || !std::isfinite(range) || !std::isfinite(inv)) return zero();
  *scale = range / 255.0f;
  const int32_t zp = round_clamp(-lo * inv, 0.0f, 255.0f);
  *zero_point = zp - 128;
  quantize_body(x, mult, k, k_padded, inv, -zp, 255 - zp, zp - 128, static_cast<int8_t*>(out));
}

}  // namespace tessera::kernels::avx2
