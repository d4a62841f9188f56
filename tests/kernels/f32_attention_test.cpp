// Every attention microkernel, through the threaded driver, against a naive float64 softmax
// attention: sequence lengths around the tile sizes, several heads with padded strides, head widths
// 64 and others, near one-hot softmax (large scores), uniform softmax, zeros, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/f32_attention_table.h"
#include "kernels/f32_ops.h"
#include "kernels/f32_test_util.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

using testing::kUnitRoundoff;
using testing::random_floats;

struct Shape {
  int t, heads, d_head;
  float q_scale = 1.0f;  // magnitude of q: large values make the softmax nearly one-hot
};

// Runs the kernel on random q, k, v in [-1, 1] (q times q_scale) with row strides wider than
// heads * d_head and compares every head with float64.
void check(const F32AttentionUkernel& uk, ThreadPool& pool, const Shape& s, uint32_t seed,
           bool zeros = false) {
  const int width = s.heads * s.d_head, ld = width + 5;
  const size_t n = static_cast<size_t>(s.t) * ld;
  auto q = random_floats(n, seed), k = random_floats(n, seed + 1), v = random_floats(n, seed + 2);
  for (auto& x : q) x *= s.q_scale;
  if (zeros) std::fill(q.begin(), q.end(), 0.0f);
  std::vector<float> out(n, 1234.0f);
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.d_head));
  attention_f32(uk, pool, s.t, s.heads, s.d_head, q.data(), ld, k.data(), ld, v.data(), ld,
                out.data(), ld, scale);

  std::vector<double> scores(s.t);
  int failures = 0;
  for (int h = 0; h < s.heads; ++h) {
    const int c0 = h * s.d_head;
    for (int i = 0; i < s.t && failures < 5; ++i) {
      double m = -INFINITY, err_s = 0.0;
      for (int j = 0; j < s.t; ++j) {
        double dot = 0.0, mag = 0.0;
        for (int d = 0; d < s.d_head; ++d) {
          const double p = static_cast<double>(q[i * ld + c0 + d]) * k[j * ld + c0 + d];
          dot += p;
          mag += std::fabs(p);
        }
        scores[j] = dot * scale;
        err_s = std::max(err_s, (s.d_head + 4) * kUnitRoundoff * mag * scale);
        m = std::max(m, scores[j]);
      }
      double l = 0.0;
      for (int j = 0; j < s.t; ++j) l += scores[j] = std::exp(scores[j] - m);
      // Softmax moves by at most 2 err_s in l1 when scores move by err_s; plus the fp32 sums.
      const double tol = 2.0 * err_s + 3e-6 + 64 * kUnitRoundoff * std::log2(s.t + 1.0);
      for (int d = 0; d < s.d_head; ++d) {
        double ref = 0.0;
        for (int j = 0; j < s.t; ++j) ref += scores[j] * v[j * ld + c0 + d];
        ref /= l;
        const float got = out[i * ld + c0 + d];
        if (!(std::fabs(got - ref) <= tol)) {
          ++failures;
          ADD_FAILURE() << uk.name << " t=" << s.t << " heads=" << s.heads << " d_head=" << s.d_head
                        << " q_scale=" << s.q_scale << " at head " << h << " query " << i << " dim "
                        << d << ": got " << got << " want " << ref << " tol " << tol;
        }
      }
    }
  }
  for (int i = 0; i < s.t; ++i)
    for (int c = width; c < ld; ++c)
      ASSERT_EQ(out[i * ld + c], 1234.0f) << uk.name << " wrote outside the heads";
}

class F32Attention : public ::testing::TestWithParam<size_t> {
 protected:
  const F32AttentionUkernel& uk() const { return f32_attention_ukernels()[GetParam()]; }
  void SetUp() override {
    if (!uk().supported()) GTEST_SKIP() << uk().name << " needs " << uk().isa;
  }
  // Runs s if the kernel handles its head width; returns whether it did.
  bool run(ThreadPool& pool, const Shape& s, uint32_t seed, bool zeros = false) {
    if (!uk().supports_head(s.d_head)) {
      EXPECT_THROW(attention_f32(uk(), pool, s.t, s.heads, s.d_head, nullptr, 0, nullptr, 0,
                                 nullptr, 0, nullptr, 0, 1.0f),
                   Error);
      return false;
    }
    check(uk(), pool, s, seed, zeros);
    return true;
  }
};

TEST_P(F32Attention, SequenceLengthsAroundTiles) {
  ThreadPool pool(2);
  for (int t : {1, 2, 5, 6, 7, 17, 47, 48, 49, 60, 61, 64, 97, 150})
    ASSERT_TRUE(run(pool, {t, 3, 64}, 100 + t)) << "d_head 64 must be supported";
}

TEST_P(F32Attention, WhisperLengthOneHead) {
  ThreadPool pool(2);
  run(pool, {1500, 1, 64}, 7);
}

TEST_P(F32Attention, OtherHeadWidths) {
  ThreadPool pool(2);
  for (int d_head : {8, 16, 24, 40, 128, 20, 1})
    if (!run(pool, {37, 2, d_head}, 200 + d_head))
      std::printf("%s: d_head=%d unsupported (rejected with an error)\n", uk().name, d_head);
}

TEST_P(F32Attention, NearOneHotAndUniformSoftmax) {
  ThreadPool pool(2);
  run(pool, {130, 2, 64, 30.0f}, 300);  // scores up to ~100s: the running max keeps changing
  run(pool, {130, 2, 64, 0.0f}, 301);   // q = 0: uniform weights, out = mean of v
  run(pool, {61, 1, 64}, 302, true);
}

TEST_P(F32Attention, RejectsBadArguments) {
  ThreadPool pool(1);
  std::vector<float> x(64 * 128);
  EXPECT_THROW(attention_f32(uk(), pool, -1, 2, 64, x.data(), 128, x.data(), 128, x.data(), 128,
                             x.data(), 128, 1.0f),
               Error);
  EXPECT_THROW(attention_f32(uk(), pool, 64, 0, 64, x.data(), 128, x.data(), 128, x.data(), 128,
                             x.data(), 128, 1.0f),
               Error);
  EXPECT_THROW(attention_f32(uk(), pool, 64, 2, 64, x.data(), 127, x.data(), 128, x.data(), 128,
                             x.data(), 128, 1.0f),
               Error);
  EXPECT_THROW(attention_f32(uk(), pool, 64, 2, 64, nullptr, 128, x.data(), 128, x.data(), 128,
                             x.data(), 128, 1.0f),
               Error);
  attention_f32(uk(), pool, 0, 2, 64, nullptr, 128, nullptr, 128, nullptr, 128, nullptr, 128,
                1.0f);  // t = 0: nothing to do
}

INSTANTIATE_TEST_SUITE_P(Table, F32Attention,
                         ::testing::Range<size_t>(0, f32_attention_ukernels().size()),
                         [](const auto& info) {
                           return testing::test_name(f32_attention_ukernels()[info.param].name);
                         });

TEST(F32AttentionOp, DispatcherRejectsUnsupportedHead) {
  ThreadPool pool(1);
  std::vector<float> x(64);
  EXPECT_THROW(
      attention_f32(pool, 1, 1, 0, x.data(), 1, x.data(), 1, x.data(), 1, x.data(), 1, 1.0f),
      Error);
  EXPECT_THROW(
      attention_f32(pool, 1, 1, 100000, x.data(), 1, x.data(), 1, x.data(), 1, x.data(), 1, 1.0f),
      Error);
}

}  // namespace
}  // namespace tessera::kernels
