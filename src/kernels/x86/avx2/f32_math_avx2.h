// Vectorized fp32 exp, erf, erfc and exact GELU for AVX2+FMA, no lookup tables. Include only from
// translation units compiled with -mavx2 -mfma (src/kernels/x86/avx2/).
//
// exp: Cody-Waite reduction by ln 2 and a degree-6 polynomial; 2^n is applied in two halves so
// results underflow gradually into subnormals. erfc(x), x >= 0: t * exp(-x^2 + P(t)) with
// t = 1 / (1 + x/2) and P a degree-10 minimax fit (|error| < 1e-8 on [0, 12]); x^2 is carried
// as an exact hi + lo pair so the large exponent loses nothing. erf(x), |x| < 1: x P(x^2).
#pragma once

#include <immintrin.h>

namespace tessera::kernels::avx2 {

#define TESSERA_AVX2_INLINE inline __attribute__((always_inline))

// exp(a + b) for a in [-110, 89] (exact), |b| < ~4: the reduction keeps a's bits exactly.
TESSERA_AVX2_INLINE __m256 exp_sum_ps(__m256 a, __m256 b) {
  const __m256 log2e = _mm256_set1_ps(1.44269504f);
  const __m256 ln2_hi = _mm256_set1_ps(0.693359375f);  // 9 significant bits: n * ln2_hi is exact
  const __m256 ln2_lo = _mm256_set1_ps(-2.12194440e-4f);
  // Round to nearest by adding 1.5 * 2^23 (cheaper than vroundps on Zen); n's integer value is
  // then in the low mantissa bits.
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  const __m256 shifted = _mm256_fmadd_ps(_mm256_add_ps(a, b), log2e, magic);
  const __m256 n = _mm256_sub_ps(shifted, magic);
  __m256 r = _mm256_fnmadd_ps(n, ln2_hi, a);
  r = _mm256_add_ps(r, b);
  r = _mm256_fnmadd_ps(n, ln2_lo, r);
  // Cephes expf polynomial on [-ln2/2, ln2/2], evaluated Estrin-style (short dependency chain:
  // these functions are latency-bound inside the out-of-order window).
  const __m256 r2 = _mm256_mul_ps(r, r);
  const __m256 p45 =
      _mm256_fmadd_ps(_mm256_set1_ps(1.9875691500e-4f), r, _mm256_set1_ps(1.3981999507e-3f));
  const __m256 p23 =
      _mm256_fmadd_ps(_mm256_set1_ps(8.3334519073e-3f), r, _mm256_set1_ps(4.1665795894e-2f));
  const __m256 p01 =
      _mm256_fmadd_ps(_mm256_set1_ps(1.6666665459e-1f), r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 p25 = _mm256_fmadd_ps(p45, r2, p23);
  __m256 p = _mm256_fmadd_ps(p25, r2, p01);
  p = _mm256_fmadd_ps(p, r2, r);
  p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
  // 2^n as 2^(n/2) * 2^(n - n/2): both halves stay normal for n in [-160, 130].
  const __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic));
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

// exp(x) over the whole float range: 0 below -104, inf above 88.73, NaN stays NaN.
TESSERA_AVX2_INLINE __m256 exp_ps(__m256 x) {
  // max/min return their second operand when one is NaN, so NaN passes through the clamp.
  x = _mm256_max_ps(_mm256_set1_ps(-110.0f), x);
  x = _mm256_min_ps(_mm256_set1_ps(89.0f), x);
  return exp_sum_ps(x, _mm256_setzero_ps());
}

// exp(x) for x <= 0 as softmax needs it: inputs below -87 give about 1e-38 instead of
// underflowing to 0, and NaN is not preserved. Same polynomial as exp_ps, one scale step.
TESSERA_AVX2_INLINE __m256 exp_softmax_ps(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  const __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504f), magic);
  const __m256 n = _mm256_sub_ps(shifted, magic);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  const __m256 r2 = _mm256_mul_ps(r, r);
  const __m256 p45 =
      _mm256_fmadd_ps(_mm256_set1_ps(1.9875691500e-4f), r, _mm256_set1_ps(1.3981999507e-3f));
  const __m256 p23 =
      _mm256_fmadd_ps(_mm256_set1_ps(8.3334519073e-3f), r, _mm256_set1_ps(4.1665795894e-2f));
  const __m256 p01 =
      _mm256_fmadd_ps(_mm256_set1_ps(1.6666665459e-1f), r, _mm256_set1_ps(5.0000001201e-1f));
  __m256 p = _mm256_fmadd_ps(_mm256_fmadd_ps(p45, r2, p23), r2, p01);
  p = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0f));
  const __m256i scale =
      _mm256_slli_epi32(_mm256_sub_epi32(_mm256_castps_si256(shifted),
                                         _mm256_castps_si256(_mm256_set1_ps(12582912.0f - 127.0f))),
                        23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
}

