// Drivers of the element-wise, LayerNorm and attention kernels: argument checks, the split over
// the pool, and the summary of what the dispatcher chose.
#include "kernels/f32_ops.h"

#include <algorithm>
#include <string>

#include "kernels/f32_attention_table.h"
#include "kernels/f32_gemm_table.h"
#include "kernels/f32_layernorm_table.h"
#include "kernels/f32_vunary_table.h"
#include "kernels/scratch.h"
#include "tessera/error.h"

namespace tessera::kernels {

void layer_norm_f32(ThreadPool& pool, int rows, int d, const float* x, int64_t ldx,
                    const float* gamma, const float* beta, float eps, float* y, int64_t ldy) {
  if (rows < 0 || d <= 0)
    throw Error("kernels/layer_norm_f32: bad shape rows=" + std::to_string(rows) +
                " d=" + std::to_string(d));
  if (rows == 0) return;
  if (!x || !y || !gamma || !beta) throw Error("kernels/layer_norm_f32: null pointer argument");
  if (ldx < d || ldy < d) throw Error("kernels/layer_norm_f32: row stride smaller than d");
  if (!(eps >= 0.0f)) throw Error("kernels/layer_norm_f32: eps must be >= 0");
  const auto fn = f32_layernorm_best().fn;
  const int64_t grain = std::max<int64_t>(1, 16384 / d);
  pool.parallel_for(rows, grain, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; ++r) fn(d, x + r * ldx, gamma, beta, eps, y + r * ldy);
  });
}

void gelu_f32(ThreadPool& pool, float* x, int64_t n) {
  if (n < 0) throw Error("kernels/gelu_f32: negative length");
  if (n == 0) return;
  if (!x) throw Error("kernels/gelu_f32: null pointer");
  static const auto fn = f32_vunary_best(f32_vgelu_ukernels()).fn;
  pool.parallel_for(n, 16384, [&](int64_t b, int64_t e, int) { fn(x + b, x + b, e - b); });
}

void attention_f32(const F32AttentionUkernel& uk, ThreadPool& pool, int t, int heads, int d_head,
                   const float* q, int64_t ldq, const float* k, int64_t ldk, const float* v,
                   int64_t ldv, float* out, int64_t ldo, float scale) {
  if (t < 0 || heads <= 0 || d_head <= 0)
    throw Error("kernels/attention_f32: bad shape t=" + std::to_string(t) +
                " heads=" + std::to_string(heads) + " d_head=" + std::to_string(d_head));
  if (!uk.supported())
    throw Error(std::string("kernels/attention_f32: microkernel ") + uk.name + " needs " + uk.isa +
                ", which this CPU lacks");
  if (!uk.supports_head(d_head))
    throw Error(std::string("kernels/attention_f32: microkernel ") + uk.name +
                " does not support d_head=" + std::to_string(d_head));
  if (t == 0) return;
  if (!q || !k || !v || !out) throw Error("kernels/attention_f32: null pointer argument");
  const int64_t width = static_cast<int64_t>(heads) * d_head;
  if (ldq < width || ldk < width || ldv < width || ldo < width)
    throw Error("kernels/attention_f32: row stride smaller than heads * d_head = " +
                std::to_string(width));
  const size_t scratch = uk.scratch_floats(d_head);
  const int64_t q_blocks = (t + uk.block_q - 1) / uk.block_q;
  pool.run(heads * q_blocks, [&](int64_t task, int) {
    const int h = static_cast<int>(task / q_blocks);
    const int q0 = static_cast<int>(task % q_blocks) * uk.block_q;
    const int64_t col = static_cast<int64_t>(h) * d_head;
    F32AttentionHead head{t,       d_head, q + col,   ldq, k + col, ldk,
                          v + col, ldv,    out + col, ldo, scale};
    uk.fn(head, q0, std::min(t, q0 + uk.block_q), scratch ? thread_scratch(scratch) : nullptr);
  });
}

void attention_f32(ThreadPool& pool, int t, int heads, int d_head, const float* q, int64_t ldq,
                   const float* k, int64_t ldk, const float* v, int64_t ldv, float* out,
                   int64_t ldo, float scale) {
  if (d_head <= 0) throw Error("kernels/attention_f32: d_head must be positive");
  attention_f32(f32_attention_best(d_head), pool, t, heads, d_head, q, ldq, k, ldk, v, ldv, out,
                ldo, scale);
}

std::string f32_kernel_summary() {
  std::string s = "gemm=";
  s += f32_gemm_best().name;
  s += " attention=";
  s += f32_attention_best(64).name;
  s += " layernorm=";
  s += f32_layernorm_best().name;
  s += " gelu=";
  s += f32_vunary_best(f32_vgelu_ukernels()).name;
  return s;
}

}  // namespace tessera::kernels
