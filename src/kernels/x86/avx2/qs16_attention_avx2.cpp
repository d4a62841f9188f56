// qs16-attention-48x64-avx2: integer flash attention for one head and a block of 48 queries, on
// the int16 Q, K, V of the quantize pass (bounds: kernels/qs16_attention.h).
// Per tile of 64 keys: S^T = K Q^T with a 6x16 vpmaddwd microkernel (keys x queries, so the
// softmax statistics run vertically, one query per lane; Q packed per 16-query panel as
// [d / 2][query][2]), scores to fp32 with the row scales, an online softmax update in fp32, P
// quantized to int16 and stored as key pairs ([key / 2][query] of (p_2j, p_2j+1)), then
// O = alpha O + float(P V) with a 6x16 vpmaddwd microkernel (queries x head dims) on V's key-pair
// layout. vpmaddwd does 16 multiply-adds per instruction at 2 per cycle on Zen 3 (plus one vpaddd
// each), against 8 per FMA: the integer products run ~1.5x the FMA rate.
#include <cstring>
#include <limits>
#include <utility>

#include "kernels/reference/qs16_attention_ukernels.h"
#include "kernels/x86/avx2/f32_math_avx2.h"

namespace tessera::kernels::avx2 {
namespace {

using qs16_attention::kPOne;
constexpr int kBQ = 48;                        // queries per task: 3 panels of 16, 8 rows of 6
constexpr int kBK = qs16_attention::kKeyTile;  // keys per tile
constexpr int kMaxHead = 256;
// Rows per microkernel call: 6 rows x 2 vectors = 12 int32 accumulators, plus the two operand
// vectors, a broadcast and a vpmaddwd product (dot6x16).
constexpr int kQkRows = 6;  // keys per QK call
constexpr int kPvRows = 6;  // queries per PV call
static_assert(kBQ % kPvRows == 0);

// Broadcasts the int16 pair at p (memcpy: K's pairs live in int16 storage).
TESSERA_AVX2_INLINE __m256i broadcast_pair(const int32_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm256_set1_epi32(v);
}

// acc[r][0..1] = sum over `steps` of a[r] (a broadcast int16 pair) . b (two vectors of 8
// pairs): 4 rows x 16 lanes of vpmaddwd + vpaddd. Row r of step s is the pair at
// a + r * a_row + s * a_step (int32 units); step s's vectors are at b + s * b_step (bytes). Out of
// line with named accumulators: inlined, or with an array, GCC 12 adds a move per vpaddd or spills.
__attribute__((noinline)) void dot4x16(const int32_t* a, int64_t a_row, int64_t a_step,
                                       const uint8_t* b, int64_t b_step, int steps,
                                       __m256i (&acc)[6][2]) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
          c30 = c00, c31 = c00;
  const int32_t* a1 = a + a_row;
  const int32_t* a2 = a + 2 * a_row;
  const int32_t* a3 = a + 3 * a_row;
  for (int64_t s = 0, i = 0; s < steps; ++s, i += a_step, b += b_step) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
    const __m256i x0 = broadcast_pair(a + i);
    c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(x0, b0));
    c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(x0, b1));
    const __m256i x1 = broadcast_pair(a1 + i);
    c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(x1, b0));
    c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(x1, b1));
    const __m256i x2 = broadcast_pair(a2 + i);
    c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(x2, b0));
    c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(x2, b1));
    const __m256i x3 = broadcast_pair(a3 + i);
    c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(x3, b0));
    c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(x3, b1));
  }
  acc[0][0] = c00, acc[0][1] = c01, acc[1][0] = c10, acc[1][1] = c11;
  acc[2][0] = c20, acc[2][1] = c21, acc[3][0] = c30, acc[3][1] = c31;
}

