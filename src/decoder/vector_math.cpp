#include "decoder/vector_math.h"

#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "decoder/exp_inline.h"
#include "tessera/cpu_features.h"

namespace tessera::decoder {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr int kLanes = 8;  // independent accumulators, so reductions vectorize without fast-math

}  // namespace

void exp_f32(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = exp_one(x[i]);
}

namespace scalar {

float max_f32(const float* x, int64_t n) {
  float lane[kLanes];
  for (float& l : lane) l = kNegInf;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] = x[i + l] > lane[l] ? x[i + l] : lane[l];
  float m = kNegInf;
  for (float l : lane) m = l > m ? l : m;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

}  // namespace scalar

int64_t argmax_f32(const float* x, int64_t n) {
  if (n <= 0) return -1;
  const float m = max_f32(x, n);
  for (int64_t i = 0; i < n; ++i)
    if (x[i] == m) return i;
  // NaNs present and nothing compares equal to the maximum: fall back to the first NaN, as torch.
  for (int64_t i = 0; i < n; ++i)
    if (std::isnan(x[i])) return i;
  return 0;
}

float sum_f32(const float* x, int64_t n) {
  float lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += x[i + l];
  float s = 0;
  for (float l : lane) s += l;
  for (; i < n; ++i) s += x[i];
  return s;
}

namespace scalar {

float sum_exp_shifted(const float* x, int64_t n, float m) {
  float lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += exp_one(x[i + l] - m);
  float s = 0;
  for (float l : lane) s += l;
  for (; i < n; ++i) s += exp_one(x[i] - m);
  return s;
}

}  // namespace scalar

void softmax_inplace(float* x, int64_t n) {
  if (n <= 0) return;
  const float m = max_f32(x, n);
  if (m == kNegInf) {
    for (int64_t i = 0; i < n; ++i) x[i] = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  for (int64_t i = 0; i < n; ++i) x[i] = exp_one(x[i] - m);
  const float inv = 1.0f / sum_f32(x, n);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float logsumexp_f32(const float* x, int64_t n) {
  const float m = max_f32(x, n);
  if (m == kNegInf || std::isinf(m)) return m;
  return m + std::log(sum_exp_shifted(x, n, m));
}

void log_softmax_f32(const float* x, float* out, int64_t n) {
  if (n <= 0) return;
  const float lse = logsumexp_f32(x, n);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] - lse;
}

namespace {

// Offers x[i] to the sorted top list: strictly greater than the current k-th, so equal values
// keep index order.
[[gnu::always_inline]] inline void offer(float v, int64_t i, int want, int& count, int* index_out,
                                         float* value_out) {
  if (count == want && !(v > value_out[want - 1])) return;
  int pos = count < want ? count++ : want - 1;
  while (pos > 0 && v > value_out[pos - 1]) {
    value_out[pos] = value_out[pos - 1];
    index_out[pos] = index_out[pos - 1];
    --pos;
  }
  value_out[pos] = v;
  index_out[pos] = static_cast<int>(i);
}

// ---- AVX2 + FMA twins of the scalar loops (same results up to float rounding; top-k exact) ---

#define TESSERA_AVX2 [[gnu::target("avx2,fma")]]

TESSERA_AVX2 float max_avx2(const float* x, int64_t n) {
  // max_ps(v, m) = v > m ? v : m, the scalar lanes' rule (NaN entries are passed over).
  __m256 m0 = _mm256_set1_ps(kNegInf), m1 = m0, m2 = m0, m3 = m0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
    m1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), m1);
    m2 = _mm256_max_ps(_mm256_loadu_ps(x + i + 16), m2);
    m3 = _mm256_max_ps(_mm256_loadu_ps(x + i + 24), m3);
  }
  for (; i + 8 <= n; i += 8) m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
  m0 = _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3));
  alignas(32) float lane[8];
  _mm256_store_ps(lane, m0);
  float m = kNegInf;
  for (float l : lane) m = l > m ? l : m;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

// exp_one on 8 lanes, with FMA.
TESSERA_AVX2 inline __m256 exp8(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.33654f), hi = _mm256_set1_ps(88.0f);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_blendv_ps(x, hi, _mm256_cmp_ps(x, hi, _CMP_GT_OQ));  // NaN stays NaN
  x = _mm256_blendv_ps(x, lo, underflow);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  return _mm256_andnot_ps(underflow, y);
}

TESSERA_AVX2 float sum_exp_shifted_avx2(const float* x, int64_t n, float m) {
  const __m256 mv = _mm256_set1_ps(m);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_add_ps(s0, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv)));
    s1 = _mm256_add_ps(s1, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), mv)));
  }
  for (; i + 8 <= n; i += 8)
    s0 = _mm256_add_ps(s0, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv)));
  alignas(32) float lane[8];
  _mm256_store_ps(lane, _mm256_add_ps(s0, s1));
  float s = 0;
  for (float l : lane) s += l;
  for (; i < n; ++i) s += exp_one(x[i] - m);
  return s;
}

// Once the list is full, 8 values at a time are compared with the k-th and only blocks holding a
// larger one go through the scalar insertion (in index order, so the result is the scalar one).
TESSERA_AVX2 int top_k_avx2(const float* x, int64_t n, int want, int* index_out, float* value_out) {
  int count = 0;
  int64_t i = 0;
  for (; i < n && count < want; ++i) offer(x[i], i, want, count, index_out, value_out);
  for (; i + 8 <= n; i += 8) {
    const __m256 kth = _mm256_set1_ps(value_out[want - 1]);
    if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), kth, _CMP_GT_OQ)) == 0) continue;
    for (int64_t j = i; j < i + 8; ++j) offer(x[j], j, want, count, index_out, value_out);
  }
  for (; i < n; ++i) offer(x[i], i, want, count, index_out, value_out);
  return count;
}

#undef TESSERA_AVX2

bool use_avx2() {
  static const bool avx2 = cpu_features().has_avx2_fma();
  return avx2;
}

}  // namespace

namespace scalar {

int top_k_f32(const float* x, int64_t n, int k, int* index_out, float* value_out) {
  if (k <= 0 || n <= 0) return 0;
  const int want = n < k ? static_cast<int>(n) : k;
  int count = 0;
  for (int64_t i = 0; i < n; ++i) offer(x[i], i, want, count, index_out, value_out);
  return count;
}

}  // namespace scalar

float max_f32(const float* x, int64_t n) {
  return use_avx2() ? max_avx2(x, n) : scalar::max_f32(x, n);
}

float sum_exp_shifted(const float* x, int64_t n, float m) {
  return use_avx2() ? sum_exp_shifted_avx2(x, n, m) : scalar::sum_exp_shifted(x, n, m);
}

int top_k_f32(const float* x, int64_t n, int k, int* index_out, float* value_out) {
  if (k <= 0 || n <= 0) return 0;
  const int want = n < k ? static_cast<int>(n) : k;
  return use_avx2() ? top_k_avx2(x, n, want, index_out, value_out)
                    : scalar::top_k_f32(x, n, k, index_out, value_out);
}

}  // namespace tessera::decoder
