// Scalar twins of the qs16 attention family: the quantizers (the definition the AVX2 ones match
// bit for bit) and the kernel, per query, on the same key tiles and integer products as the
// optimized kernel, so the two differ only in how exp2 rounds.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/reference/qs16_attention_ukernels.h"

namespace tessera::kernels::reference {
namespace {

// nearbyint clamped in float first, so NaN lands on lo (as cvtps + max does in vector code).
inline int16_t round_clamp(float v, float lo, float hi) {
  float r = std::nearbyint(v);
  if (!(r >= lo)) r = lo;
  if (r > hi) r = hi;
  return static_cast<int16_t>(r);
}

}  // namespace

bool qs16_attention_scalar_supports(int d_head) {
  return d_head >= 2 && d_head <= kQs16AttentionScalarMaxHead && d_head % 2 == 0;
}

size_t qs16_attention_scalar_scratch(int /*d_head*/) {
  return 0;
}

void qs16_quantize_rows_scalar(int rows, int d, const float* x, int64_t ldx, int qmax, float mult,
                               int16_t* out, float* scale) {
  const float fq = static_cast<float>(qmax);
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + r * ldx;
    int16_t* o = out + static_cast<int64_t>(r) * d;
    float amax = 0;
    for (int j = 0; j < d; ++j) amax = std::max(amax, std::fabs(xr[j]));
    const float inv = fq / amax;
    if (!(amax > 0) || !std::isfinite(amax) || !std::isfinite(inv)) {  // zeros or garbage
      scale[r] = 0;
      std::fill(o, o + d, int16_t{0});
      continue;
    }
    scale[r] = amax / fq * mult;
    for (int j = 0; j < d; ++j) o[j] = round_clamp(xr[j] * inv, -fq, fq);
  }
}

void qs16_quantize_v_scalar(int rows, int d, const float* x, int64_t ldx, int16_t* out,
                            float* scale) {
  const float fq = static_cast<float>(qs16_attention::kVMax);
  for (int j = 0; j < d; ++j) {
    float amax = 0;
    for (int r = 0; r < rows; ++r) amax = std::max(amax, std::fabs(x[r * ldx + j]));
    const float inv = fq / amax;
    const bool zero = !(amax > 0) || !std::isfinite(amax) || !std::isfinite(inv);
    scale[j] = zero ? 0.0f : amax / fq;
    for (int r = 0; r < (rows + 1) / 2 * 2; ++r) {
      int16_t& o = out[(static_cast<int64_t>(r / 2) * d + j) * 2 + (r & 1)];
      o = (zero || r >= rows) ? int16_t{0} : round_clamp(x[r * ldx + j] * inv, -fq, fq);
    }
  }
}

void qs16_attention_scalar(const Qs16AttentionHead& h, int q0, int q1, float* /*scratch*/) {
  using qs16_attention::kKeyTile;
  const int dh = h.d_head;
  float o[kQs16AttentionScalarMaxHead];
  int32_t acc[kQs16AttentionScalarMaxHead];
  float s[kKeyTile];
  int32_t p[kKeyTile];
  for (int i = q0; i < q1; ++i) {
    const int16_t* q = h.q + static_cast<int64_t>(i) * dh;
    float m = -std::numeric_limits<float>::infinity(), l = 0;
    std::fill(o, o + dh, 0.0f);
    for (int j0 = 0; j0 < h.t; j0 += kKeyTile) {
      const int bk = std::min(kKeyTile, h.t - j0);
      float m_new = m;
      for (int j = 0; j < bk; ++j) {
        const int16_t* k = h.k + static_cast<int64_t>(j0 + j) * dh;
        int64_t dot = 0;
        for (int d = 0; d < dh; ++d) dot += int32_t{q[d]} * k[d];
        s[j] = static_cast<float>(static_cast<int32_t>(dot)) * h.q_scale[i] * h.k_scale[j0 + j];
        m_new = std::max(m_new, s[j]);
      }
      const float alpha = std::exp2(m - m_new);  // scores are in log2 units
      int32_t sum = 0;
      for (int j = 0; j < bk; ++j) {
        p[j] = static_cast<int32_t>(
            std::nearbyint(std::exp2(s[j] - m_new) * static_cast<float>(qs16_attention::kPOne)));
        sum += p[j];
      }
      std::fill(acc, acc + dh, 0);
      for (int j = 0; j < bk; ++j) {
        const int jj = j0 + j;
        const int16_t* v = h.v + static_cast<int64_t>(jj / 2) * dh * 2 + (jj & 1);
        for (int d = 0; d < dh; ++d) acc[d] += p[j] * v[2 * d];
      }
      for (int d = 0; d < dh; ++d) o[d] = std::fma(o[d], alpha, static_cast<float>(acc[d]));
      l = std::fma(l, alpha, static_cast<float>(sum));
      m = m_new;
    }
    const float inv_l = 1.0f / l;
    float* out = h.out + static_cast<int64_t>(i) * h.ldo;
    for (int d = 0; d < dh; ++d) out[d] = o[d] * (h.v_scale[d] * inv_l);
  }
}

}  // namespace tessera::kernels::reference
