#include "decoder/attention.h"

#include <immintrin.h>

#include <type_traits>

#include "decoder/exp_inline.h"
#include "model/half.h"
#include "tessera/cpu_features.h"

namespace tessera::decoder {
namespace {

// Softmax of scale * scores over each row's keys, zero up to max_keys; returns 1 / sum in inv.
// Reductions use 8 independent lanes so they vectorize without reassociation flags.
[[gnu::always_inline]] inline void softmax_rows(int n_rows, const int* keys, int max_keys,
                                                float scale, float* scores, int64_t stride,
                                                float* inv) {
  constexpr int kLanes = 8;
  for (int g = 0; g < n_rows; ++g) {
    float* s = scores + g * stride;
    const int n = keys[g];
    float lane[kLanes];
    for (int l = 0; l < kLanes; ++l) lane[l] = s[0];
    int p = 0;
    for (; p + kLanes <= n; p += kLanes)
      for (int l = 0; l < kLanes; ++l) lane[l] = s[p + l] > lane[l] ? s[p + l] : lane[l];
    float m = lane[0];
    for (int l = 1; l < kLanes; ++l) m = lane[l] > m ? lane[l] : m;
    for (; p < n; ++p) m = s[p] > m ? s[p] : m;
    m *= scale;
    for (int k = 0; k < n; ++k) s[k] = exp_one(s[k] * scale - m);
    for (int l = 0; l < kLanes; ++l) lane[l] = 0.0f;
    for (p = 0; p + kLanes <= n; p += kLanes)
      for (int l = 0; l < kLanes; ++l) lane[l] += s[p + l];
    float sum = 0;
    for (int l = 0; l < kLanes; ++l) sum += lane[l];
    for (; p < n; ++p) sum += s[p];
    for (int k = n; k < max_keys; ++k) s[k] = 0.0f;
    inv[g] = 1.0f / sum;
  }
}

int max_of(int n, const int* keys) {
  int m = 0;
  for (int g = 0; g < n; ++g) m = keys[g] > m ? keys[g] : m;
  return m;
}

// ---- baseline x86-64: plain loops -----------------------------------------------------------

inline float to_f32(float v) {
  return v;
}
inline float to_f32(uint16_t v) {
  return fp16_to_fp32(v);
}
inline float to_f32(int8_t v) {
  return static_cast<float>(v);
}

// int8 caches: the per-position key scales multiply the raw scores, the value scales the
// probabilities (so the weighted sum runs on the stored integers).
[[gnu::always_inline]] inline void scale_columns(int n_rows, int n_keys, const float* col_scale,
                                                 float* scores, int64_t stride) {
  for (int g = 0; g < n_rows; ++g)
    for (int p = 0; p < n_keys; ++p) scores[g * stride + p] *= col_scale[p];
}

template <typename T>
void attend_baseline(int n_rows, const float* const* q, const int* keys, const HeadKv& kv,
                     int d_head, float scale, float* scores, int64_t stride, float* const* out) {
  const T* k = static_cast<const T*>(kv.k);
  const T* v = static_cast<const T*>(kv.v);
  const int max_keys = max_of(n_rows, keys);
  const int n_tiles = (max_keys + kKeyTile - 1) / kKeyTile;
  for (int g = 0; g < n_rows; ++g)
    for (int p = 0; p < n_tiles * kKeyTile; ++p) scores[g * stride + p] = 0.0f;
  for (int t = 0; t < n_tiles; ++t)
    for (int c = 0; c < d_head; ++c) {
      const T* kc = k + (static_cast<int64_t>(t) * d_head + c) * kKeyTile;
      for (int g = 0; g < n_rows; ++g) {
        float* s = scores + g * stride + t * kKeyTile;
        const float qc = q[g][c];
        for (int l = 0; l < kKeyTile; ++l) s[l] += qc * to_f32(kc[l]);
      }
    }
  float inv[kAttentionBlockRows];
  if constexpr (std::is_same_v<T, int8_t>)
    scale_columns(n_rows, max_keys, kv.k_scale, scores, stride);
  softmax_rows(n_rows, keys, max_keys, scale, scores, stride, inv);
  if constexpr (std::is_same_v<T, int8_t>)
    scale_columns(n_rows, max_keys, kv.v_scale, scores, stride);
  for (int g = 0; g < n_rows; ++g)
    for (int c = 0; c < d_head; ++c) out[g][c] = 0.0f;
  for (int p = 0; p < max_keys; ++p) {
    const T* vp = v + static_cast<int64_t>(p) * d_head;
    for (int g = 0; g < n_rows; ++g) {
      const float w = scores[g * stride + p];
      for (int c = 0; c < d_head; ++c) out[g][c] += w * to_f32(vp[c]);
    }
  }
  for (int g = 0; g < n_rows; ++g)
    for (int c = 0; c < d_head; ++c) out[g][c] *= inv[g];
}

// ---- AVX2 + FMA (+ F16C for half-precision caches): G rows x 16 lanes in registers ----------
// G <= 6: 12 accumulators, two operand vectors and a broadcast fit the 16 ymm registers.

#define TESSERA_AVX2 [[gnu::target("avx2,fma,f16c"), gnu::always_inline]] inline

TESSERA_AVX2 __m256 load8(const float* p) {
  return _mm256_loadu_ps(p);
}
TESSERA_AVX2 __m256 load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
TESSERA_AVX2 __m256 load8(const int8_t* p) {
  return _mm256_cvtepi32_ps(
      _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

template <int G, typename T>
TESSERA_AVX2 void query_keys_avx2(const float* const* q, const T* k, int n_tiles, int d_head,
                                  float* scores, int64_t stride) {
  for (int t = 0; t < n_tiles; ++t) {
    __m256 acc[G][2];
    for (int g = 0; g < G; ++g) acc[g][0] = acc[g][1] = _mm256_setzero_ps();
    const T* tile = k + static_cast<int64_t>(t) * d_head * kKeyTile;
    for (int c = 0; c < d_head; ++c) {
      const __m256 k0 = load8(tile + c * kKeyTile);
      const __m256 k1 = load8(tile + c * kKeyTile + 8);
      for (int g = 0; g < G; ++g) {
        const __m256 b = _mm256_broadcast_ss(q[g] + c);
        acc[g][0] = _mm256_fmadd_ps(b, k0, acc[g][0]);
        acc[g][1] = _mm256_fmadd_ps(b, k1, acc[g][1]);
      }
    }
    for (int g = 0; g < G; ++g) {
      _mm256_storeu_ps(scores + g * stride + t * kKeyTile, acc[g][0]);
      _mm256_storeu_ps(scores + g * stride + t * kKeyTile + 8, acc[g][1]);
    }
  }
}

template <int G, typename T>
TESSERA_AVX2 void weigh_values_avx2(const float* probs, int64_t stride, const T* v, int n_keys,
                                    int d_head, const float* scale, float* const* out) {
  for (int c0 = 0; c0 < d_head; c0 += kKeyTile) {
    __m256 acc[G][2];
    for (int g = 0; g < G; ++g) acc[g][0] = acc[g][1] = _mm256_setzero_ps();
    for (int p = 0; p < n_keys; ++p) {
      const T* vp = v + static_cast<int64_t>(p) * d_head + c0;
      const __m256 v0 = load8(vp), v1 = load8(vp + 8);
      for (int g = 0; g < G; ++g) {
        const __m256 w = _mm256_broadcast_ss(probs + g * stride + p);
        acc[g][0] = _mm256_fmadd_ps(w, v0, acc[g][0]);
        acc[g][1] = _mm256_fmadd_ps(w, v1, acc[g][1]);
      }
    }
    for (int g = 0; g < G; ++g) {
      const __m256 sc = _mm256_set1_ps(scale[g]);
      _mm256_storeu_ps(out[g] + c0, _mm256_mul_ps(acc[g][0], sc));
      _mm256_storeu_ps(out[g] + c0 + 8, _mm256_mul_ps(acc[g][1], sc));
    }
  }
}

template <int G, typename T>
TESSERA_AVX2 void attend_rows_avx2(const float* const* q, const int* keys, const HeadKv& kv,
                                   int d_head, float scale, float* scores, int64_t stride,
                                   float* const* out) {
  const int max_keys = max_of(G, keys);
  query_keys_avx2<G>(q, static_cast<const T*>(kv.k), (max_keys + kKeyTile - 1) / kKeyTile, d_head,
                     scores, stride);
  float inv[G];
  if constexpr (std::is_same_v<T, int8_t>) scale_columns(G, max_keys, kv.k_scale, scores, stride);
  softmax_rows(G, keys, max_keys, scale, scores, stride, inv);
  if constexpr (std::is_same_v<T, int8_t>) scale_columns(G, max_keys, kv.v_scale, scores, stride);
  weigh_values_avx2<G>(scores, stride, static_cast<const T*>(kv.v), max_keys, d_head, inv, out);
}

template <typename T>
[[gnu::target("avx2,fma,f16c")]] void attend_avx2(int n_rows, const float* const* q,
                                                  const int* keys, const HeadKv& kv, int d_head,
                                                  float scale, float* scores, int64_t stride,
                                                  float* const* out) {
  switch (n_rows) {
    case 1:
      return attend_rows_avx2<1, T>(q, keys, kv, d_head, scale, scores, stride, out);
    case 2:
      return attend_rows_avx2<2, T>(q, keys, kv, d_head, scale, scores, stride, out);
    case 3:
      return attend_rows_avx2<3, T>(q, keys, kv, d_head, scale, scores, stride, out);
    case 4:
      return attend_rows_avx2<4, T>(q, keys, kv, d_head, scale, scores, stride, out);
    case 5:
      return attend_rows_avx2<5, T>(q, keys, kv, d_head, scale, scores, stride, out);
    case 6:
      return attend_rows_avx2<6, T>(q, keys, kv, d_head, scale, scores, stride, out);
    default:
      return;
  }
}

#undef TESSERA_AVX2

using AttendFn = void (*)(int, const float* const*, const int*, const HeadKv&, int, float, float*,
                          int64_t, float* const*);

}  // namespace

void attend_block(int n_rows, const float* const* q, const int* keys, const HeadKv& kv, int d_head,
                  float scale, float* scores, int64_t score_stride, float* const* out) {
  static const bool avx2 = cpu_features().has_avx2_fma() && cpu_features().f16c;
  static const AttendFn f32 = avx2 ? attend_avx2<float> : attend_baseline<float>;
  static const AttendFn f16 = avx2 ? attend_avx2<uint16_t> : attend_baseline<uint16_t>;
  static const AttendFn i8 = avx2 ? attend_avx2<int8_t> : attend_baseline<int8_t>;
  if (n_rows < 1 || n_rows > kAttentionBlockRows) return;
  const AttendFn fn = kv.elem == KvElem::F16 ? f16 : kv.elem == KvElem::I8 ? i8 : f32;
  fn(n_rows, q, keys, kv, d_head, scale, scores, score_stride, out);
}

void attend_block_baseline(int n_rows, const float* const* q, const int* keys, const HeadKv& kv,
                           int d_head, float scale, float* scores, int64_t score_stride,
                           float* const* out) {
  if (n_rows < 1 || n_rows > kAttentionBlockRows) return;
  const AttendFn fn = kv.elem == KvElem::F16  ? attend_baseline<uint16_t>
                      : kv.elem == KvElem::I8 ? attend_baseline<int8_t>
                                              : attend_baseline<float>;
  fn(n_rows, q, keys, kv, d_head, scale, scores, score_stride, out);
}

}  // namespace tessera::decoder
