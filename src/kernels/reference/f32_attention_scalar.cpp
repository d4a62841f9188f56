// Scalar reference attention: per query, one pass over all keys with an online softmax in double.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/reference/f32_reference.h"

namespace tessera::kernels::reference {

bool f32_attention_scalar_supports(int d_head) {
  return d_head >= 1 && d_head <= kAttentionScalarMaxHead;
}

size_t f32_attention_scalar_scratch(int /*d_head*/) {
  return 0;
}

void f32_attention_scalar(const F32AttentionHead& h, int q0, int q1, float* /*scratch*/) {
  double o[kAttentionScalarMaxHead];
  for (int i = q0; i < q1; ++i) {
    const float* q = h.q + i * h.ldq;
    double m = -std::numeric_limits<double>::infinity(), l = 0.0;
    std::fill(o, o + h.d_head, 0.0);
    for (int j = 0; j < h.t; ++j) {
      const float* k = h.k + j * h.ldk;
      const float* v = h.v + j * h.ldv;
      double s = 0.0;
      for (int d = 0; d < h.d_head; ++d) s += static_cast<double>(q[d]) * k[d];
      s *= h.scale;
      if (s > m) {  // new running max: rescale what was summed so far
        const double alpha = std::exp(m - s);
        l *= alpha;
        for (int d = 0; d < h.d_head; ++d) o[d] *= alpha;
        m = s;
      }
      const double p = std::exp(s - m);
      l += p;
      for (int d = 0; d < h.d_head; ++d) o[d] += p * v[d];
    }
    float* out = h.out + i * h.ldo;
    for (int d = 0; d < h.d_head; ++d) out[d] = static_cast<float>(o[d] / l);
  }
}

}  // namespace tessera::kernels::reference
