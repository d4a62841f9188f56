// The f32 LayerNorm microkernel family: one row at a time, best entry first.
#pragma once

#include <span>

namespace tessera::kernels {

// y[i] = (x[i] - mean) / sqrt(var + eps) * gamma[i] + beta[i] over one row of d; y may alias x.
using F32LayerNormFn = void (*)(int d, const float* x, const float* gamma, const float* beta,
                                float eps, float* y);

struct F32LayerNormUkernel {
  const char* name;  // e.g. "f32-layernorm-avx2-fma"
  const char* isa;
  bool (*supported)();
  F32LayerNormFn fn;
};

std::span<const F32LayerNormUkernel> f32_layernorm_ukernels();
const F32LayerNormUkernel& f32_layernorm_best();

}  // namespace tessera::kernels
