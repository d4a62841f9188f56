#include "kernels/f32_vunary_table.h"

#include "kernels/isa_predicates.h"
#include "kernels/reference/f32_reference.h"
#include "kernels/x86/avx2/f32_avx2.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

const F32VUnaryUkernel kErf[] = {
    {"f32-verf-avx2-fma", "AVX2+FMA", isa::avx2_fma, avx2::f32_verf},
    {"f32-verf-scalar", "none", isa::any, reference::f32_verf_scalar},
};
const F32VUnaryUkernel kExp[] = {
    {"f32-vexp-avx2-fma", "AVX2+FMA", isa::avx2_fma, avx2::f32_vexp},
    {"f32-vexp-scalar", "none", isa::any, reference::f32_vexp_scalar},
};
const F32VUnaryUkernel kGelu[] = {
    {"f32-vgelu-avx2-fma-erf", "AVX2+FMA", isa::avx2_fma, avx2::f32_vgelu},
    {"f32-vgelu-scalar", "none", isa::any, reference::f32_vgelu_scalar},
};

}  // namespace

std::span<const F32VUnaryUkernel> f32_verf_ukernels() {
  return kErf;
}
std::span<const F32VUnaryUkernel> f32_vexp_ukernels() {
  return kExp;
}
std::span<const F32VUnaryUkernel> f32_vgelu_ukernels() {
  return kGelu;
}

const F32VUnaryUkernel& f32_vunary_best(std::span<const F32VUnaryUkernel> family) {
  for (const auto& uk : family)
    if (uk.supported()) return uk;
  throw Error("kernels: no supported element-wise microkernel");
}

}  // namespace tessera::kernels
