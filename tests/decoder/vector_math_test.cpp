#include "decoder/vector_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace tessera::decoder {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(DecoderVectorMath, ExpMatchesLibmAcrossTheRange) {
  std::vector<float> x, y;
  for (float v = -87.0f; v <= 88.0f; v += 0.0137f) x.push_back(v);
  x.push_back(0.0f);
  y.resize(x.size());
  exp_f32(x.data(), y.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    EXPECT_NEAR(y[i] / want, 1.0, 3e-7) << "x=" << x[i];
  }
}

TEST(DecoderVectorMath, ExpOfMinusInfinityAndHugeNegativesIsZero) {
  float x[4] = {-kInf, -1000.0f, -88.5f, 200.0f};
  float y[4];
  exp_f32(x, y, 4);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_TRUE(std::isfinite(y[3]));  // clamped, not inf
  EXPECT_GT(y[3], 1e38f);
}

TEST(DecoderVectorMath, SoftmaxAndLogSoftmaxAgreeWithDoubleReference) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 5.0f);
  std::vector<float> x(1001);
  for (float& v : x) v = dist(rng);
  x[3] = -kInf;
  double m = -1e300;
  for (float v : x) m = std::max<double>(m, v);
  double s = 0;
  for (float v : x) s += std::exp(static_cast<double>(v) - m);
  const double lse = m + std::log(s);
  EXPECT_NEAR(logsumexp_f32(x.data(), 1001), lse, 1e-4);

  std::vector<float> ls(x.size());
  log_softmax_f32(x.data(), ls.data(), 1001);
  std::vector<float> p = x;
  softmax_inplace(p.data(), 1001);
  for (size_t i = 0; i < x.size(); ++i) {
    if (i == 3) {
      EXPECT_EQ(p[i], 0.0f);
      EXPECT_EQ(ls[i], -kInf);
      continue;
    }
    EXPECT_NEAR(ls[i], x[i] - lse, 1e-4);
    EXPECT_NEAR(p[i], std::exp(x[i] - lse), 1e-6);
  }
  EXPECT_NEAR(sum_f32(p.data(), 1001), 1.0f, 1e-5);
}

TEST(DecoderVectorMath, AllMinusInfinity) {
  std::vector<float> x(10, -kInf);
  EXPECT_EQ(logsumexp_f32(x.data(), 10), -kInf);
  softmax_inplace(x.data(), 10);
  EXPECT_TRUE(std::isnan(x[0]));
}

TEST(DecoderVectorMath, ArgmaxTakesTheFirstMaximum) {
  const float x[] = {1, 5, 3, 5, -kInf};
  EXPECT_EQ(argmax_f32(x, 5), 1);
  EXPECT_EQ(argmax_f32(x, 0), -1);
  std::vector<float> big(100, 0.0f);
  big[77] = 2;
  big[90] = 2;
  EXPECT_EQ(argmax_f32(big.data(), 100), 77);
  EXPECT_EQ(max_f32(big.data(), 100), 2.0f);
}

TEST(DecoderVectorMath, TopKIsSortedAndStableOnTies) {
  const float x[] = {0.5f, 3.0f, 1.0f, 3.0f, 2.0f, -kInf, 1.0f};
  int idx[4];
  float val[4];
  ASSERT_EQ(top_k_f32(x, 7, 4, idx, val), 4);
  EXPECT_EQ(idx[0], 1);
  EXPECT_EQ(idx[1], 3);
  EXPECT_EQ(idx[2], 4);
  EXPECT_EQ(idx[3], 2);
  EXPECT_EQ(val[3], 1.0f);
  // Fewer values than k.
  ASSERT_EQ(top_k_f32(x, 2, 4, idx, val), 2);
  EXPECT_EQ(idx[0], 1);
  EXPECT_EQ(idx[1], 0);
  EXPECT_EQ(top_k_f32(x, 7, 0, idx, val), 0);
}

// The dispatched (AVX2 on this CPU) reductions against their scalar twins: every length from 0 to
// 70 (all tails), a vocabulary-sized row, ties, -inf runs, the extremes.
TEST(DecoderVectorMath, DispatchedReductionsMatchScalarTwins) {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 6.0f);
  auto check = [&](const std::vector<float>& x, const std::string& what) {
    const int64_t n = static_cast<int64_t>(x.size());
    const float m = max_f32(x.data(), n);
    EXPECT_EQ(m, scalar::max_f32(x.data(), n)) << what;
    if (n > 0 && std::isfinite(m)) {
      const float a = sum_exp_shifted(x.data(), n, m), b = scalar::sum_exp_shifted(x.data(), n, m);
      EXPECT_NEAR(a, b, 2e-6f * b) << what;
    }
    for (int k : {1, 2, 6, 11}) {
      int ia[11], ib[11];
      float va[11], vb[11];
      const int ga = top_k_f32(x.data(), n, k, ia, va),
                gb = scalar::top_k_f32(x.data(), n, k, ib, vb);
      ASSERT_EQ(ga, gb) << what;
      for (int i = 0; i < ga; ++i) {
        EXPECT_EQ(ia[i], ib[i]) << what << " k=" << k << " rank " << i;
        EXPECT_EQ(va[i], vb[i]) << what;
      }
    }
  };
  for (int n = 0; n <= 70; ++n) {
    std::vector<float> x(n);
    for (float& v : x) v = dist(rng);
    check(x, "random n=" + std::to_string(n));
  }
  std::vector<float> row(51865);
  for (float& v : row) v = dist(rng);
  check(row, "vocabulary row");
  for (size_t i = 100; i < 40000; ++i) row[i] = -kInf;  // filtered tokens
  row[51864] = 30.0f;
  check(row, "-inf run and a late maximum");
  std::vector<float> ties(1003, 1.5f);
  ties[500] = 2.0f;
  check(ties, "ties");
  std::vector<float> extremes = {-87.4f, 88.5f,   -1e30f,   1e30f, 0.0f,
                                 -0.0f,  3.4e38f, -3.4e38f, 1e-38f};
  check(extremes, "extremes");
  std::vector<float> shifted(37);
  for (float& v : shifted) v = dist(rng) - 200.0f;  // exponentials underflow to 0 for most
  check(shifted, "underflow");
}

}  // namespace
}  // namespace tessera::decoder