// erfc(x) for x in [0, 12] given x^2 = xx_hi + xx_lo exactly.
TESSERA_AVX2_INLINE __m256 erfc_nonnegative_ps(__m256 x, __m256 xx_hi, __m256 xx_lo) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(x, _mm256_set1_ps(0.5f), one));
  // P is fitted in u = t * 7/3 - 4/3, which maps t in [1/7, 1] onto [-1, 1].
  const __m256 u = _mm256_fmadd_ps(t, _mm256_set1_ps(2.33333333f), _mm256_set1_ps(-1.33333333f));
  // The high-order terms Estrin-style (short dependency chain: these functions are bound by
  // latency inside the out-of-order window), the last two steps Horner (as accurate as plain
  // Horner, which full Estrin is not).
  const __m256 u2 = _mm256_mul_ps(u, u);
  const __m256 u4 = _mm256_mul_ps(u2, u2);
  const __m256 c23 = _mm256_fmadd_ps(_mm256_set1_ps(-3.190569579601288e-02f), u,
                                     _mm256_set1_ps(1.932404562830925e-02f));
  const __m256 c45 = _mm256_fmadd_ps(_mm256_set1_ps(4.3099308386445045e-03f), u,
                                     _mm256_set1_ps(-1.7690886743366718e-03f));
  const __m256 c67 = _mm256_fmadd_ps(_mm256_set1_ps(-6.814724765717983e-04f), u,
                                     _mm256_set1_ps(-1.8824236758518964e-04f));
  const __m256 c89 = _mm256_fmadd_ps(_mm256_set1_ps(7.723955786786973e-05f), u,
                                     _mm256_set1_ps(1.3290889910422266e-04f));
  const __m256 c6x =
      _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(-2.533024780859705e-05f), u2, c89), u2, c67);
  const __m256 q = _mm256_fmadd_ps(c6x, u4, _mm256_fmadd_ps(c45, u2, c23));
  __m256 p = _mm256_fmadd_ps(q, u, _mm256_set1_ps(5.856020450592041e-01f));
  p = _mm256_fmadd_ps(p, u, _mm256_set1_ps(-5.748763084411621e-01f));
  // exp(-x^2 + P): -xx_hi is the exact large part, P - xx_lo the small one.
  const __m256 neg_hi = _mm256_sub_ps(_mm256_setzero_ps(), xx_hi);
  return _mm256_mul_ps(t, exp_sum_ps(neg_hi, _mm256_sub_ps(p, xx_lo)));
}

TESSERA_AVX2_INLINE __m256 abs_ps(__m256 x) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
}

