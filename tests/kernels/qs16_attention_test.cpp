// The qs16 attention family: the AVX2 quantizers bit for bit against the scalar definitions
// (random rows, zero rows, NaN, huge and tiny values, odd row counts); every kernel against the
// scalar kernel on the same quantized input (they may differ only where exp rounds a quantized P
// the other way) and, end to end, against float64 attention within the quantization error;
// adversarial inputs at the integer bounds; bad input.
#include "kernels/qs16_attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/f32_test_util.h"
#include "kernels/reference/qs16_attention_ukernels.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

using testing::random_floats;

const Qs16AttentionUkernel& scalar_kernel() {
  return qs16_attention_ukernels().back();
}

TEST(Qs16AttentionBounds, IntegerSumsCannotOverflow) {
  for (int d : {2, 16, 64, 128, 256, 512}) {
    const int64_t qmax = qs16_attention::qk_qmax(d);
    EXPECT_LE(d * qmax * qmax, int64_t{INT32_MAX}) << d;
    EXPECT_GT(d * (qmax + 1) * (qmax + 1), int64_t{INT32_MAX}) << d << ": not the largest bound";
  }
  EXPECT_EQ(qs16_attention::qk_qmax(64), 5792);
}

// ---- quantizers -----------------------------------------------------------------------------

std::vector<float> adversarial_rows(int rows, int d, int ld, uint32_t seed) {
  auto x = random_floats(static_cast<size_t>(rows) * ld, seed, -3.0f, 3.0f);
  for (int r = 0; r < rows; ++r) {
    float* row = x.data() + static_cast<size_t>(r) * ld;
    switch (r % 7) {
      case 1:
        std::fill(row, row + d, 0.0f);
        break;  // zero row
      case 2:
        row[r % d] = std::numeric_limits<float>::quiet_NaN();
        break;
      case 3:
        row[0] = 3e38f;
        break;  // huge amax
      case 4:
        for (int j = 0; j < d; ++j) row[j] *= 1e-40f;
        break;  // subnormal: 1 / amax overflows
      case 5:
        for (int j = 0; j < d; ++j) row[j] = (j % 2 ? -1.0f : 1.0f) * 0.5f;
        break;  // ties
      default:
        break;
    }
  }
  return x;
}

TEST(Qs16AttentionQuantize, RowsMatchScalarBitForBit) {
  for (const auto& uk : qs16_attention_ukernels()) {
    if (!uk.supported()) {
      ADD_FAILURE() << uk.name << " not supported here (" << uk.isa << ")";
      continue;
    }
    for (int d : {16, 32, 64, 128, 256}) {
      if (!uk.supports_head(d)) continue;
      const int rows = 37, ld = 3 * d + 5;
      const auto x = adversarial_rows(rows, d, ld, 11 + d);
      const int qmax = qs16_attention::qk_qmax(d);
      std::vector<int16_t> got(rows * d, 7), want(rows * d, 9);
      std::vector<float> sg(rows, -1), sw(rows, -2);
      uk.quantize_rows(rows, d, x.data(), ld, qmax, 0.125f, got.data(), sg.data());
      reference::qs16_quantize_rows_scalar(rows, d, x.data(), ld, qmax, 0.125f, want.data(),
                                           sw.data());
      EXPECT_EQ(got, want) << uk.name << " d=" << d;
      EXPECT_EQ(0, std::memcmp(sg.data(), sw.data(), rows * sizeof(float))) << uk.name;
      for (int r = 0; r < rows; ++r)
        for (int j = 0; j < d; ++j) ASSERT_LE(std::abs(want[r * d + j]), qmax);
    }
  }
}

