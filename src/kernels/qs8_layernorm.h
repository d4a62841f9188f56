// LayerNorm fused with the activation quantization of the int8 GEMM that follows it (QKV and fc1
// in the encoder): each row is normalized into a per-thread fp32 row in L1 and quantized from
// there, so the normalized activations never make an fp32 round trip through memory.
#pragma once

#include <cstdint>

#include "kernels/int8_ops.h"
#include "runtime/thread_pool.h"

namespace tessera::kernels {

// out = quantize(LayerNorm(x) * col_multiplier) for rows x d values (x[r * ldx + j]), in parallel:
// bit-identical to layer_norm_f32 into a buffer followed by quantize_rows_qs8 (d must equal
// out.k, rows <= out.capacity). Sets out.rows.
void layer_norm_quantize_qs8(ThreadPool& pool, int rows, int d, const float* x, int64_t ldx,
                             const float* gamma, const float* beta, float eps, ActQuant mode,
                             Qs8Activations& out, const float* col_multiplier = nullptr);

}  // namespace tessera::kernels