// The same for 6 rows: 12 accumulators, the two operand vectors, a broadcast and a product fill
// the 16 registers exactly (one load fewer per vpmaddwd than 4 rows).
__attribute__((noinline)) void dot6x16(const int32_t* a, int64_t a_row, int64_t a_step,
                                       const uint8_t* b, int64_t b_step, int steps,
                                       __m256i (&acc)[6][2]) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
          c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const int32_t* a1 = a + a_row;
  const int32_t* a2 = a + 2 * a_row;
  const int32_t* a3 = a + 3 * a_row;
  const int32_t* a4 = a + 4 * a_row;
  const int32_t* a5 = a + 5 * a_row;
  for (int64_t s = 0, i = 0; s < steps; ++s, i += a_step, b += b_step) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
    __m256i x = broadcast_pair(a + i);
    c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(x, b0));
    c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(x, b1));
    x = broadcast_pair(a1 + i);
    c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(x, b0));
    c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(x, b1));
    x = broadcast_pair(a2 + i);
    c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(x, b0));
    c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(x, b1));
    x = broadcast_pair(a3 + i);
    c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(x, b0));
    c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(x, b1));
    x = broadcast_pair(a4 + i);
    c40 = _mm256_add_epi32(c40, _mm256_madd_epi16(x, b0));
    c41 = _mm256_add_epi32(c41, _mm256_madd_epi16(x, b1));
    x = broadcast_pair(a5 + i);
    c50 = _mm256_add_epi32(c50, _mm256_madd_epi16(x, b0));
    c51 = _mm256_add_epi32(c51, _mm256_madd_epi16(x, b1));
  }
  acc[0][0] = c00, acc[0][1] = c01, acc[1][0] = c10, acc[1][1] = c11;
  acc[2][0] = c20, acc[2][1] = c21, acc[3][0] = c30, acc[3][1] = c31;
  acc[4][0] = c40, acc[4][1] = c41, acc[5][0] = c50, acc[5][1] = c51;
}

// The same for fewer rows (the last keys of a sequence); rows past `rows` are left zero.
void dot_tail(int rows, const int32_t* a, int64_t a_row, int64_t a_step, const uint8_t* b,
              int64_t b_step, int steps, __m256i (&acc)[6][2]) {
  for (int r = 0; r < 6; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  for (int64_t s = 0, i = 0; s < steps; ++s, i += a_step, b += b_step) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
    for (int r = 0; r < rows; ++r) {
      const __m256i x = broadcast_pair(a + r * a_row + i);
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(x, b0));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(x, b1));
    }
  }
}

// st[r][0..15] = float(sum_d k[r][d] q[d][0..15]) * q_scale[0..15] * k_scale[r] for `rows` <= 6
// key rows; k rows are d_head int16 apart, the panel holds [d / 2][16 queries] pairs. tile_max
// takes the maximum of each query over these rows (the softmax then needs no pass of its own).
void qk_rows(int rows, const int16_t* k, int dh, const int32_t* qp, const float* q_scale,
             const float* k_scale, float* st, float* tile_max) {
  __m256i acc[6][2];
  const auto* k32 = reinterpret_cast<const int32_t*>(k);
  const auto* b = reinterpret_cast<const uint8_t*>(qp);
  if (rows == 6)
    dot6x16(k32, dh / 2, 1, b, 64, dh / 2, acc);
  else if (rows == 4)
    dot4x16(k32, dh / 2, 1, b, 64, dh / 2, acc);
  else
    dot_tail(rows, k32, dh / 2, 1, b, 64, dh / 2, acc);
  const __m256 qs0 = _mm256_load_ps(q_scale), qs1 = _mm256_load_ps(q_scale + 8);
  __m256 max0 = _mm256_load_ps(tile_max), max1 = _mm256_load_ps(tile_max + 8);
  for (int r = 0; r < rows; ++r) {
    const __m256 ks = _mm256_broadcast_ss(k_scale + r);
    const __m256 s0 = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc[r][0]), qs0), ks);
    const __m256 s1 = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc[r][1]), qs1), ks);
    _mm256_store_ps(st + r * kBQ, s0);
    _mm256_store_ps(st + r * kBQ + 8, s1);
    max0 = _mm256_max_ps(max0, s0);
    max1 = _mm256_max_ps(max1, s1);
  }
  _mm256_store_ps(tile_max, max0);
  _mm256_store_ps(tile_max + 8, max1);
}

