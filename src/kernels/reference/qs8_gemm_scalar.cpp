// Weight packing for every int8 layout, and scalar microkernels that read the packed layouts
// (the portable fallback, and a check that the packing itself is right).
#include <algorithm>

#include "kernels/reference/qs8_ukernels.h"

namespace tessera::kernels::reference {

namespace {

template <int NR, int KR, typename T>
void pack_panels(const int8_t* wq, int n, int k, int k_padded, void* out) {
  T* dst = static_cast<T*>(out);
  const int panels = (n + NR - 1) / NR;
  const int groups = k_padded / KR;
  for (int p = 0; p < panels; ++p)
    for (int g = 0; g < groups; ++g)
      for (int j = 0; j < NR; ++j)
        for (int i = 0; i < KR; ++i) {
          const int col = p * NR + j, kk = g * KR + i;
          *dst++ =
              (col < n && kk < k) ? static_cast<T>(wq[static_cast<int64_t>(col) * k + kk]) : T{0};
        }
}

template <int NR, int KR, typename TA, typename TW>
void gemm_scalar(const Qs8GemmArgs& g) {
  const TA* a = static_cast<const TA*>(g.a);
  const int groups = g.k_padded / KR;
  for (int c0 = 0; c0 < g.n; c0 += NR) {
    const TW* w =
        reinterpret_cast<const TW*>(static_cast<const uint8_t*>(g.w) + (c0 / NR) * g.panel_stride);
    const int nc = std::min(NR, g.n - c0);
    for (int r = 0; r < g.m; ++r) {
      const TA* ar = a + r * g.lda;
      const int32_t zp = g.a_zero ? g.a_zero[r] : 0;
      for (int j = 0; j < nc; ++j) {
        int32_t acc = 0;
        for (int q = 0; q < groups; ++q)
          for (int i = 0; i < KR; ++i) acc += int32_t{ar[q * KR + i]} * w[(q * NR + j) * KR + i];
        const int col = c0 + j;
        acc -= zp * g.w_colsum[col];
        if (g.raw) {
          g.raw[r * g.ldraw + col] = acc;
          continue;
        }
        float y = qs8_epilogue_scalar(acc, g.a_scale[r], g.w_scale[col], g.bias, col, g.gelu);
        if (g.residual) y += g.residual[r * g.ldr + col];
        g.c[r * g.ldc + col] = y;
      }
    }
  }
}

}  // namespace

void qs8_pack_16x4_s8(const int8_t* wq, int n, int k, int k_padded, void* out) {
  pack_panels<16, 4, int8_t>(wq, n, k, k_padded, out);
}
void qs8_pack_16x2_s16(const int8_t* wq, int n, int k, int k_padded, void* out) {
  pack_panels<16, 2, int16_t>(wq, n, k, k_padded, out);
}
void qs8_pack_16x2_s8(const int8_t* wq, int n, int k, int k_padded, void* out) {
  pack_panels<16, 2, int8_t>(wq, n, k, k_padded, out);
}
void qs8_pack_64x4_s8(const int8_t* wq, int n, int k, int k_padded, void* out) {
  pack_panels<64, 4, int8_t>(wq, n, k, k_padded, out);
}

void qs8_gemm_1x16c4_scalar(const Qs8GemmArgs& args) {
  gemm_scalar<16, 4, int8_t, int8_t>(args);
}
void qs16_gemm_1x16c2_scalar(const Qs8GemmArgs& args) {
  gemm_scalar<16, 2, int16_t, int16_t>(args);
}
void qs16_gemm_1x16c2_w8_scalar(const Qs8GemmArgs& args) {
  gemm_scalar<16, 2, int16_t, int8_t>(args);
}

}  // namespace tessera::kernels::reference
