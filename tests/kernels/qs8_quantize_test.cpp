// Row quantization: the AVX2 quantizer is bit-identical to the scalar definition, and the
// definition keeps its promises (range, rounding error, exact zero, no 0/0 on zero rows).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/int8_ops.h"
#include "kernels/reference/qs8_ukernels.h"
#include "tessera/cpu_features.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

struct Quantized {
  std::vector<int32_t> q;
  float scale = -1;
  int32_t zero = -999;
};

using RowFn = void (*)(const float*, int, int, const float*, ActQuant, Qs8ActType, int, void*,
                       float*, int32_t*);

Quantized run(RowFn fn, const std::vector<float>& x, const float* mult, ActQuant mode,
              Qs8ActType type, int qmax, int k_padded) {
  const int k = static_cast<int>(x.size());
  std::vector<int16_t> buf(k_padded + 8, 0x3333);
  Quantized r;
  fn(x.data(), k, k_padded, mult, mode, type, qmax, buf.data(), &r.scale, &r.zero);
  for (int j = 0; j < k_padded; ++j)
    r.q.push_back(type == Qs8ActType::kInt8 ? reinterpret_cast<const int8_t*>(buf.data())[j]
                                            : buf[j]);
  // Nothing written past k_padded.
  const auto* bytes = reinterpret_cast<const uint8_t*>(buf.data());
  const int used = k_padded * (type == Qs8ActType::kInt8 ? 1 : 2);
  for (int b = used; b < used + 8; ++b) EXPECT_EQ(bytes[b], 0x33) << "wrote past k_padded";
  return r;
}

std::vector<std::vector<float>> test_rows() {
  std::vector<std::vector<float>> rows;
  std::mt19937 rng(42);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (int k : {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 100, 512, 2048}) {
    std::vector<float> v(k);
    for (auto& x : v) x = d(rng);
    rows.push_back(v);
    for (auto& x : v) x = std::fabs(x) + 0.5f;  // all positive
    rows.push_back(v);
    for (auto& x : v) x = -x * 1e4f;  // all negative, large
    rows.push_back(v);
    for (int j = 0; j < k; ++j) v[j] = (j % 5 == 0) ? 50.0f * d(rng) : 1e-3f * d(rng);  // outliers
    rows.push_back(v);
    for (int j = 0; j < k; ++j) v[j] = (j % 3 == 1) ? 0.0f : 1e-40f;  // denormals and zeros
    rows.push_back(v);
    rows.push_back(std::vector<float>(k, 0.0f));
    std::vector<float> one(k, 0.0f);
    one[k / 2] = -3.0f;
    rows.push_back(one);
  }
  return rows;
}

TEST(Qs8Quantize, Avx2MatchesScalarBitForBit) {
  if (!cpu_features().has_avx2_fma()) GTEST_SKIP() << "needs AVX2+FMA, which this CPU lacks";
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dm(0.1f, 4.0f);
  for (const auto& x : test_rows()) {
    const int k = static_cast<int>(x.size());
    std::vector<float> mult(k);
    for (auto& v : mult) v = dm(rng);
    for (const float* m :
         {static_cast<const float*>(nullptr), static_cast<const float*>(mult.data())})
      for (auto [mode, type] : {std::pair{ActQuant::kSymmetric, Qs8ActType::kInt8},
                                {ActQuant::kAsymmetric, Qs8ActType::kInt8},
                                {ActQuant::kSymmetric, Qs8ActType::kInt16}}) {
        const int kp = (k + 3) / 4 * 4;
        const int qmax = type == Qs8ActType::kInt8 ? 127 : qs16_qmax(kp);
        const Quantized want = run(reference::qs8_quantize_row_scalar, x, m, mode, type, qmax, kp);
        const Quantized got = run(avx2::qs8_quantize_row, x, m, mode, type, qmax, kp);
        ASSERT_EQ(got.scale, want.scale) << "k=" << k;
        ASSERT_EQ(got.zero, want.zero) << "k=" << k;
        ASSERT_EQ(got.q, want.q) << "k=" << k << " mode=" << int(mode) << " type=" << int(type);
      }
  }
}

TEST(Qs8Quantize, ScalarDefinitionKeepsItsPromises) {
  for (const auto& x : test_rows()) {
    const int k = static_cast<int>(x.size()), kp = (k + 3) / 4 * 4;
    for (auto [mode, type] : {std::pair{ActQuant::kSymmetric, Qs8ActType::kInt8},
                              {ActQuant::kAsymmetric, Qs8ActType::kInt8},
                              {ActQuant::kSymmetric, Qs8ActType::kInt16}}) {
      const int qmax = type == Qs8ActType::kInt8 ? 127 : qs16_qmax(kp);
      const Quantized r = run(reference::qs8_quantize_row_scalar, x, nullptr, mode, type, qmax, kp);
      for (int j = k; j < kp; ++j) EXPECT_EQ(r.q[j], 0) << "padding";
      ASSERT_GE(r.scale, 0.0f);
      for (int j = 0; j < k; ++j) {
        if (mode == ActQuant::kSymmetric) {
          EXPECT_EQ(r.zero, 0);
          EXPECT_LE(std::abs(r.q[j]), qmax);
        } else {
          EXPECT_GE(r.q[j], -128);
          EXPECT_LE(r.q[j], 127);
        }
        // Every value comes back within half a step (plus float rounding of the step itself).
        const float back = r.scale * static_cast<float>(r.q[j] - r.zero);
        EXPECT_LE(std::fabs(back - x[j]), 0.501f * r.scale + 1e-6f * std::fabs(x[j]) + 1e-30f)
            << "k=" << k << " j=" << j;
        if (x[j] == 0.0f) {
          EXPECT_EQ(r.q[j], r.zero) << "zero must be exact";
        }
      }
    }
  }
}

