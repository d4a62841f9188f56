// Register-only loops at the throughput limit of AVX2 arithmetic (no memory traffic).
#include <immintrin.h>

#include <cstdint>

namespace tessera::kernels::avx2 {

// 12 independent FMA chains: enough to cover the FMA latency on two pipes. Returns flops done.
double fp32_fma_loop(int64_t iters, float seed) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(seed + i);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  volatile float sink = _mm256_cvtss_f32(s);
  (void)sink;
  return static_cast<double>(iters) * 12 * 8 * 2;
}

// The int8 dot-product step of an AVX2 GEMM: u8 x s8 pairs -> s16 (vpmaddubsw), pairs -> s32
// (vpmaddwd with ones), accumulate (vpaddd). 32 multiply-adds = 64 ops per vpmaddubsw.
double int8_dot_loop(int64_t iters, int seed) {
  __m256i acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = _mm256_set1_epi32(seed + i);
  const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(5), ones = _mm256_set1_epi16(1);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 8; ++i)
      acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones));
  __m256i s = acc[0];
  for (int i = 1; i < 8; ++i) s = _mm256_add_epi32(s, acc[i]);
  volatile int sink = _mm256_cvtsi256_si32(s);
  (void)sink;
  return static_cast<double>(iters) * 8 * 64;
}

}  // namespace tessera::kernels::avx2
