// f32-gemm-6x16-avx2-fma: 6 rows x 16 columns held in 12 ymm accumulators; per k step two W
// loads, six A broadcasts and twelve FMAs. The epilogue (accumulate, bias, GELU, residual) runs
// on the registers before the single store; tails of n use masked loads and stores.
#include <utility>

#include "kernels/x86/avx2/f32_avx2.h"
#include "kernels/x86/avx2/f32_math_avx2.h"

namespace tessera::kernels::avx2 {
namespace {

constexpr int kMR = 6, kNR = 16;

template <bool kFull>
TESSERA_AVX2_INLINE __m256 load(const float* p, __m256i mask) {
  if constexpr (kFull) return _mm256_loadu_ps(p);
  return _mm256_maskload_ps(p, mask);
}

template <bool kFull>
TESSERA_AVX2_INLINE void store(float* p, __m256i mask, __m256 v) {
  if constexpr (kFull) {
    _mm256_storeu_ps(p, v);
  } else {
    _mm256_maskstore_ps(p, mask, v);
  }
}

// Epilogue of one row of the tile (16 columns in v0, v1) up to GELU, then the store: to C, or
// with GELU to a 6 x 16 staging tile (the residual may alias C, so C keeps it until the end).
// Out of line: it runs once per tile and keeps the k loop's function small.
template <bool kFull>
__attribute__((noinline)) void finish_row(__m256 v0, __m256 v1, int i, int nr, float* c,
                                          int64_t ldc, const F32TileEpilogue& ep, float* staged) {
  const __m256i m0 = tail_mask(nr), m1 = tail_mask(nr - 8);
  float* ci = c + i * ldc;
  if (ep.accumulate) {
    v0 = _mm256_add_ps(v0, load<kFull>(ci, m0));
    v1 = _mm256_add_ps(v1, load<kFull>(ci + 8, m1));
  }
  if (ep.bias) {
    v0 = _mm256_add_ps(v0, load<kFull>(ep.bias, m0));
    v1 = _mm256_add_ps(v1, load<kFull>(ep.bias + 8, m1));
  }
  if (ep.gelu) {
    _mm256_store_ps(staged + i * kNR, v0);
    _mm256_store_ps(staged + i * kNR + 8, v1);
    return;
  }
  if (ep.residual) {
    const float* ri = ep.residual + i * ep.ldr;
    v0 = _mm256_add_ps(v0, load<kFull>(ri, m0));
    v1 = _mm256_add_ps(v1, load<kFull>(ri + 8, m1));
  }
  store<kFull>(ci, m0, v0);
  store<kFull>(ci + 8, m1, v1);
}

// GELU (then the residual) over the staged tile into C, as a loop of independent iterations:
// GELU is a long dependency chain, and only independent work in flight hides its latency.
template <bool kFull>
__attribute__((noinline)) void gelu_tile(int mr, int nr, const float* staged, float* c, int64_t ldc,
                                         const F32TileEpilogue& ep) {
  const __m256i m0 = tail_mask(nr), m1 = tail_mask(nr - 8);
  for (int i = 0; i < mr; ++i) {
    float* ci = c + i * ldc;
    __m256 v0 = gelu_ps(_mm256_load_ps(staged + i * kNR));
    __m256 v1 = gelu_ps(_mm256_load_ps(staged + i * kNR + 8));
    if (ep.residual) {
      const float* ri = ep.residual + i * ep.ldr;
      v0 = _mm256_add_ps(v0, load<kFull>(ri, m0));
      v1 = _mm256_add_ps(v1, load<kFull>(ri + 8, m1));
    }
    store<kFull>(ci, m0, v0);
    store<kFull>(ci + 8, m1, v1);
  }
}

// The accumulators are only ever indexed by constants (the loops over rows are unrolled through
// index_sequence), so they live in registers.
template <int MR, int... I>
TESSERA_AVX2_INLINE void tile_rows(std::integer_sequence<int, I...>, int nr, int kc, const float* a,
                                   const float* b, float* c, int64_t ldc,
                                   const F32TileEpilogue& ep) {
  // C (and the residual) are read or written only after the k loop: start fetching them now so
  // the epilogue does not wait on L3.
  ((_mm_prefetch(reinterpret_cast<const char*>(c + I * ldc), _MM_HINT_T0),
    _mm_prefetch(reinterpret_cast<const char*>(c + I * ldc + 15), _MM_HINT_T0)),
   ...);
  if (ep.residual)
    ((_mm_prefetch(reinterpret_cast<const char*>(ep.residual + I * ep.ldr), _MM_HINT_T0),
      _mm_prefetch(reinterpret_cast<const char*>(ep.residual + I * ep.ldr + 15), _MM_HINT_T0)),
     ...);
  __m256 acc0[MR], acc1[MR];
  ((acc0[I] = _mm256_setzero_ps(), acc1[I] = _mm256_setzero_ps()), ...);
  for (int p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    ((acc0[I] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + I), b0, acc0[I]),
      acc1[I] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + I), b1, acc1[I])),
     ...);
    a += kMR;
    b += kNR;
  }
  alignas(32) float staged[kMR * kNR];
  if (nr == kNR) {
    (finish_row<true>(acc0[I], acc1[I], I, nr, c, ldc, ep, staged), ...);
    if (ep.gelu) gelu_tile<true>(MR, nr, staged, c, ldc, ep);
  } else {
    (finish_row<false>(acc0[I], acc1[I], I, nr, c, ldc, ep, staged), ...);
    if (ep.gelu) gelu_tile<false>(MR, nr, staged, c, ldc, ep);
  }
}

