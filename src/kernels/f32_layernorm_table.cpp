#include "kernels/f32_layernorm_table.h"

#include "kernels/isa_predicates.h"
#include "kernels/reference/f32_reference.h"
#include "kernels/x86/avx2/f32_avx2.h"

namespace tessera::kernels {
namespace {

const F32LayerNormUkernel kLayerNorm[] = {
    {"f32-layernorm-avx2-fma", "AVX2+FMA", isa::avx2_fma, avx2::f32_layernorm},
    {"f32-layernorm-scalar", "none", isa::any, reference::f32_layernorm_scalar},
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
