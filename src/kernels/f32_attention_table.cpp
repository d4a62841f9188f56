#include "kernels/f32_attention_table.h"

#include <string>

#include "kernels/isa_predicates.h"
#include "kernels/reference/f32_reference.h"
#include "kernels/x86/avx2/f32_avx2.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

const F32AttentionUkernel kAttention[] = {
    {"f32-attention-48x96-avx2-fma", "AVX2+FMA", isa::avx2_fma, avx2::f32_attention_supports, 48,
     avx2::f32_attention_scratch, avx2::f32_attention},
    {"f32-attention-scalar", "none", isa::any, reference::f32_attention_scalar_supports, 16,
     reference::f32_attention_scalar_scratch, reference::f32_attention_scalar},
};

}  // namespace

std::span<const F32AttentionUkernel> f32_attention_ukernels() {
  return kAttention;
}

const F32AttentionUkernel& f32_attention_best(int d_head) {
  for (const auto& uk : kAttention)
    if (uk.supported() && uk.supports_head(d_head)) return uk;
  throw Error("kernels/attention: no microkernel supports head width d_head=" +
              std::to_string(d_head));
}

}  // namespace tessera::kernels
