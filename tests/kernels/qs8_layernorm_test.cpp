// LayerNorm fused with the int8 GEMM's activation quantization: bit for bit the same as
// layer_norm_f32 into a buffer followed by quantize_rows_qs8, for int16 and int8 activations
// (symmetric and asymmetric), with and without per-column multipliers, odd widths, one row,
// constant rows (zero variance) and large offsets; bad input.
#include "kernels/qs8_layernorm.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernels/f32_ops.h"
#include "kernels/f32_test_util.h"
#include "kernels/int8_ops.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

using testing::random_floats;

void expect_same(const Qs8Activations& a, const Qs8Activations& b, int rows, const char* what) {
  ASSERT_EQ(a.rows, rows) << what;
  ASSERT_EQ(b.rows, rows) << what;
  const size_t row_bytes = static_cast<size_t>(a.ld) * (a.type == Qs8ActType::kInt8 ? 1 : 2);
  EXPECT_EQ(0, std::memcmp(a.data.data(), b.data.data(), row_bytes * rows)) << what << ": values";
  EXPECT_EQ(0, std::memcmp(a.scale.data(), b.scale.data(), sizeof(float) * rows))
      << what << ": scales";
  EXPECT_EQ(0, std::memcmp(a.zero_point.data(), b.zero_point.data(), sizeof(int32_t) * rows))
      << what << ": zero points";
}

TEST(Qs8LayerNorm, MatchesLayerNormThenQuantizeBitForBit) {
  ThreadPool pool(2);
  struct Case {
    Qs8ActType type;
    ActQuant mode;
    int kr;
  };
  for (const Case c : {Case{Qs8ActType::kInt16, ActQuant::kSymmetric, 2},
                       Case{Qs8ActType::kInt8, ActQuant::kSymmetric, 4},
                       Case{Qs8ActType::kInt8, ActQuant::kAsymmetric, 4}})
    for (int d : {512, 384, 37, 1})
      for (int rows : {1, 7, 100})
        for (bool mult : {false, true}) {
          const int ld = d + 3;
          auto x = random_floats(static_cast<size_t>(rows) * ld, d + rows, -4.0f, 4.0f);
          for (int j = 0; j < d; ++j) x[j] += 1000.0f;                        // large offset
          if (rows > 1) std::fill(x.begin() + ld, x.begin() + ld + d, 2.5f);  // zero variance
          const auto gamma = random_floats(d, 5, 0.5f, 2.0f), beta = random_floats(d, 6);
          const auto m = random_floats(d, 7, 0.25f, 4.0f);
          const float* cm = mult ? m.data() : nullptr;

          Qs8Activations fused, ref;
          fused.reserve(rows, d, c.kr, c.type);
          ref.reserve(rows, d, c.kr, c.type);
          layer_norm_quantize_qs8(pool, rows, d, x.data(), ld, gamma.data(), beta.data(), 1e-5f,
                                  c.mode, fused, cm);
          std::vector<float> y(static_cast<size_t>(rows) * d);
          layer_norm_f32(pool, rows, d, x.data(), ld, gamma.data(), beta.data(), 1e-5f, y.data(),
                         d);
          quantize_rows_qs8(pool, rows, y.data(), d, c.mode, ref, cm);
          const std::string what =
              std::string(to_string(c.type)) + (c.mode == ActQuant::kSymmetric ? " sym" : " asym") +
              " d=" + std::to_string(d) + " rows=" + std::to_string(rows) + (mult ? " mult" : "");
          expect_same(fused, ref, rows, what.c_str());
        }
}

TEST(Qs8LayerNorm, RejectsBadInput) {
  ThreadPool pool(1);
  std::vector<float> x(64 * 16, 1.0f), g(64, 1.0f), b(64, 0.0f);
  Qs8Activations a;
  a.reserve(16, 64, 2, Qs8ActType::kInt16);
  EXPECT_THROW(layer_norm_quantize_qs8(pool, 4, 32, x.data(), 64, g.data(), b.data(), 1e-5f,
                                       ActQuant::kSymmetric, a),
               Error);  // width differs from the buffer's
  EXPECT_THROW(layer_norm_quantize_qs8(pool, 17, 64, x.data(), 64, g.data(), b.data(), 1e-5f,
                                       ActQuant::kSymmetric, a),
               Error);  // more rows than reserved
  EXPECT_THROW(layer_norm_quantize_qs8(pool, 4, 64, nullptr, 64, g.data(), b.data(), 1e-5f,
                                       ActQuant::kSymmetric, a),
               Error);
  EXPECT_THROW(layer_norm_quantize_qs8(pool, 4, 64, x.data(), 63, g.data(), b.data(), 1e-5f,
                                       ActQuant::kSymmetric, a),
               Error);
  EXPECT_THROW(layer_norm_quantize_qs8(pool, 4, 64, x.data(), 64, g.data(), b.data(), -1.0f,
                                       ActQuant::kSymmetric, a),
               Error);
  EXPECT_THROW(layer_norm_quantize_qs8(pool, 4, 64, x.data(), 64, g.data(), b.data(), 1e-5f,
                                       ActQuant::kAsymmetric, a),
               Error);  // asymmetric int16
  Qs8Activations never_reserved;
  EXPECT_THROW(layer_norm_quantize_qs8(pool, 1, 64, x.data(), 64, g.data(), b.data(), 1e-5f,
                                       ActQuant::kSymmetric, never_reserved),
               Error);
}

}  // namespace
}  // namespace tessera::kernels
