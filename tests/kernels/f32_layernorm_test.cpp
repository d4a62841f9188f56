// Every LayerNorm microkernel against a float64 reference: random rows, constant rows, a large
// common offset, tails of d, in place; and the threaded public layer_norm_f32 with bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/f32_layernorm_table.h"
#include "kernels/f32_ops.h"
#include "kernels/f32_test_util.h"
#include "kernels/f32_vunary_table.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

using testing::random_floats;

// Max |y - ref| relative to max(1, |ref|) over one row.
double row_error(int d, const float* x, const float* g, const float* b, float eps, const float* y) {
  double mean = 0.0;
  for (int i = 0; i < d; ++i) mean += x[i];
  mean /= d;
  double var = 0.0;
  for (int i = 0; i < d; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= d;
  const double inv = 1.0 / std::sqrt(var + eps);
  double worst = 0.0;
  for (int i = 0; i < d; ++i) {
    const double ref = (x[i] - mean) * inv * g[i] + b[i];
    worst = std::max(worst, std::fabs(y[i] - ref) / std::max(1.0, std::fabs(ref)));
  }
  return worst;
}

class F32LayerNorm : public ::testing::TestWithParam<size_t> {
 protected:
  const F32LayerNormUkernel& uk() const { return f32_layernorm_ukernels()[GetParam()]; }
  void SetUp() override {
    if (!uk().supported()) GTEST_SKIP() << uk().name << " needs " << uk().isa;
  }
};

TEST_P(F32LayerNorm, RandomRowsEveryTail) {
  for (int d : {1, 2, 7, 8, 9, 15, 16, 31, 33, 64, 384, 512, 517, 1280}) {
    auto x = random_floats(d, d, -3.0f, 5.0f);
    auto g = random_floats(d, d + 1, 0.5f, 2.0f), b = random_floats(d, d + 2);
    std::vector<float> y(d + 1, 99.0f);
    uk().fn(d, x.data(), g.data(), b.data(), 1e-5f, y.data());
    EXPECT_LE(row_error(d, x.data(), g.data(), b.data(), 1e-5f, y.data()), 2e-6) << "d=" << d;
    EXPECT_EQ(y[d], 99.0f) << uk().name << " wrote past d=" << d;
  }
}

TEST_P(F32LayerNorm, ConstantRowsGiveBeta) {
  for (int d : {8, 384, 513}) {
    for (float c : {0.0f, 0.1f, -3.7f, 1e4f}) {
      std::vector<float> x(d, c), y(d);
      auto g = random_floats(d, 5), b = random_floats(d, 6);
      uk().fn(d, x.data(), g.data(), b.data(), 1e-5f, y.data());
      for (int i = 0; i < d; ++i) EXPECT_NEAR(y[i], b[i], 1e-4) << "d=" << d << " c=" << c;
    }
  }
}

TEST_P(F32LayerNorm, LargeOffsetDoesNotCancel) {
  const int d = 512;
  auto x = random_floats(d, 9);
  for (auto& v : x) v += 1000.0f;  // mean 1000, std 0.58: one-pass E[x^2] - E[x]^2 would fail
  auto g = random_floats(d, 10), b = random_floats(d, 11);
  std::vector<float> y(d);
  uk().fn(d, x.data(), g.data(), b.data(), 1e-5f, y.data());
  EXPECT_LE(row_error(d, x.data(), g.data(), b.data(), 1e-5f, y.data()), 1e-4);
}

TEST_P(F32LayerNorm, InPlace) {
  const int d = 100;
  auto x = random_floats(d, 12);
  auto g = random_floats(d, 13), b = random_floats(d, 14);
  std::vector<float> y(d);
  uk().fn(d, x.data(), g.data(), b.data(), 1e-5f, y.data());
  uk().fn(d, x.data(), g.data(), b.data(), 1e-5f, x.data());
  EXPECT_EQ(x, y);
}

INSTANTIATE_TEST_SUITE_P(Table, F32LayerNorm,
                         ::testing::Range<size_t>(0, f32_layernorm_ukernels().size()),
                         [](const auto& info) {
                           return testing::test_name(f32_layernorm_ukernels()[info.param].name);
                         });

TEST(F32LayerNormOp, ThreadedStridedRowsMatchOneRowAtATime) {
  ThreadPool pool(2);
  const int rows = 1500, d = 384, ldx = 400, ldy = 390;
  auto x = random_floats(static_cast<size_t>(rows) * ldx, 20);
  auto g = random_floats(d, 21), b = random_floats(d, 22);
  std::vector<float> y(static_cast<size_t>(rows) * ldy, -5.0f);
  layer_norm_f32(pool, rows, d, x.data(), ldx, g.data(), b.data(), 1e-5f, y.data(), ldy);
  for (int r = 0; r < rows; ++r) {
    ASSERT_LE(row_error(d, &x[r * ldx], g.data(), b.data(), 1e-5f, &y[r * ldy]), 2e-6) << r;
    for (int i = d; i < ldy; ++i) ASSERT_EQ(y[r * ldy + i], -5.0f);
  }
}

TEST(F32LayerNormOp, RejectsBadArguments) {
  ThreadPool pool(1);
  std::vector<float> x(64), g(8), b(8), y(64);
  EXPECT_THROW(layer_norm_f32(pool, -1, 8, x.data(), 8, g.data(), b.data(), 1e-5f, y.data(), 8),
               Error);
  EXPECT_THROW(layer_norm_f32(pool, 8, 0, x.data(), 8, g.data(), b.data(), 1e-5f, y.data(), 8),
               Error);
  EXPECT_THROW(layer_norm_f32(pool, 8, 8, x.data(), 7, g.data(), b.data(), 1e-5f, y.data(), 8),
               Error);
  EXPECT_THROW(layer_norm_f32(pool, 8, 8, x.data(), 8, nullptr, b.data(), 1e-5f, y.data(), 8),
               Error);
  EXPECT_THROW(layer_norm_f32(pool, 8, 8, x.data(), 8, g.data(), b.data(), NAN, y.data(), 8),
               Error);
  layer_norm_f32(pool, 0, 8, nullptr, 8, nullptr, nullptr, 1e-5f, nullptr, 8);  // no rows: no-op
}

TEST(F32GeluOp, ThreadedMatchesMicrokernel) {
  ThreadPool pool(2);
  auto x = random_floats(100003, 30, -8.0f, 8.0f);
  std::vector<float> y(x.size());
  const auto& best = f32_vunary_best(f32_vgelu_ukernels());
  best.fn(x.data(), y.data(), static_cast<int64_t>(x.size()));
  gelu_f32(pool, x.data(), static_cast<int64_t>(x.size()));
  EXPECT_EQ(x, y);
  EXPECT_THROW(gelu_f32(pool, x.data(), -1), Error);
  EXPECT_THROW(gelu_f32(pool, nullptr, 5), Error);
}

}  // namespace
}  // namespace tessera::kernels
