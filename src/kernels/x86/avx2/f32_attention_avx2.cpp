// f32-attention-48x96-avx2-fma: flash attention for one head and a block of 48 queries.
// Per tile of 96 keys: S^T = K (scale Q)^T with a 6x16 FMA microkernel (keys x queries, so the
// softmax statistics run vertically, one query per lane), an online softmax update (running max
// m, running sum l, rescale factor alpha), then O = alpha O + P V with a 6x16 microkernel
// (queries x head dims). Only a 96 x 48 score tile ever exists.
#include <limits>
#include <utility>

#include "kernels/x86/avx2/f32_avx2.h"
#include "kernels/x86/avx2/f32_math_avx2.h"

namespace tessera::kernels::avx2 {
namespace {

constexpr int kBQ = 48;  // queries per task: 3 panels of 16 (QK) = 8 tiles of 6 (PV)
constexpr int kBK = 96;  // keys per tile: 16 tiles of 6 (QK)
constexpr int kMaxHead = 256;

// st[i][0..15] = sum_d k[i][d] qp[d][0..15] for R key rows.
template <int R, int... I>
TESSERA_AVX2_INLINE void qk_tile(std::integer_sequence<int, I...>, const float* k, int64_t ldk,
                                 const float* qp, int dh, float* st) {
  __m256 acc0[R], acc1[R];
  ((acc0[I] = _mm256_setzero_ps(), acc1[I] = _mm256_setzero_ps()), ...);
  for (int d = 0; d < dh; ++d) {
    const __m256 b0 = _mm256_load_ps(qp + d * 16);
    const __m256 b1 = _mm256_load_ps(qp + d * 16 + 8);
    ((acc0[I] = _mm256_fmadd_ps(_mm256_broadcast_ss(k + I * ldk + d), b0, acc0[I]),
      acc1[I] = _mm256_fmadd_ps(_mm256_broadcast_ss(k + I * ldk + d), b1, acc1[I])),
     ...);
  }
  ((_mm256_store_ps(st + I * kBQ, acc0[I]), _mm256_store_ps(st + I * kBQ + 8, acc1[I])), ...);
}

template <int R>
void qk_rows(const float* k, int64_t ldk, const float* qp, int dh, float* st) {
  qk_tile<R>(std::make_integer_sequence<int, R>{}, k, ldk, qp, dh, st);
}

using QkFn = void (*)(const float*, int64_t, const float*, int, float*);
constexpr QkFn kQkRows[7] = {nullptr,    qk_rows<1>, qk_rows<2>, qk_rows<3>,
                             qk_rows<4>, qk_rows<5>, qk_rows<6>};

// o[i][0..8NV) = alpha[i] o[i][..] + sum_j p[j][i] v[j][..] for 6 query rows i.
template <int NV, int... I>
TESSERA_AVX2_INLINE void pv_tile(std::integer_sequence<int, I...>, int bk, const float* p,
                                 const float* v, int64_t ldv, float* o, int dh,
                                 const float* alpha) {
  __m256 acc0[6], acc1[6];
  ((acc0[I] = _mm256_mul_ps(_mm256_load_ps(o + I * dh), _mm256_broadcast_ss(alpha + I))), ...);
  if constexpr (NV == 2)
    ((acc1[I] = _mm256_mul_ps(_mm256_load_ps(o + I * dh + 8), _mm256_broadcast_ss(alpha + I))),
     ...);
  for (int j = 0; j < bk; ++j) {
    const __m256 v0 = _mm256_load_ps(v);
    if constexpr (NV == 2) {
      const __m256 v1 = _mm256_load_ps(v + 8);
      ((acc0[I] = _mm256_fmadd_ps(_mm256_broadcast_ss(p + I), v0, acc0[I]),
        acc1[I] = _mm256_fmadd_ps(_mm256_broadcast_ss(p + I), v1, acc1[I])),
       ...);
    } else {
      ((acc0[I] = _mm256_fmadd_ps(_mm256_broadcast_ss(p + I), v0, acc0[I])), ...);
    }
    p += kBQ;
    v += ldv;
  }
  (_mm256_store_ps(o + I * dh, acc0[I]), ...);
  if constexpr (NV == 2) (_mm256_store_ps(o + I * dh + 8, acc1[I]), ...);
}

template <int NV>
void pv_rows(int bk, const float* p, const float* v, int64_t ldv, float* o, int dh,
             const float* alpha) {
  pv_tile<NV>(std::make_integer_sequence<int, 6>{}, bk, p, v, ldv, o, dh, alpha);
}

}  // namespace

bool f32_attention_supports(int d_head) {
  return d_head >= 8 && d_head <= kMaxHead && d_head % 8 == 0;
}

size_t f32_attention_scratch(int d_head) {
  // Q^T panels, O, the score tile, the V tile, then m, l and alpha per query.
  return static_cast<size_t>(2 * kBQ * d_head + kBK * kBQ + kBK * d_head + 3 * kBQ);
}

void f32_attention(const F32AttentionHead& h, int q0, int q1, float* scratch) {
  const int dh = h.d_head, nq = q1 - q0;
  const int nq6 = (nq + 5) / 6 * 6;    // query rows the PV tiles cover
  const int panels = (nq6 + 15) / 16;  // query panels the QK tiles cover
  const int columns = (nq6 + 7) / 8;   // query vectors of the softmax
  float* qp = scratch;                 // [panel][d][16], scaled
  float* o = qp + kBQ * dh;            // [query][d]
  float* st = o + kBQ * dh;            // [key][query]: scores, then probabilities
  float* vt = st + kBK * kBQ;          // V tile in 16-wide column blocks: [block][key][16]
  float* m_run = vt + kBK * dh;        // running max per query
  float* l_run = m_run + kBQ;          // running sum per query
  float* alpha = l_run + kBQ;          // rescale factor of the current tile

  for (int p = 0; p < panels; ++p)
    for (int d = 0; d < dh; ++d)
      for (int i = 0; i < 16; ++i) {
        const int q = q0 + p * 16 + i;
        qp[(p * dh + d) * 16 + i] = q < q1 ? h.q[q * h.ldq + d] * h.scale : 0.0f;
      }
  for (int i = 0; i < nq6 * dh; ++i) o[i] = 0.0f;
  for (int i = 0; i < kBQ; ++i) {
    m_run[i] = -std::numeric_limits<float>::infinity();
    l_run[i] = 0.0f;
  }

  for (int j0 = 0; j0 < h.t; j0 += kBK) {
    const int bk = std::min(kBK, h.t - j0);
    for (int jj = 0; jj < bk; jj += 6) {
      const QkFn qk = kQkRows[std::min(6, bk - jj)];
      for (int p = 0; p < panels; ++p)
        qk(h.k + (j0 + jj) * h.ldk, h.ldk, qp + p * dh * 16, dh, st + jj * kBQ + p * 16);
    }
    // Online softmax, 8 queries per vector: new max, rescale of what came before, P = exp(S - m).
    for (int c = 0; c < columns; ++c) {
      float* col = st + c * 8;
      const __m256 m_old = _mm256_load_ps(m_run + c * 8);
      __m256 m_new = m_old;
      for (int j = 0; j < bk; ++j) m_new = _mm256_max_ps(m_new, _mm256_load_ps(col + j * kBQ));
      const __m256 a = exp_softmax_ps(_mm256_sub_ps(m_old, m_new));
      __m256 sum0 = _mm256_setzero_ps(), sum1 = sum0;
      int j = 0;
      for (; j + 2 <= bk; j += 2) {
        const __m256 p0 = exp_softmax_ps(_mm256_sub_ps(_mm256_load_ps(col + j * kBQ), m_new));
        const __m256 p1 = exp_softmax_ps(_mm256_sub_ps(_mm256_load_ps(col + (j + 1) * kBQ), m_new));
        _mm256_store_ps(col + j * kBQ, p0);
        _mm256_store_ps(col + (j + 1) * kBQ, p1);
        sum0 = _mm256_add_ps(sum0, p0);
        sum1 = _mm256_add_ps(sum1, p1);
      }
      if (j < bk) {
        const __m256 p0 = exp_softmax_ps(_mm256_sub_ps(_mm256_load_ps(col + j * kBQ), m_new));
        _mm256_store_ps(col + j * kBQ, p0);
        sum0 = _mm256_add_ps(sum0, p0);
      }
      const __m256 l = _mm256_load_ps(l_run + c * 8);
      _mm256_store_ps(l_run + c * 8, _mm256_fmadd_ps(l, a, _mm256_add_ps(sum0, sum1)));
      _mm256_store_ps(m_run + c * 8, m_new);
      _mm256_store_ps(alpha + c * 8, a);
    }
    // Copy the V tile out of its strided rows (rows of interleaved heads lie 2 KiB apart and
    // fight over L1 sets) into contiguous column blocks, which the query tiles then stream.
    const float* v = h.v + j0 * h.ldv;
    for (int d = 0; d < dh; d += 16) {
      float* block = vt + d * kBK;
      if (d + 16 <= dh) {
        for (int j = 0; j < bk; ++j) {
          _mm256_store_ps(block + j * 16, _mm256_loadu_ps(v + j * h.ldv + d));
          _mm256_store_ps(block + j * 16 + 8, _mm256_loadu_ps(v + j * h.ldv + d + 8));
        }
      } else {
        for (int j = 0; j < bk; ++j)
          _mm256_store_ps(block + j * 8, _mm256_loadu_ps(v + j * h.ldv + d));
      }
    }
    for (int i = 0; i < nq6; i += 6) {
      int d = 0;
      for (; d + 16 <= dh; d += 16)
        pv_rows<2>(bk, st + i, vt + d * kBK, 16, o + i * dh + d, dh, alpha + i);
      if (d < dh) pv_rows<1>(bk, st + i, vt + d * kBK, 8, o + i * dh + d, dh, alpha + i);
    }
  }

  for (int i = 0; i < nq; ++i) {
    const __m256 inv = _mm256_set1_ps(1.0f / l_run[i]);
    float* out = h.out + (q0 + i) * h.ldo;
    for (int d = 0; d < dh; d += 8)
      _mm256_storeu_ps(out + d, _mm256_mul_ps(_mm256_load_ps(o + i * dh + d), inv));
  }
}

}  // namespace tessera::kernels::avx2
