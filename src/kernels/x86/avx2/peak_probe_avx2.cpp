// Register-only loops at the throughput limit of AVX2 arithmetic (no memory traffic). The integer
// loops are inline asm: written with intrinsics, the compiler hoists the loop-invariant products
// out of the loop and the "peak" becomes a count of additions.
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

// The W8A8 step of an AVX2 int8 GEMM: u8 x s8 pairs -> s16 (vpmaddubsw), pairs -> s32 (vpmaddwd
// with ones), accumulate (vpaddd): 32 multiply-adds = 64 ops per step, eight chains per iteration.
double int8_dot_loop(int64_t iters, int /*seed*/) {
  int64_t n = iters;
  __asm__ volatile(
      "vpcmpeqw %%ymm15, %%ymm15, %%ymm15\n\t"
      "vpabsw %%ymm15, %%ymm15\n\t"
      "vpcmpeqb %%ymm14, %%ymm14, %%ymm14\n\t"
      "vpabsb %%ymm14, %%ymm14\n\t"
      "vmovdqa %%ymm14, %%ymm13\n\t"
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vpxor %%ymm1, %%ymm1, %%ymm1\n\t"
      "vpxor %%ymm2, %%ymm2, %%ymm2\n\t"
      "vpxor %%ymm3, %%ymm3, %%ymm3\n\t"
      "vpxor %%ymm4, %%ymm4, %%ymm4\n\t"
      "vpxor %%ymm5, %%ymm5, %%ymm5\n\t"
      "vpxor %%ymm6, %%ymm6, %%ymm6\n\t"
      "vpxor %%ymm7, %%ymm7, %%ymm7\n\t"
      "1:\n\t"
#define TESSERA_U8S8_STEP(acc, t)           \
  "vpmaddubsw %%ymm13, %%ymm14, %%ymm" #t   \
  "\n\t"                                    \
  "vpmaddwd %%ymm15, %%ymm" #t ", %%ymm" #t \
  "\n\t"                                    \
  "vpaddd %%ymm" #t ", %%ymm" #acc ", %%ymm" #acc "\n\t"
      TESSERA_U8S8_STEP(0, 8) TESSERA_U8S8_STEP(1, 9) TESSERA_U8S8_STEP(2, 10)
          TESSERA_U8S8_STEP(3, 11) TESSERA_U8S8_STEP(4, 8) TESSERA_U8S8_STEP(5, 9)
              TESSERA_U8S8_STEP(6, 10) TESSERA_U8S8_STEP(7, 11)
#undef TESSERA_U8S8_STEP
                  "dec %0\n\t"
                  "jnz 1b\n\t"
                  "vzeroupper\n\t"
      : "+r"(n)
      :
      : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm13", "xmm14", "xmm15");
  return static_cast<double>(iters) * 8 * 64;
}

// The W8A16 step (int8 weights widened to s16 against s16 activations): vpmaddwd multiplies 16
// s16 pairs and adds neighbours to s32, vpaddd accumulates: 16 multiply-adds = 32 ops per step.
double int16_dot_loop(int64_t iters, int /*seed*/) {
  int64_t n = iters;
  __asm__ volatile(
      "vpcmpeqw %%ymm15, %%ymm15, %%ymm15\n\t"
      "vpabsw %%ymm15, %%ymm15\n\t"
      "vmovdqa %%ymm15, %%ymm14\n\t"
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vpxor %%ymm1, %%ymm1, %%ymm1\n\t"
      "vpxor %%ymm2, %%ymm2, %%ymm2\n\t"
      "vpxor %%ymm3, %%ymm3, %%ymm3\n\t"
      "vpxor %%ymm4, %%ymm4, %%ymm4\n\t"
      "vpxor %%ymm5, %%ymm5, %%ymm5\n\t"
      "vpxor %%ymm6, %%ymm6, %%ymm6\n\t"
      "vpxor %%ymm7, %%ymm7, %%ymm7\n\t"
      "1:\n\t"
#define TESSERA_S16_STEP(acc, t)        \
  "vpmaddwd %%ymm14, %%ymm15, %%ymm" #t \
  "\n\t"                                \
  "vpaddd %%ymm" #t ", %%ymm" #acc ", %%ymm" #acc "\n\t"
      TESSERA_S16_STEP(0, 8) TESSERA_S16_STEP(1, 9) TESSERA_S16_STEP(2, 10) TESSERA_S16_STEP(3, 11)
          TESSERA_S16_STEP(4, 12) TESSERA_S16_STEP(5, 13) TESSERA_S16_STEP(6, 8)
              TESSERA_S16_STEP(7, 9)
#undef TESSERA_S16_STEP
                  "dec %0\n\t"
                  "jnz 1b\n\t"
                  "vzeroupper\n\t"
      : "+r"(n)
      :
      : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  return static_cast<double>(iters) * 8 * 32;
}

}  // namespace tessera::kernels::avx2