TEST(Qs16AttentionQuantize, VMatchesScalarBitForBit) {
  for (const auto& uk : qs16_attention_ukernels()) {
    if (!uk.supported()) continue;
    for (int d : {16, 64, 256})
      for (int rows : {1, 2, 7, 64, 129}) {
        if (!uk.supports_head(d)) continue;
        const int ld = d + 3;
        auto x = random_floats(static_cast<size_t>(rows) * ld, rows + d, -2.0f, 2.0f);
        for (int r = 0; r < rows; ++r) {
          x[r * ld + 3] = 0.0f;     // an all-zero column
          x[r * ld + 5] *= 1e-40f;  // a subnormal column: 1 / amax overflows
        }
        x[(rows / 2) * ld + 7] = std::numeric_limits<float>::quiet_NaN();
        x[(rows - 1) * ld + 8] = -1e30f;
        const size_t n = static_cast<size_t>((rows + 1) / 2) * d * 2;
        std::vector<int16_t> got(n, 7), want(n, 9);
        std::vector<float> sg(d, -1), sw(d, -2);
        uk.quantize_v(rows, d, x.data(), ld, got.data(), sg.data());
        reference::qs16_quantize_v_scalar(rows, d, x.data(), ld, want.data(), sw.data());
        EXPECT_EQ(got, want) << uk.name << " d=" << d << " rows=" << rows;
        EXPECT_EQ(0, std::memcmp(sg.data(), sw.data(), d * sizeof(float))) << uk.name;
        EXPECT_EQ(sw[3], 0.0f);
        for (auto q : want) ASSERT_LE(std::abs(q), qs16_attention::kVMax);
        if (rows % 2) {  // the missing partner of the last key is zero
          for (int j = 0; j < d; ++j)
            EXPECT_EQ(want[(static_cast<size_t>(rows / 2) * d + j) * 2 + 1], 0);
        }
      }
  }
}

// ---- kernels --------------------------------------------------------------------------------

struct Shape {
  int t, heads, d_head;
  float q_scale = 1.0f;  // magnitude of q: large values make the softmax nearly one-hot
};

struct Data {
  int ld;
  std::vector<float> q, k, v;
  float scale;
};

Data make_data(const Shape& s, uint32_t seed) {
  Data d;
  d.ld = s.heads * s.d_head + 5;
  const size_t n = static_cast<size_t>(s.t) * d.ld;
  d.q = random_floats(n, seed);
  d.k = random_floats(n, seed + 1);
  d.v = random_floats(n, seed + 2);
  for (auto& x : d.q) x *= s.q_scale;
  d.scale = 1.0f / std::sqrt(static_cast<float>(s.d_head));
  return d;
}

std::vector<float> run(const Qs16AttentionUkernel& uk, ThreadPool& pool, const Shape& s,
                       const Data& d) {
  Qs16AttentionInput in;
  in.reserve(s.t, s.heads, s.d_head);
  std::vector<float> out(static_cast<size_t>(s.t) * d.ld, 1234.0f);
  attention_qs16(uk, pool, s.t, s.heads, s.d_head, d.q.data(), d.ld, d.k.data(), d.ld, d.v.data(),
                 d.ld, out.data(), d.ld, d.scale, in);
  return out;
}

// float64 softmax attention of one head, query i, dim c.
std::vector<double> exact(const Shape& s, const Data& d) {
  std::vector<double> out(static_cast<size_t>(s.t) * s.heads * s.d_head), sc(s.t);
  for (int h = 0; h < s.heads; ++h)
    for (int i = 0; i < s.t; ++i) {
      const int c0 = h * s.d_head;
      double m = -INFINITY, l = 0;
      for (int j = 0; j < s.t; ++j) {
        double dot = 0;
        for (int e = 0; e < s.d_head; ++e)
          dot += double(d.q[i * d.ld + c0 + e]) * d.k[j * d.ld + c0 + e];
        sc[j] = dot * d.scale;
        m = std::max(m, sc[j]);
      }
      for (int j = 0; j < s.t; ++j) l += sc[j] = std::exp(sc[j] - m);
      for (int e = 0; e < s.d_head; ++e) {
        double acc = 0;
        for (int j = 0; j < s.t; ++j) acc += sc[j] * d.v[j * d.ld + c0 + e];
        out[(static_cast<size_t>(i) * s.heads + h) * s.d_head + e] = acc / l;
      }
    }
  return out;
}