// o[r][0..15] = alpha[r] o[r][..] + float(sum_kp pp[kp][r] . v[kp][0..15]) for 6 query rows; pp
// rows are kBQ pairs apart, v holds [kp][d_head][2].
void pv_rows(int pairs, const int32_t* pp, const int16_t* v, int dh, float* o, const float* alpha) {
  __m256i acc[6][2];
  dot6x16(pp, 1, kBQ, reinterpret_cast<const uint8_t*>(v), int64_t{4} * dh, pairs, acc);
  for (int r = 0; r < kPvRows; ++r) {
    const __m256 a = _mm256_broadcast_ss(alpha + r);
    _mm256_store_ps(o + r * dh,
                    _mm256_fmadd_ps(_mm256_load_ps(o + r * dh), a, _mm256_cvtepi32_ps(acc[r][0])));
    _mm256_store_ps(o + r * dh + 8, _mm256_fmadd_ps(_mm256_load_ps(o + r * dh + 8), a,
                                                    _mm256_cvtepi32_ps(acc[r][1])));
  }
}

// 2^(x + kLog2Scale) for x <= 0 (x >= -126 after the clamp): round x to n, 2^f for
// f = x - n in [-0.5, 0.5] from a degree-5 polynomial (relative error 2.2e-7, fitted here to the
// relative error), times 2^(n + kLog2Scale) built in the exponent bits. kLog2Scale = 13 gives
// kPOne * P directly.
template <int kLog2Scale>
TESSERA_AVX2_INLINE __m256 exp2_nonpositive_ps(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-126.0f));
  const __m256 magic = _mm256_set1_ps(12582912.0f);  // 1.5 * 2^23: adding it rounds to integer
  const __m256 shifted = _mm256_add_ps(x, magic);
  const __m256 f = _mm256_sub_ps(x, _mm256_sub_ps(shifted, magic));
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(1.3058845652267337e-3f), f,
                             _mm256_set1_ps(9.677394293248653e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.5515896528959274e-2f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.4022123217582703e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.931461691856384e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  const __m256i scale = _mm256_slli_epi32(
      _mm256_sub_epi32(_mm256_castps_si256(shifted),
                       _mm256_castps_si256(_mm256_set1_ps(12582912.0f - 127.0f - kLog2Scale))),
      23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
}

// Online softmax for 8 queries (one column of the score tile) over bk keys: new max, rescale
// factor, P = 2^(S - m) (scores are in log2 units) quantized to kPOne and stored as key pairs; the
// running sum takes the quantized values, so normalization matches what PV multiplies.
TESSERA_AVX2_INLINE void softmax_column(const float* col, int bk, const float* tile_max,
                                        float* m_run, float* l_run, float* alpha, int32_t* pp) {
  const __m256 m_old = _mm256_load_ps(m_run);
  const __m256 m_new = _mm256_load_ps(tile_max);  // max(m_old, this tile's scores)
  static_assert(kPOne == 1 << 13, "P is built as 2^(s - m + 13)");
  const __m256 a = exp2_nonpositive_ps<0>(_mm256_sub_ps(m_old, m_new));
  __m256i sum = _mm256_setzero_si256();
  auto quantized_p = [&](int j) {
    return _mm256_cvtps_epi32(
        exp2_nonpositive_ps<13>(_mm256_sub_ps(_mm256_load_ps(col + j * kBQ), m_new)));
  };
  int j = 0;
  for (; j + 2 <= bk; j += 2) {
    const __m256i p0 = quantized_p(j), p1 = quantized_p(j + 1);
    _mm256_store_si256(reinterpret_cast<__m256i*>(pp + (j / 2) * kBQ),
                       _mm256_or_si256(p0, _mm256_slli_epi32(p1, 16)));
    sum = _mm256_add_epi32(sum, _mm256_add_epi32(p0, p1));
  }
  if (j < bk) {
    const __m256i p0 = quantized_p(j);
    _mm256_store_si256(reinterpret_cast<__m256i*>(pp + (j / 2) * kBQ), p0);
    sum = _mm256_add_epi32(sum, p0);
  }
  _mm256_store_ps(l_run, _mm256_fmadd_ps(_mm256_load_ps(l_run), a, _mm256_cvtepi32_ps(sum)));
  _mm256_store_ps(m_run, m_new);
  _mm256_store_ps(alpha, a);
}

}  // namespace

