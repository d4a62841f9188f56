// Element-wise f32 microkernel families: erf, exp and exact GELU (x/2 (1 + erf(x / sqrt 2))).
// One table per family, best entry first; y may alias x.
#pragma once

#include <cstdint>
#include <span>

namespace tessera::kernels {

using F32VUnaryFn = void (*)(const float* x, float* y, int64_t n);

struct F32VUnaryUkernel {
  const char* name;  // e.g. "f32-vgelu-avx2-fma-erf"
  const char* isa;   // "AVX2+FMA", "none"
  bool (*supported)();
  F32VUnaryFn fn;
};

std::span<const F32VUnaryUkernel> f32_verf_ukernels();
std::span<const F32VUnaryUkernel> f32_vexp_ukernels();
std::span<const F32VUnaryUkernel> f32_vgelu_ukernels();

// First supported entry of a family.
const F32VUnaryUkernel& f32_vunary_best(std::span<const F32VUnaryUkernel> family);

}  // namespace tessera::kernels
