// What the CPU we run on can do; kernels are chosen from this once, at run time.
#pragma once

#include <string>

namespace tessera {

struct CpuFeatures {
  std::string brand;
  int logical_cores = 1;
  int physical_cores = 1;
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool avx_vnni = false;

  // AVX-512 usable as a kernel target: F+BW+VL and OS support for the ZMM state.
  bool has_avx512_core() const { return avx512f && avx512bw && avx512vl; }
  bool has_avx2_fma() const { return avx2 && fma; }
  std::string summary() const;  // "AVX2 FMA F16C AVX512F ..." (only what is present)
};

// Detected once (cpuid + xgetbv), then cached.
const CpuFeatures& cpu_features();

}  // namespace tessera