bool qs16_attention_supports(int d_head) {
  return d_head >= 16 && d_head <= kMaxHead && d_head % 16 == 0;
}

size_t qs16_attention_scratch(int d_head) {
  // Q panels (int16 pairs), Q scales, the score tile, the P pair tile, O, then m, l, alpha and
  // the tile max.
  return static_cast<size_t>(kBQ * d_head / 2 + kBQ + kBK * kBQ + kBK / 2 * kBQ + kBQ * d_head +
                             4 * kBQ);
}

void qs16_attention(const Qs16AttentionHead& h, int q0, int q1, float* scratch) {
  const int dh = h.d_head, nq = q1 - q0;
  const int nq_pv = (nq + kPvRows - 1) / kPvRows * kPvRows;  // query rows the PV tiles cover
  const int panels = (nq_pv + 15) / 16;                      // query panels the QK tiles cover
  const int columns = (nq_pv + 7) / 8;                       // query vectors of the softmax
  auto* qp = reinterpret_cast<int32_t*>(scratch);            // [panel][d / 2][16] pairs
  float* q_scale = scratch + kBQ * dh / 2;                   // [query]
  float* st = q_scale + kBQ;                                 // [key][query] scores
  auto* pp = reinterpret_cast<int32_t*>(st + kBK * kBQ);     // [key / 2][query] P pairs
  float* o = st + kBK * kBQ + kBK / 2 * kBQ;                 // [query][d]
  float* m_run = o + kBQ * dh;
  float* l_run = m_run + kBQ;
  float* alpha = l_run + kBQ;
  float* tile_max = alpha + kBQ;  // running max including the current tile

  for (int p = 0; p < panels; ++p)
    for (int d = 0; d < dh; d += 2)
      for (int i = 0; i < 16; ++i) {
        const int q = q0 + p * 16 + i;
        int32_t pair = 0;
        if (q < q1) std::memcpy(&pair, h.q + static_cast<int64_t>(q) * dh + d, sizeof pair);
        qp[(p * dh / 2 + d / 2) * 16 + i] = pair;
      }
  for (int i = 0; i < kBQ; ++i) {
    q_scale[i] = q0 + i < q1 ? h.q_scale[q0 + i] : 0.0f;
    m_run[i] = -std::numeric_limits<float>::infinity();
    l_run[i] = 0.0f;
  }
  for (int i = 0; i < nq_pv * dh; ++i) o[i] = 0.0f;

  for (int j0 = 0; j0 < h.t; j0 += kBK) {
    const int bk = std::min(kBK, h.t - j0);
    std::memcpy(tile_max, m_run, kBQ * sizeof(float));
    for (int jj = 0; jj < bk; jj += kQkRows) {
      const int rows = std::min(kQkRows, bk - jj);
      const int16_t* k = h.k + static_cast<int64_t>(j0 + jj) * dh;
      for (int p = 0; p < panels; ++p)
        qk_rows(rows, k, dh, qp + p * dh / 2 * 16, q_scale + p * 16, h.k_scale + j0 + jj,
                st + jj * kBQ + p * 16, tile_max + p * 16);
    }
    for (int c = 0; c < columns; ++c)
      softmax_column(st + c * 8, bk, tile_max + c * 8, m_run + c * 8, l_run + c * 8, alpha + c * 8,
                     pp + c * 8);
    const int pairs = (bk + 1) / 2;
    const int16_t* v = h.v + static_cast<int64_t>(j0 / 2) * dh * 2;
    for (int i = 0; i < nq_pv; i += kPvRows)
      for (int d = 0; d < dh; d += 16)
        pv_rows(pairs, pp + i, v + 2 * d, dh, o + i * dh + d, alpha + i);
  }

  for (int i = 0; i < nq; ++i) {
    const __m256 inv = _mm256_set1_ps(1.0f / l_run[i]);
    float* out = h.out + (q0 + i) * h.ldo;
    for (int d = 0; d < dh; d += 8)
      _mm256_storeu_ps(out + d, _mm256_mul_ps(_mm256_load_ps(o + i * dh + d),
                                              _mm256_mul_ps(_mm256_loadu_ps(h.v_scale + d), inv)));
  }
}

}  // namespace tessera::kernels::avx2