class Qs16Attention : public ::testing::TestWithParam<size_t> {
 protected:
  const Qs16AttentionUkernel& uk() const { return qs16_attention_ukernels()[GetParam()]; }
  void SetUp() override {
    if (!uk().supported()) GTEST_SKIP() << uk().name << " needs " << uk().isa;
  }
  ThreadPool pool{2};
};

const Shape kShapes[] = {
    {1, 1, 64},  {2, 2, 64},   {5, 1, 64},   {47, 3, 64},        {48, 2, 64},         {49, 1, 64},
    {63, 1, 64}, {64, 2, 64},  {65, 1, 64},  {129, 2, 64},       {200, 8, 64},        {300, 2, 16},
    {97, 1, 32}, {77, 2, 128}, {50, 1, 256}, {130, 2, 64, 8.0f}, {150, 1, 64, 0.05f},
};

TEST_P(Qs16Attention, MatchesScalarTwinOnSameQuantizedInput) {
  for (const Shape& s : kShapes) {
    if (!uk().supports_head(s.d_head)) continue;
    const Data d = make_data(s, 100 + s.t);
    const auto got = run(uk(), pool, s, d), want = run(scalar_kernel(), pool, s, d);
    int failures = 0;
    for (int i = 0; i < s.t && failures < 5; ++i)
      for (int c = 0; c < d.ld; ++c) {
        const float g = got[i * d.ld + c], w = want[i * d.ld + c];
        if (c >= s.heads * s.d_head) {
          ASSERT_EQ(g, 1234.0f) << uk().name << " wrote outside the heads";
          continue;
        }
        // A quantized P may round the other way where exp differs in its last bit: a few units
        // of 1/8192 of the weight of one value of |v| <= 1.
        if (!(std::fabs(g - w) <= 4.0f / qs16_attention::kPOne + 1e-5f * std::fabs(w)) &&
            ++failures <= 5)
          ADD_FAILURE() << uk().name << " t=" << s.t << " heads=" << s.heads
                        << " d_head=" << s.d_head << " q_scale=" << s.q_scale << " at query " << i
                        << " col " << c << ": got " << g << " scalar " << w;
      }
  }
}

TEST_P(Qs16Attention, CloseToFloat64Attention) {
  for (const Shape& s : kShapes) {
    if (!uk().supports_head(s.d_head) || s.t > 200) continue;
    const Data d = make_data(s, 300 + s.t);
    const auto got = run(uk(), pool, s, d);
    const auto ref = exact(s, d);
    double err2 = 0, ref2 = 0, worst = 0;
    for (int i = 0; i < s.t; ++i)
      for (int c = 0; c < s.heads * s.d_head; ++c) {
        const double e = got[i * d.ld + c] - ref[static_cast<size_t>(i) * s.heads * s.d_head + c];
        err2 += e * e;
        ref2 += ref[static_cast<size_t>(i) * s.heads * s.d_head + c] *
                ref[static_cast<size_t>(i) * s.heads * s.d_head + c];
        worst = std::max(worst, std::fabs(e));
      }
    // 12.5-bit Q and K, 13-bit P, 12-bit V: errors of a few 1e-4 of |v| <= 1.
    EXPECT_LT(std::sqrt(err2 / ref2), 2e-3)
        << uk().name << " t=" << s.t << " d=" << s.d_head << " q_scale=" << s.q_scale;
    EXPECT_LT(worst, 5e-3) << uk().name << " t=" << s.t << " d=" << s.d_head
                           << " q_scale=" << s.q_scale;
  }
}