TEST(Qs8Quantize, NonFiniteInputStaysInRange) {
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::vector<float> x(37, 1.0f);
    x[5] = bad;
    for (auto mode : {ActQuant::kSymmetric, ActQuant::kAsymmetric}) {
      const Quantized r =
          run(reference::qs8_quantize_row_scalar, x, nullptr, mode, Qs8ActType::kInt8, 127, 40);
      for (int v : r.q) EXPECT_TRUE(v >= -128 && v <= 127);
      if (cpu_features().has_avx2_fma()) {
        const Quantized a =
            run(avx2::qs8_quantize_row, x, nullptr, mode, Qs8ActType::kInt8, 127, 40);
        for (int v : a.q) EXPECT_TRUE(v >= -128 && v <= 127);
      }
    }
  }
}

TEST(Qs8Quantize, Int16RangeKeepsInt32Exact) {
  EXPECT_EQ(qs16_qmax(4), 32767);
  EXPECT_EQ(qs16_qmax(512), 32767);
  EXPECT_EQ(qs16_qmax(2048), 8256);
  for (int kp : {4, 516, 2048, 5120, 65536})
    EXPECT_LE(int64_t{qs16_qmax(kp)} * 127 * kp, int64_t{INT32_MAX});
}

TEST(Qs8Quantize, RowsApiAndBadInput) {
  ThreadPool pool(2);
  Qs8Activations a;
  EXPECT_THROW(quantize_rows_qs8(pool, 1, nullptr, 0, ActQuant::kSymmetric, a),
               Error);  // not reserved
  a.reserve(10, 33, 4, Qs8ActType::kInt8);
  EXPECT_EQ(a.k_padded, 36);
  std::vector<float> x(10 * 40);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * i);
  quantize_rows_qs8(pool, 10, x.data(), 40, ActQuant::kAsymmetric, a);
  EXPECT_EQ(a.rows, 10);
  for (int r = 0; r < 10; ++r) {
    Qs8Activations one;
    one.reserve(1, 33, 4, Qs8ActType::kInt8);
    quantize_row_qs8(x.data() + r * 40, ActQuant::kAsymmetric, nullptr, 0, one);
    EXPECT_EQ(one.scale[0], a.scale[r]);
    for (int j = 0; j < 36; ++j) EXPECT_EQ(one.row<int8_t>(0)[j], a.row<int8_t>(r)[j]);
  }
  EXPECT_THROW(quantize_rows_qs8(pool, 11, x.data(), 40, ActQuant::kSymmetric, a), Error);
  EXPECT_THROW(quantize_rows_qs8(pool, 2, x.data(), 0, ActQuant::kSymmetric, a), Error);
  // Overlapping rows (ldx < k, a convolution window) read the same values as copied-out rows.
  quantize_rows_qs8(pool, 10, x.data(), 7, ActQuant::kSymmetric, a);
  for (int r = 0; r < 10; ++r) {
    Qs8Activations one;
    one.reserve(1, 33, 4, Qs8ActType::kInt8);
    std::vector<float> row(x.begin() + r * 7, x.begin() + r * 7 + 33);
    quantize_row_qs8(row.data(), ActQuant::kSymmetric, nullptr, 0, one);
    EXPECT_EQ(one.scale[0], a.scale[r]);
    for (int j = 0; j < 36; ++j) EXPECT_EQ(one.row<int8_t>(0)[j], a.row<int8_t>(r)[j]);
  }
  EXPECT_THROW(quantize_row_qs8(x.data(), ActQuant::kSymmetric, nullptr, 10, a), Error);
  Qs8Activations wide;
  wide.reserve(2, 8, 2, Qs8ActType::kInt16);
  EXPECT_THROW(quantize_rows_qs8(pool, 1, x.data(), 8, ActQuant::kAsymmetric, wide), Error);
  EXPECT_THROW(a.reserve(-1, 8, 4, Qs8ActType::kInt8), Error);
  EXPECT_THROW(a.reserve(1, 0, 4, Qs8ActType::kInt8), Error);
  EXPECT_THROW(a.reserve(1 << 30, 65536, 4, Qs8ActType::kInt8), Error);  // absurd size
}

}  // namespace
}  // namespace tessera::kernels
