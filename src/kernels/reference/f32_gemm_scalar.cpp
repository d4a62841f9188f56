// Scalar reference GEMM: the generic panel packing and a 4x4 tile in plain loops.
#include <algorithm>

#include "kernels/reference/f32_reference.h"

namespace tessera::kernels::reference {

void f32_gemm_pack_panels(const float* w, int64_t ldw, int n, int k, int nr, float* out) {
  const int panels = (n + nr - 1) / nr;
  for (int p = 0; p < panels; ++p) {
    float* panel = out + static_cast<int64_t>(p) * nr * k;
    for (int kk = 0; kk < k; ++kk) {
      for (int j = 0; j < nr; ++j) {
        const int row = p * nr + j;
        panel[static_cast<int64_t>(kk) * nr + j] = row < n ? w[row * ldw + kk] : 0.0f;
      }
    }
  }
}

void f32_gemm_pack_a_4(int rows, int kc, const float* a, int64_t lda, float* out) {
  constexpr int MR = 4;
  for (int r0 = 0; r0 < rows; r0 += MR) {
    for (int i = 0; i < MR; ++i) {
      const float* src = a + (r0 + i) * lda;
      const bool inside = r0 + i < rows;
      for (int p = 0; p < kc; ++p) out[p * MR + i] = inside ? src[p] : 0.0f;
    }
    out += static_cast<int64_t>(MR) * kc;
  }
}

void f32_gemm_4x4_scalar(int mr, int nr, int kc, const float* a, const float* b, float* c,
                         int64_t ldc, const F32TileEpilogue& ep) {
  constexpr int MR = 4, NR = 4;
  float acc[MR][NR] = {};
  for (int p = 0; p < kc; ++p)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += a[p * MR + i] * b[p * NR + j];
  for (int i = 0; i < mr; ++i) {
    for (int j = 0; j < nr; ++j) {
      float v = acc[i][j];
      if (ep.accumulate) v += c[i * ldc + j];
      if (ep.bias) v += ep.bias[j];
      if (ep.gelu) v = gelu(v);
      if (ep.residual) v += ep.residual[i * ep.ldr + j];
      c[i * ldc + j] = v;
    }
  }
}

}  // namespace tessera::kernels::reference