template <int MR>
void tile(int nr, int kc, const float* a, const float* b, float* c, int64_t ldc,
          const F32TileEpilogue& ep) {
  tile_rows<MR>(std::make_integer_sequence<int, MR>{}, nr, kc, a, b, c, ldc, ep);
}

}  // namespace

// Six rows at a time, 8 columns per step through an 8x8 transpose (rows 6 and 7 zero); each
// transposed column is stored 8 wide and the next store overwrites its 2 extra floats.
void f32_gemm_pack_a_6(int rows, int kc, const float* a, int64_t lda, float* out) {
  for (int r0 = 0; r0 < rows; r0 += kMR) {
    const int mr = rows - r0 < kMR ? rows - r0 : kMR;
    const float* src = a + r0 * lda;
    int p = 0;
    if (mr == kMR) {
      const __m256 zero = _mm256_setzero_ps();
      for (; p + 8 <= kc; p += 8) {
        const __m256 t0 =
            _mm256_unpacklo_ps(_mm256_loadu_ps(src + p), _mm256_loadu_ps(src + lda + p));
        const __m256 t1 =
            _mm256_unpackhi_ps(_mm256_loadu_ps(src + p), _mm256_loadu_ps(src + lda + p));
        const __m256 t2 = _mm256_unpacklo_ps(_mm256_loadu_ps(src + 2 * lda + p),
                                             _mm256_loadu_ps(src + 3 * lda + p));
        const __m256 t3 = _mm256_unpackhi_ps(_mm256_loadu_ps(src + 2 * lda + p),
                                             _mm256_loadu_ps(src + 3 * lda + p));
        const __m256 t4 = _mm256_unpacklo_ps(_mm256_loadu_ps(src + 4 * lda + p),
                                             _mm256_loadu_ps(src + 5 * lda + p));
        const __m256 t5 = _mm256_unpackhi_ps(_mm256_loadu_ps(src + 4 * lda + p),
                                             _mm256_loadu_ps(src + 5 * lda + p));
        const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
        const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
        const __m256 u4 = _mm256_shuffle_ps(t4, zero, 0x44), u5 = _mm256_shuffle_ps(t4, zero, 0xee);
        const __m256 u6 = _mm256_shuffle_ps(t5, zero, 0x44), u7 = _mm256_shuffle_ps(t5, zero, 0xee);
        float* o = out + p * kMR;
        _mm256_storeu_ps(o + 0 * kMR, _mm256_permute2f128_ps(u0, u4, 0x20));
        _mm256_storeu_ps(o + 1 * kMR, _mm256_permute2f128_ps(u1, u5, 0x20));
        _mm256_storeu_ps(o + 2 * kMR, _mm256_permute2f128_ps(u2, u6, 0x20));
        _mm256_storeu_ps(o + 3 * kMR, _mm256_permute2f128_ps(u3, u7, 0x20));
        _mm256_storeu_ps(o + 4 * kMR, _mm256_permute2f128_ps(u0, u4, 0x31));
        _mm256_storeu_ps(o + 5 * kMR, _mm256_permute2f128_ps(u1, u5, 0x31));
        _mm256_storeu_ps(o + 6 * kMR, _mm256_permute2f128_ps(u2, u6, 0x31));
        _mm256_storeu_ps(o + 7 * kMR, _mm256_permute2f128_ps(u3, u7, 0x31));
      }
    }
    for (; p < kc; ++p)
      for (int i = 0; i < kMR; ++i) out[p * kMR + i] = i < mr ? src[i * lda + p] : 0.0f;
    out += static_cast<int64_t>(kMR) * kc;
  }
}

void f32_gemm_6x16(int mr, int nr, int kc, const float* a, const float* b, float* c, int64_t ldc,
                   const F32TileEpilogue& ep) {
  switch (mr) {
    case 6:
      return tile<6>(nr, kc, a, b, c, ldc, ep);
    case 5:
      return tile<5>(nr, kc, a, b, c, ldc, ep);
    case 4:
      return tile<4>(nr, kc, a, b, c, ldc, ep);
    case 3:
      return tile<3>(nr, kc, a, b, c, ldc, ep);
    case 2:
      return tile<2>(nr, kc, a, b, c, ldc, ep);
    default:
      return tile<1>(nr, kc, a, b, c, ldc, ep);
  }
}

}  // namespace tessera::kernels::avx2
