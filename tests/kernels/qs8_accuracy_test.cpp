// Accuracy of the quantized GEMM against fp32 on Whisper-like data: activations whose few outlier
// channels are 50x larger than the rest (as in Whisper's residual stream after LayerNorm). Prints
// the relative error of each scheme and holds the ordering the design relies on: smoothing helps
// int8 a lot on such data, and int16 activations do better still without it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/int8_ops.h"

namespace tessera::kernels {
namespace {

struct Data {
  int m = 300, k = 512, n = 384;
  std::vector<float> x, w, bias;
  std::vector<double> ref;  // x w^T + bias in double
  std::vector<float> act_absmax;
};

Data make_data() {
  Data d;
  std::mt19937 rng(2024);
  std::normal_distribution<float> g(0.0f, 1.0f);
  d.x.resize(size_t(d.m) * d.k);
  const int outliers[] = {13, 77, 140, 301, 388, 470};
  for (int i = 0; i < d.m; ++i) {
    const float row_gain = 0.5f + 0.01f * (i % 100);
    for (int j = 0; j < d.k; ++j) d.x[size_t(i) * d.k + j] = g(rng) * row_gain + 0.1f;
    for (int o : outliers) d.x[size_t(i) * d.k + o] *= 50.0f;
  }
  d.w.resize(size_t(d.n) * d.k);
  for (auto& v : d.w) v = g(rng) / std::sqrt(float(d.k));
  d.bias.resize(d.n);
  for (auto& v : d.bias) v = 0.1f * g(rng);
  d.ref.assign(size_t(d.m) * d.n, 0.0);
  for (int i = 0; i < d.m; ++i)
    for (int j = 0; j < d.n; ++j) {
      double s = d.bias[j];
      for (int p = 0; p < d.k; ++p)
        s += double{d.x[size_t(i) * d.k + p]} * d.w[size_t(j) * d.k + p];
      d.ref[size_t(i) * d.n + j] = s;
    }
  d.act_absmax.assign(d.k, 0.0f);
  for (int i = 0; i < d.m; ++i)
    for (int j = 0; j < d.k; ++j)
      d.act_absmax[j] = std::max(d.act_absmax[j], std::fabs(d.x[size_t(i) * d.k + j]));
  return d;
}

double relative_error(const Data& d, Qs8ActType type, ActQuant mode, bool smooth) {
  ThreadPool pool(2);
  std::vector<float> s(d.k);
  if (smooth) smoothing_factors_qs8(d.act_absmax.data(), d.w.data(), d.n, d.k, 0.5f, s.data());
  PackedQs8 w = pack_qs8(d.w.data(), d.n, d.k, smooth ? s.data() : nullptr, &qs8_gemm_best(type));
  Qs8Activations a;
  a.reserve(d.m, w);
  quantize_rows_qs8(pool, d.m, d.x.data(), d.k, mode, a, w.act_multiplier());
  std::vector<float> c(size_t(d.m) * d.n);
  Epilogue ep;
  ep.bias = d.bias.data();
  gemm_qs8(pool, a, w, c.data(), d.n, ep);
  double err = 0, ref = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    err += (c[i] - d.ref[i]) * (c[i] - d.ref[i]);
    ref += d.ref[i] * d.ref[i];
  }
  return std::sqrt(err / ref);
}

TEST(Qs8Accuracy, OutlierChannelsWithAndWithoutSmoothing) {
  const Data d = make_data();
  const double sym = relative_error(d, Qs8ActType::kInt8, ActQuant::kSymmetric, false);
  const double asym = relative_error(d, Qs8ActType::kInt8, ActQuant::kAsymmetric, false);
  const double sym_s = relative_error(d, Qs8ActType::kInt8, ActQuant::kSymmetric, true);
  const double asym_s = relative_error(d, Qs8ActType::kInt8, ActQuant::kAsymmetric, true);
  const double a16 = relative_error(d, Qs8ActType::kInt16, ActQuant::kSymmetric, false);
  const double a16_s = relative_error(d, Qs8ActType::kInt16, ActQuant::kSymmetric, true);
  std::printf("relative error vs fp32 (m=%d k=%d n=%d, 6 outlier channels x50):\n", d.m, d.k, d.n);
  std::printf("  int8 symmetric          %.3f %%   smoothed %.3f %%\n", 100 * sym, 100 * sym_s);
  std::printf("  int8 asymmetric         %.3f %%   smoothed %.3f %%\n", 100 * asym, 100 * asym_s);
  std::printf("  int16 activations       %.3f %%   smoothed %.3f %%\n", 100 * a16, 100 * a16_s);
  EXPECT_LT(sym_s, 0.5 * sym) << "smoothing should at least halve the int8 error here";
  EXPECT_LT(asym_s, 0.5 * asym);
  EXPECT_LT(sym_s, 0.02);
  // Here the weights' own rounding (about 0.6 %) is most of what is left.
  EXPECT_LT(a16, 0.25 * sym) << "int16 activations should not need smoothing";
  EXPECT_LT(a16, sym_s);
  EXPECT_LT(a16, 0.01);
}

}  // namespace
}  // namespace tessera::kernels