// erf(x) for |x| < 1: x (c0 + s Q(s)), s = x^2 (minimax, < 1e-9 relative).
TESSERA_AVX2_INLINE __m256 erf_small_ps(__m256 x) {
  const __m256 s = _mm256_mul_ps(x, x);
  __m256 q = _mm256_set1_ps(7.889109110692516e-05f);
  q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(-8.020838140510023e-04f));
  q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(5.189535208046436e-03f));
  q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(-2.6854444295167923e-02f));
  q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(1.1283600330352783e-01f));
  q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(-3.761262595653534e-01f));
  return _mm256_fmadd_ps(_mm256_mul_ps(x, s), q,
                         _mm256_mul_ps(x, _mm256_set1_ps(1.1283791065216064f)));
}

// erf(x) for every float; NaN stays NaN.
TESSERA_AVX2_INLINE __m256 erf_ps(__m256 x) {
  const __m256 ax = abs_ps(x);
  const __m256 small = erf_small_ps(x);
  // |x| >= 1: sign(x) (1 - erfc(|x|)); erfc(12) underflows, so clamp there.
  const __m256 cx = _mm256_min_ps(ax, _mm256_set1_ps(12.0f));
  const __m256 hi = _mm256_mul_ps(cx, cx);
  const __m256 lo = _mm256_fmsub_ps(cx, cx, hi);
  const __m256 big_abs = _mm256_sub_ps(_mm256_set1_ps(1.0f), erfc_nonnegative_ps(cx, hi, lo));
  const __m256 big = _mm256_or_ps(big_abs, _mm256_and_ps(x, _mm256_set1_ps(-0.0f)));
  const __m256 r =
      _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, _mm256_set1_ps(1.0f), _CMP_LT_OQ));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// Exact GELU: x/2 (1 + erf(z)), z = x / sqrt 2. Near 0 (abs(z) < 0.5) 1 + erf(z) comes from an
// erf polynomial; elsewhere from erfc: erfc(abs(z)) for x < 0 (no cancellation in the negative
// tail), 2 - erfc(z) for x > 0. Max error about 5 ulp, in the negative tail.
TESSERA_AVX2_INLINE __m256 gelu_ps(__m256 x) {
  const __m256 half = _mm256_set1_ps(0.5f);
  // erfc(abs(x) / sqrt 2) underflows past abs(x) = 12 sqrt 2.
  const __m256 ax = _mm256_min_ps(abs_ps(x), _mm256_set1_ps(16.9705627f));
  const __m256 az = _mm256_mul_ps(ax, _mm256_set1_ps(0.707106781f));
  // z^2 = x^2 / 2 exactly, from x itself (not from the rounded z).
  const __m256 hi = _mm256_mul_ps(ax, ax);
  const __m256 lo = _mm256_fmsub_ps(ax, ax, hi);
  const __m256 e = erfc_nonnegative_ps(az, _mm256_mul_ps(hi, half), _mm256_mul_ps(lo, half));
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  const __m256 tail = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(2.0f), e), e, neg);
  // abs(z) < 0.5: erf(z) = z (c0 + s Q(s)), s = z^2, minimax (1.3e-9 relative).
  const __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.707106781f));
  const __m256 s = _mm256_mul_ps(z, z);
  __m256 q = _mm256_set1_ps(0.004719927441328764f);
  q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(-0.02675815485417843f));
  q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(0.11282838135957718f));
  q = _mm256_fmadd_ps(q, s, _mm256_set1_ps(-0.37612608075141907f));
  const __m256 erf_near = _mm256_fmadd_ps(_mm256_mul_ps(z, s), q,
                                          _mm256_mul_ps(z, _mm256_set1_ps(1.1283791065216064f)));
  const __m256 near = _mm256_add_ps(_mm256_set1_ps(1.0f), erf_near);
  const __m256 one_plus_erf = _mm256_blendv_ps(tail, near, _mm256_cmp_ps(az, half, _CMP_LT_OQ));
  return _mm256_mul_ps(_mm256_mul_ps(x, half), one_plus_erf);
}

// Lanes [0, n) set, for masked loads and stores of tails (n in [0, 8]).
TESSERA_AVX2_INLINE __m256i tail_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace tessera::kernels::avx2
