// The qs16 attention family: microkernel table and dispatch, the quantize pass and the threaded
// driver.
#include "kernels/qs16_attention.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/isa_predicates.h"
#include "kernels/reference/qs16_attention_ukernels.h"
#include "kernels/scratch.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

const Qs16AttentionUkernel kAttention[] = {
    {"qs16-attention-48x64-avx2", "AVX2+FMA", isa::avx2_fma, avx2::qs16_attention_supports, 48,
     avx2::qs16_attention_scratch, avx2::qs16_quantize_rows, avx2::qs16_quantize_v,
     avx2::qs16_attention},
    {"qs16-attention-scalar", "none", isa::any, reference::qs16_attention_scalar_supports, 16,
     reference::qs16_attention_scalar_scratch, reference::qs16_quantize_rows_scalar,
     reference::qs16_quantize_v_scalar, reference::qs16_attention_scalar},
};

void check_kernel(const Qs16AttentionUkernel& uk, int d_head) {
  if (!uk.supported())
    throw Error(std::string("kernels/attention_qs16: microkernel ") + uk.name + " needs " + uk.isa +
                ", which this CPU lacks");
  if (!uk.supports_head(d_head))
    throw Error(std::string("kernels/attention_qs16: microkernel ") + uk.name +
                " does not support d_head=" + std::to_string(d_head));
}

}  // namespace

int qs16_attention::qk_qmax(int d_head) {
  const double bound = std::floor(std::sqrt(static_cast<double>(INT32_MAX) / d_head));
  return static_cast<int>(std::min(bound, 32767.0));
}

void Qs16AttentionInput::reserve(int rows, int heads_, int d_head_) {
  if (rows < 0 || heads_ <= 0 || d_head_ <= 0)
    throw Error("kernels/attention_qs16: bad shape to reserve");
  const int cap = (rows + 1) / 2 * 2;
  const bool same_shape = heads_ == heads && d_head_ == d_head;
  if (same_shape && cap <= capacity_rows) return;
  capacity_rows = same_shape ? std::max(cap, capacity_rows) : cap;
  heads = heads_;
  d_head = d_head_;
  head_stride = int64_t{capacity_rows} * d_head;
  const size_t n = static_cast<size_t>(head_stride) * heads;
  q.resize(n);
  k.resize(n);
  v.resize(n);
  q_scale.resize(static_cast<size_t>(capacity_rows) * heads);
  k_scale.resize(static_cast<size_t>(capacity_rows) * heads);
  v_scale.resize(static_cast<size_t>(d_head) * heads);
}

std::span<const Qs16AttentionUkernel> qs16_attention_ukernels() {
  return kAttention;
}

const Qs16AttentionUkernel& qs16_attention_best(int d_head) {
  for (const auto& uk : kAttention)
    if (uk.supported() && uk.supports_head(d_head)) return uk;
  throw Error("kernels/attention_qs16: no microkernel supports head width d_head=" +
              std::to_string(d_head));
}