// Every value at the integer bounds. Uniform: all scores equal, every P = 1, every |v| the
// largest, so the PV tile sums reach 64 * 8192 * 4095, just inside int32. Mixed: every |q|, |k|
// the largest, so each score is +-64 * 5792^2 (also just inside int32), and the softmax has to
// tell the signs apart.
TEST_P(Qs16Attention, ExtremeValuesStayExact) {
  const Shape s{130, 2, 64};
  for (bool mixed : {false, true}) {
    Data d = make_data(s, 7);
    std::fill(d.q.begin(), d.q.end(), 3.0f);
    for (int j = 0; j < s.t; ++j)
      for (int c = 0; c < d.ld; ++c) {
        const bool plus = !mixed || j % 3 == 0;
        d.k[j * d.ld + c] = plus ? 3.0f : -3.0f;
        d.v[j * d.ld + c] = plus ? -5.0f : 5.0f;
      }
    d.scale = mixed ? 1e-3f : 1e-6f;
    const auto got = run(uk(), pool, s, d);
    const auto ref = exact(s, d);
    for (int i = 0; i < s.t; ++i)
      for (int c = 0; c < s.heads * s.d_head; ++c)
        ASSERT_NEAR(got[i * d.ld + c], ref[static_cast<size_t>(i) * s.heads * s.d_head + c], 1e-3)
            << uk().name << (mixed ? " mixed" : " uniform");
  }
}

TEST_P(Qs16Attention, ZeroQueriesGiveTheMeanOfV) {
  const Shape s{100, 2, 64};
  Data d = make_data(s, 9);
  std::fill(d.q.begin(), d.q.end(), 0.0f);
  const auto got = run(uk(), pool, s, d);
  for (int c = 0; c < s.heads * s.d_head; ++c) {
    double mean = 0;
    for (int j = 0; j < s.t; ++j) mean += d.v[j * d.ld + c];
    mean /= s.t;
    for (int i = 0; i < s.t; i += 17) ASSERT_NEAR(got[i * d.ld + c], mean, 2e-4) << uk().name;
  }
}

TEST_P(Qs16Attention, RejectsBadInput) {
  std::vector<float> x(64 * 128, 0.5f);
  Qs16AttentionInput in;
  // Not reserved.
  EXPECT_THROW(attention_qs16(uk(), pool, 64, 2, 64, x.data(), 128, x.data(), 128, x.data(), 128,
                              x.data(), 128, 0.125f, in),
               Error);
  in.reserve(32, 2, 64);  // too few rows
  EXPECT_THROW(attention_qs16(uk(), pool, 64, 2, 64, x.data(), 128, x.data(), 128, x.data(), 128,
                              x.data(), 128, 0.125f, in),
               Error);
  in.reserve(64, 2, 64);
  EXPECT_THROW(attention_qs16(uk(), pool, 64, 2, 64, x.data(), 127, x.data(), 128, x.data(), 128,
                              x.data(), 128, 0.125f, in),
               Error);
  EXPECT_THROW(attention_qs16(uk(), pool, 64, 2, 64, nullptr, 128, x.data(), 128, x.data(), 128,
                              x.data(), 128, 0.125f, in),
               Error);
  EXPECT_THROW(attention_qs16(uk(), pool, 64, 2, 64, x.data(), 128, x.data(), 128, x.data(), 128,
                              x.data(), 64, 0.125f, in),
               Error);
  EXPECT_THROW(attention_qs16(uk(), pool, 64, 2, 64, x.data(), 128, x.data(), 128, x.data(), 128,
                              x.data(), 128, NAN, in),
               Error);
  EXPECT_THROW(attention_qs16(uk(), pool, 64, 2, 63, x.data(), 128, x.data(), 128, x.data(), 128,
                              x.data(), 128, 0.125f, in),
               Error);
  EXPECT_THROW(in.reserve(-1, 2, 64), Error);
  // t = 0 is a no-op.
  attention_qs16(uk(), pool, 0, 2, 64, nullptr, 128, nullptr, 128, nullptr, 128, nullptr, 128,
                 0.125f, in);
}

INSTANTIATE_TEST_SUITE_P(All, Qs16Attention,
                         ::testing::Range<size_t>(0, qs16_attention_ukernels().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return testing::test_name(qs16_attention_ukernels()[info.param].name);
                         });

TEST(Qs16AttentionDispatch, PicksASupportedKernelAndNamesIt) {
  const auto& uk = qs16_attention_best(64);
  EXPECT_TRUE(uk.supported());
  EXPECT_NE(qs16_attention_summary().find(uk.name), std::string::npos);
  EXPECT_THROW(qs16_attention_best(0), Error);
}

}  // namespace
}  // namespace tessera::kernels
