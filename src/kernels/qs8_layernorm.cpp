// LayerNorm straight into quantized activations (see qs8_layernorm.h).
#include "kernels/qs8_layernorm.h"

#include <string>

#include "kernels/f32_layernorm_table.h"
#include "kernels/scratch.h"
#include "tessera/error.h"

namespace tessera::kernels {

void layer_norm_quantize_qs8(ThreadPool& pool, int rows, int d, const float* x, int64_t ldx,
                             const float* gamma, const float* beta, float eps, ActQuant mode,
                             Qs8Activations& out, const float* col_multiplier) {
  if (rows < 0 || d <= 0)
    throw Error("kernels/layer_norm_quantize_qs8: bad shape rows=" + std::to_string(rows) +
                " d=" + std::to_string(d));
  if (d != out.k)
    throw Error("kernels/layer_norm_quantize_qs8: d=" + std::to_string(d) +
                " but the activation buffer holds rows of " + std::to_string(out.k));
  if (rows > out.capacity)
    throw Error("kernels/layer_norm_quantize_qs8: " + std::to_string(rows) + " rows but capacity " +
                std::to_string(out.capacity));
  if (rows > 0 && (!x || !gamma || !beta))
    throw Error("kernels/layer_norm_quantize_qs8: null pointer argument");
  if (ldx < d) throw Error("kernels/layer_norm_quantize_qs8: row stride smaller than d");
  if (!(eps >= 0.0f)) throw Error("kernels/layer_norm_quantize_qs8: eps must be >= 0");
  if (mode == ActQuant::kAsymmetric && out.type != Qs8ActType::kInt8)
    throw Error("kernels/layer_norm_quantize_qs8: asymmetric quantization is for int8 only");
  const auto norm = f32_layernorm_best().fn;
  pool.parallel_for(rows, 8, [&](int64_t r0, int64_t r1, int) {
    float* row = thread_scratch(static_cast<size_t>(d));
    for (int64_t r = r0; r < r1; ++r) {
      norm(d, x + r * ldx, gamma, beta, eps, row);
      quantize_row_qs8(row, mode, col_multiplier, static_cast<int>(r), out);
    }
  });
  out.rows = rows;
}

}  // namespace tessera::kernels