void quantize_attention_qs16(const Qs16AttentionUkernel& uk, ThreadPool& pool, int t, int heads,
                             int d_head, const float* q, int64_t ldq, const float* k, int64_t ldk,
                             const float* v, int64_t ldv, float scale, Qs16AttentionInput& in) {
  if (t < 0 || heads <= 0 || d_head <= 0)
    throw Error("kernels/attention_qs16: bad shape t=" + std::to_string(t) +
                " heads=" + std::to_string(heads) + " d_head=" + std::to_string(d_head));
  check_kernel(uk, d_head);
  if (t > 0 && (!q || !k || !v)) throw Error("kernels/attention_qs16: null pointer argument");
  const int64_t width = static_cast<int64_t>(heads) * d_head;
  if (ldq < width || ldk < width || ldv < width)
    throw Error("kernels/attention_qs16: row stride smaller than heads * d_head = " +
                std::to_string(width));
  if (in.heads != heads || in.d_head != d_head || in.capacity_rows < t)
    throw Error(
        "kernels/attention_qs16: the quantized input was not reserved for t=" + std::to_string(t) +
        " heads=" + std::to_string(heads) + " d_head=" + std::to_string(d_head));
  if (!std::isfinite(scale)) throw Error("kernels/attention_qs16: softmax scale is not finite");
  in.t = t;
  if (t == 0) return;
  const int qmax = qs16_attention::qk_qmax(d_head);
  // Scores are carried in log2 units (log2 e folded into Q's scale): the kernels take 2^(s - m).
  const float q_mult = scale * qs16_attention::kLog2E;
  // V per head first (its scales are per column, over all rows: the longest tasks), then Q and
  // K rows of every head in row chunks (the fp32 rows are read once, in order).
  constexpr int kRowChunk = 64;
  const int64_t chunks = (t + kRowChunk - 1) / kRowChunk;
  pool.run(heads + 2 * chunks, [&](int64_t task, int) {
    if (task < heads) {
      const int h = static_cast<int>(task);
      uk.quantize_v(t, d_head, v + h * d_head, ldv, in.v.data() + h * in.head_stride,
                    in.v_scale.data() + static_cast<size_t>(h) * d_head);
      return;
    }
    const int64_t chunk = task - heads;
    const bool is_q = chunk < chunks;
    const int r0 = static_cast<int>(chunk % chunks) * kRowChunk;
    const int rows = std::min(kRowChunk, t - r0);
    for (int h = 0; h < heads; ++h) {
      const int64_t at = h * in.head_stride + int64_t{r0} * d_head;
      const size_t s_at = static_cast<size_t>(h) * in.capacity_rows + r0;
      if (is_q)
        uk.quantize_rows(rows, d_head, q + r0 * ldq + h * d_head, ldq, qmax, q_mult,
                         in.q.data() + at, in.q_scale.data() + s_at);
      else
        uk.quantize_rows(rows, d_head, k + r0 * ldk + h * d_head, ldk, qmax, 1.0f, in.k.data() + at,
                         in.k_scale.data() + s_at);
    }
  });
}

void attention_qs16(const Qs16AttentionUkernel& uk, ThreadPool& pool, const Qs16AttentionInput& in,
                    float* out, int64_t ldo) {
  check_kernel(uk, in.d_head);
  if (in.t == 0) return;
  if (!out) throw Error("kernels/attention_qs16: null output");
  if (ldo < int64_t{in.heads} * in.d_head)
    throw Error("kernels/attention_qs16: output row stride smaller than heads * d_head");
  const size_t scratch = uk.scratch_floats(in.d_head);
  const int64_t q_blocks = (in.t + uk.block_q - 1) / uk.block_q;
  pool.run(in.heads * q_blocks, [&](int64_t task, int) {
    const int h = static_cast<int>(task / q_blocks);
    const int q0 = static_cast<int>(task % q_blocks) * uk.block_q;
    const size_t s_at = static_cast<size_t>(h) * in.capacity_rows;
    Qs16AttentionHead head;
    head.t = in.t;
    head.d_head = in.d_head;
    head.q = in.q.data() + h * in.head_stride;
    head.q_scale = in.q_scale.data() + s_at;
    head.k = in.k.data() + h * in.head_stride;
    head.k_scale = in.k_scale.data() + s_at;
    head.v = in.v.data() + h * in.head_stride;
    head.v_scale = in.v_scale.data() + static_cast<size_t>(h) * in.d_head;
    head.out = out + static_cast<int64_t>(h) * in.d_head;
    head.ldo = ldo;
    uk.fn(head, q0, std::min(in.t, q0 + uk.block_q), scratch ? thread_scratch(scratch) : nullptr);
  });
}

void attention_qs16(const Qs16AttentionUkernel& uk, ThreadPool& pool, int t, int heads, int d_head,
                    const float* q, int64_t ldq, const float* k, int64_t ldk, const float* v,
                    int64_t ldv, float* out, int64_t ldo, float scale, Qs16AttentionInput& in) {
  quantize_attention_qs16(uk, pool, t, heads, d_head, q, ldq, k, ldk, v, ldv, scale, in);
  if (t > 0 && ldo < int64_t{heads} * d_head)
    throw Error("kernels/attention_qs16: row stride smaller than heads * d_head = " +
                std::to_string(int64_t{heads} * d_head));
  attention_qs16(uk, pool, in, out, ldo);
}

std::string qs16_attention_summary() {
  return std::string("attention=") + qs16_attention_best(64).name;
}

}  // namespace tessera::kernels
