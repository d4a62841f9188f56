#include "kernels/f32_layernorm_table.h"

#include "kernels/reference/f32_reference.h"
#include "kernels/x86/avx2/f32_avx2.h"
#include "tessera/cpu_features.h"

namespace tessera::kernels {
namespace {

bool always() {
  return true;
}
bool avx2_fma() {
  return cpu_features().has_avx2_fma();
}

const F32LayerNormUkernel kLayerNorm[] = {
    {"f32-layernorm-avx2-fma", "AVX2+FMA", avx2_fma, avx2::f32_layernorm},
    {"f32-layernorm-scalar", "none", always, reference::f32_layernorm_scalar},
};

}  // namespace

std::span<const F32LayerNormUkernel> f32_layernorm_ukernels() {
  return kLayerNorm;
}

const F32LayerNormUkernel& f32_layernorm_best() {
  static const F32LayerNormUkernel* best = [] {
    for (const auto& uk : kLayerNorm)
      if (uk.supported()) return &uk;
    return &kLayerNorm[std::size(kLayerNorm) - 1];
  }();
  return *best;
}

}  // namespace tessera::kernels
