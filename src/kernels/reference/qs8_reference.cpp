// Scalar definitions of the int8 family's semantics: row quantization, the epilogue, and a plain
// GEMM on unpacked data that tests hold every microkernel against.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/reference/qs8_ukernels.h"

namespace tessera::kernels::reference {

namespace {

// nearbyint clamped to [lo, hi] in float first, so NaN (which fails both tests) lands on lo and
// the conversion to int is always defined. Vector code gets the same result from cvtps + clamp.
inline int32_t round_clamp(float v, float lo, float hi) {
  float r = std::nearbyint(v);
  if (!(r >= lo)) r = lo;
  if (r > hi) r = hi;
  return static_cast<int32_t>(r);
}

}  // namespace

void qs8_quantize_row_scalar(const float* x, int k, int k_padded, const float* mult, ActQuant mode,
                             Qs8ActType type, int qmax, void* out, float* scale,
                             int32_t* zero_point) {
  auto value = [&](int j) { return mult ? x[j] * mult[j] : x[j]; };
  auto store = [&](int j, int32_t q) {
    if (type == Qs8ActType::kInt8)
      static_cast<int8_t*>(out)[j] = static_cast<int8_t>(q);
    else
      static_cast<int16_t*>(out)[j] = static_cast<int16_t>(q);
  };
  for (int j = k; j < k_padded; ++j) store(j, 0);
  if (mode == ActQuant::kSymmetric) {
    float amax = 0;
    for (int j = 0; j < k; ++j) amax = std::max(amax, std::fabs(value(j)));
    *zero_point = 0;
    const float fq = static_cast<float>(qmax);
    const float inv = fq / amax;
    // Zeros, garbage, or so tiny that 1 / step overflows: a zero row (no 0 * inf).
    if (!(amax > 0) || !std::isfinite(amax) || !std::isfinite(inv)) {
      *scale = 0;
      for (int j = 0; j < k; ++j) store(j, 0);
      return;
    }
    *scale = amax / fq;
    for (int j = 0; j < k; ++j) store(j, round_clamp(value(j) * inv, -fq, fq));
    return;
  }
  // Asymmetric u8 over [min(0, lo), max(0, hi)], stored as u8 - 128 so the kernels see s8.
  float lo = 0, hi = 0;
  for (int j = 0; j < k; ++j) {
    lo = std::min(lo, value(j));
    hi = std::max(hi, value(j));
  }
  const float range = hi - lo;
  const float inv = 255.0f / range;
  if (!(range > 0) || !std::isfinite(range) || !std::isfinite(inv)) {
    *scale = 0;
    *zero_point = 0;
    for (int j = 0; j < k; ++j) store(j, 0);
    return;
  }
  *scale = range / 255.0f;
  const int32_t zp = round_clamp(-lo * inv, 0.0f, 255.0f);
  const float qlo = static_cast<float>(-zp), qhi = static_cast<float>(255 - zp);
  for (int j = 0; j < k; ++j) store(j, round_clamp(value(j) * inv, qlo, qhi) + zp - 128);
  *zero_point = zp - 128;
}

float qs8_epilogue_scalar(int32_t acc, float a_scale, float w_scale, const float* bias, int col,
                          bool gelu) {
  float y = static_cast<float>(acc) * (a_scale * w_scale);
  if (bias) y += bias[col];
  if (gelu)
    y = 0.5f * y * (1.0f + static_cast<float>(std::erf(static_cast<double>(y) * M_SQRT1_2)));
  return y;
}

void qs8_gemm_reference(int m, int n, int k, const int32_t* a, int64_t lda, const float* a_scale,
                        const int32_t* a_zero, const int8_t* wq, const float* w_scale,
                        const float* bias, bool gelu, const float* residual, int64_t ldr, float* c,
                        int64_t ldc, int32_t* raw, int64_t ldraw) {
  for (int i = 0; i < m; ++i) {
    const int64_t zp = a_zero ? a_zero[i] : 0;
    for (int j = 0; j < n; ++j) {
      int64_t acc = 0;
      for (int p = 0; p < k; ++p)
        acc += (a[i * lda + p] - zp) * wq[static_cast<int64_t>(j) * k + p];
      const int32_t acc32 = static_cast<int32_t>(acc);
      if (raw) {
        raw[i * ldraw + j] = acc32;
        continue;
      }
      float y = qs8_epilogue_scalar(acc32, a_scale[i], w_scale[j], bias, j, gelu);
      if (residual) y += residual[i * ldr + j];
      c[i * ldc + j] = y;
    }
  }
}

}  // namespace tessera::kernels::reference
