// Scalar reference element-wise kernels and LayerNorm, computed in double and rounded once.
#include <cmath>

#include "kernels/reference/f32_reference.h"

namespace tessera::kernels::reference {

float gelu(float x) {
  const double xd = x;
  // erfc form: no cancellation in the negative tail.
  return static_cast<float>(0.5 * xd * std::erfc(-xd / std::sqrt(2.0)));
}

void f32_verf_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(std::erf(static_cast<double>(x[i])));
}

void f32_vexp_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(std::exp(static_cast<double>(x[i])));
}

void f32_vgelu_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = gelu(x[i]);
}

void f32_layernorm_scalar(int d, const float* x, const float* gamma, const float* beta, float eps,
                          float* y) {
  double sum = 0.0;
  for (int i = 0; i < d; ++i) sum += x[i];
  const double mean = sum / d;
  double sq = 0.0;
  for (int i = 0; i < d; ++i) sq += (x[i] - mean) * (x[i] - mean);
  const double inv = 1.0 / std::sqrt(sq / d + eps);
  for (int i = 0; i < d; ++i) y[i] = static_cast<float>((x[i] - mean) * inv * gamma[i] + beta[i]);
}

}  // namespace tessera::kernels::reference
