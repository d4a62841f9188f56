#include "kernels/f32_gemm_table.h"

#include "kernels/isa_predicates.h"
#include "kernels/reference/f32_reference.h"
#include "kernels/x86/avx2/f32_avx2.h"

namespace tessera::kernels {
namespace {

// Best first.
const F32GemmUkernel kF32GemmUkernels[] = {
    {"f32-gemm-6x16-avx2-fma", "AVX2+FMA", isa::avx2_fma, 6, 16, 256, 144,
     reference::f32_gemm_pack_panels, avx2::f32_gemm_pack_a_6, avx2::f32_gemm_6x16},
    {"f32-gemm-4x4-scalar", "none", isa::any, 4, 4, 256, 128, reference::f32_gemm_pack_panels,
     reference::f32_gemm_pack_a_4, reference::f32_gemm_4x4_scalar},
};

}  // namespace

std::span<const F32GemmUkernel> f32_gemm_ukernels() {
  return kF32GemmUkernels;
}

const F32GemmUkernel& f32_gemm_best() {
  static const F32GemmUkernel* best = [] {
    for (const auto& uk : kF32GemmUkernels)
      if (uk.supported()) return &uk;
    return &kF32GemmUkernels[std::size(kF32GemmUkernels) - 1];
  }();
  return *best;
}

}  // namespace tessera::kernels
