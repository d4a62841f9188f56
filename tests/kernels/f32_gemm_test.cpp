// Every f32 GEMM microkernel of the table, through the real driver, against a float64 reference
// on tail shapes, extreme values and every epilogue combination. Entries this CPU cannot run are
// skipped with the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/f32_gemm_table.h"
#include "kernels/f32_ops.h"
#include "kernels/f32_test_util.h"
#include "kernels/reference/f32_reference.h"
#include "tessera/cpu_features.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

using testing::kUnitRoundoff;
using testing::random_floats;

enum class Residual { kNone, kSeparate, kAliasC };

struct Case {
  int m, n, k;
  bool bias = false, gelu = false;
  Residual residual = Residual::kNone;
};

std::string describe(const Case& c) {
  return "m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
         " bias=" + std::to_string(c.bias) + " gelu=" + std::to_string(c.gelu) +
         " residual=" + std::to_string(static_cast<int>(c.residual));
}

double gelu_double(double x) {
  return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
}

// Runs one case with the given inputs and compares with float64 under an error bound that holds for
// any summation order: (k + 4) u sum|a w| (+ the epilogue's own roundings).
void check(const F32GemmUkernel& uk, ThreadPool& pool, const Case& cs, const std::vector<float>& a,
           const std::vector<float>& w, const std::vector<float>& bias,
           const std::vector<float>& res) {
  const int m = cs.m, n = cs.n, k = cs.k;
  const int64_t lda = k + 3, ldc = n + 5;  // strides wider than the rows, on purpose
  std::vector<float> a_strided(static_cast<size_t>(m) * lda, NAN);
  for (int i = 0; i < m; ++i) std::copy_n(&a[i * k], k, &a_strided[i * lda]);
  std::vector<float> c(static_cast<size_t>(m) * ldc, NAN);
  std::vector<float> res_sep(static_cast<size_t>(m) * ldc, NAN);
  Epilogue ep;
  if (cs.bias) ep.bias = bias.data();
  ep.gelu = cs.gelu;
  if (cs.residual != Residual::kNone) {
    float* r = cs.residual == Residual::kAliasC ? c.data() : res_sep.data();
    for (int i = 0; i < m; ++i) std::copy_n(&res[i * n], n, &r[i * ldc]);
    ep.residual = r;
    ep.ldr = ldc;
  }
  PackedF32 packed = pack_f32(uk, w.data(), n, k);
  ASSERT_EQ(packed.ukernel, &uk);
  gemm_f32(pool, m, a_strided.data(), lda, packed, c.data(), ldc, ep);

  int failures = 0;
  for (int i = 0; i < m && failures < 5; ++i) {
    for (int j = 0; j < n && failures < 5; ++j) {
      double dot = 0.0, mag = 0.0;
      for (int p = 0; p < k; ++p) {
        const double t = static_cast<double>(a[i * k + p]) * w[j * k + p];
        dot += t;
        mag += std::fabs(t);
      }
      if (cs.bias) {
        dot += bias[j];
        mag += std::fabs(bias[j]);
      }
      double tol = (k + 4) * kUnitRoundoff * mag;
      if (cs.gelu) {
        // GELU' is within [-0.17, 1.13]; its own rounding adds a few ulps.
        const double g = gelu_double(dot);
        tol = 1.13 * tol + 8 * kUnitRoundoff * std::fabs(g);
        dot = g;
      }
      if (cs.residual != Residual::kNone) {
        dot += res[i * n + j];
        tol += 2 * kUnitRoundoff * (std::fabs(res[i * n + j]) + std::fabs(dot));
      }
      tol += 1e-37;  // results in the subnormal range
      const float got = c[i * ldc + j];
      if (!(std::fabs(got - dot) <= tol)) {
        ++failures;
        ADD_FAILURE() << uk.name << " " << describe(cs) << " at (" << i << "," << j << "): got "
                      << got << " want " << dot << " tol " << tol;
      }
    }
  }
  // Columns between n and ldc are padding and must be untouched (NaN sentinel kept), unless the
  // residual (copied only over n columns) lives in C.
  for (int i = 0; i < m; ++i)
    for (int64_t j = n; j < ldc; ++j)
      ASSERT_TRUE(std::isnan(c[i * ldc + j])) << uk.name << " wrote past n " << describe(cs);
}

void run_random(const F32GemmUkernel& uk, ThreadPool& pool, const Case& cs, uint32_t seed) {
  auto a = random_floats(static_cast<size_t>(cs.m) * cs.k, seed);
  auto w = random_floats(static_cast<size_t>(cs.n) * cs.k, seed + 1);
  auto bias = random_floats(cs.n, seed + 2);
  auto res = random_floats(static_cast<size_t>(cs.m) * cs.n, seed + 3);
  check(uk, pool, cs, a, w, bias, res);
}

class F32Gemm : public ::testing::TestWithParam<size_t> {
 protected:
  const F32GemmUkernel& uk() const { return f32_gemm_ukernels()[GetParam()]; }
  void SetUp() override {
    if (!uk().supported()) GTEST_SKIP() << uk().name << " needs " << uk().isa;
  }
};

TEST_P(F32Gemm, TailShapesCrossProduct) {
  ThreadPool pool(2);
  int variant = 0;
  for (int m : {1, 2, 5, 6, 7, 13, 64})
    for (int n : {1, 15, 16, 17, 33, 100})
      for (int k : {1, 3, 7, 8, 31, 64, 384, 512}) {
        Case cs{m, n, k};
        // Cycle through the epilogues so every shape class meets every epilogue somewhere.
        cs.bias = variant % 2;
        cs.gelu = variant / 2 % 2;
        cs.residual = static_cast<Residual>(variant / 4 % 3);
        ++variant;
        run_random(uk(), pool, cs, 1000 + variant);
        if (HasFailure()) return;
      }
}

TEST_P(F32Gemm, LargeShapes) {
  ThreadPool pool(2);
  const Case cases[] = {{1500, 1536, 8, true},
                        {1500, 100, 512, true, true},
                        {7, 1536, 2048, false, false, Residual::kAliasC},
                        {1500, 33, 2048, true, false, Residual::kSeparate},
                        {64, 1536, 384, true, true, Residual::kAliasC},
                        {13, 17, 2048, true, true, Residual::kSeparate}};
  for (const auto& cs : cases) run_random(uk(), pool, cs, 7);
}

TEST_P(F32Gemm, EveryEpilogueOnBlockedK) {
  ThreadPool pool(2);
  for (int bias = 0; bias < 2; ++bias)
    for (int gelu = 0; gelu < 2; ++gelu)
      for (int r = 0; r < 3; ++r) {
        Case cs{13, 33, 700, bias == 1, gelu == 1, static_cast<Residual>(r)};
        run_random(uk(), pool, cs, 40 + bias + 2 * gelu + 4 * r);
      }
}

TEST_P(F32Gemm, OneThreadMatchesTwo) {
  ThreadPool one(1), two(2);
  const int m = 37, n = 50, k = 300;
  auto a = random_floats(static_cast<size_t>(m) * k, 3);
  auto w = random_floats(static_cast<size_t>(n) * k, 4);
  PackedF32 packed = pack_f32(uk(), w.data(), n, k);
  std::vector<float> c1(m * n), c2(m * n);
  gemm_f32(one, m, a.data(), k, packed, c1.data(), n);
  gemm_f32(two, m, a.data(), k, packed, c2.data(), n);
  EXPECT_EQ(c1, c2);  // the split changes which thread computes a tile, never the arithmetic
}

// A's rows may overlap (lda < k): a k=3 convolution over [t x c] input reads rows i..i+2 as one
// GEMM row of 3c, with lda = c (stride 1) or 2c (stride 2).
TEST_P(F32Gemm, OverlappingRowsOfA) {
  ThreadPool pool(2);
  for (int stride : {1, 2}) {
    const int channels = 40, t = 61, k = 3 * channels, n = 33;
    const int m = (t - 3) / stride + 1;
    const int64_t lda = static_cast<int64_t>(stride) * channels;
    auto x = random_floats(static_cast<size_t>(t) * channels, 90 + stride);
    auto w = random_floats(static_cast<size_t>(n) * k, 92);
    PackedF32 packed = pack_f32(uk(), w.data(), n, k);
    std::vector<float> c(static_cast<size_t>(m) * n);
    gemm_f32(pool, m, x.data(), lda, packed, c.data(), n);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double dot = 0.0, mag = 0.0;
        for (int p = 0; p < k; ++p) {
          const double v = static_cast<double>(x[i * lda + p]) * w[j * k + p];
          dot += v;
          mag += std::fabs(v);
        }
        ASSERT_NEAR(c[i * n + j], dot, (k + 4) * kUnitRoundoff * mag) << i << "," << j;
      }
  }
}

TEST_P(F32Gemm, Zeros) {
  ThreadPool pool(2);
  Case cs{13, 33, 64, true, true, Residual::kSeparate};
  std::vector<float> a(13 * 64, 0.0f), w(33 * 64, 0.0f), bias(33, 0.0f), res(13 * 33, 0.0f);
  check(uk(), pool, cs, a, w, bias, res);
}

TEST_P(F32Gemm, ExtremeMagnitudes) {
  ThreadPool pool(2);
  // Products near 1e30 summed over k stay far below FLT_MAX; rows mix 1e15 with 1e-15.
  for (int k : {7, 64, 512}) {
    const int m = 7, n = 17;
    auto a = random_floats(static_cast<size_t>(m) * k, 11);
    auto w = random_floats(static_cast<size_t>(n) * k, 12);
    for (size_t i = 0; i < a.size(); ++i) a[i] *= (i % 3 == 0) ? 1e15f : 1e-15f;
    for (size_t i = 0; i < w.size(); ++i) w[i] *= (i % 5 == 0) ? 1e15f : 1.0f;
    auto bias = random_floats(n, 13, -1e30f, 1e30f);
    auto res = random_floats(static_cast<size_t>(m) * n, 14, -1e30f, 1e30f);
    for (int v = 0; v < 4; ++v) {
      Case cs{m, n, k, v % 2 == 1, v / 2 == 1, Residual::kAliasC};
      check(uk(), pool, cs, a, w, bias, res);
    }
  }
}

TEST_P(F32Gemm, RejectsBadArguments) {
  ThreadPool pool(1);
  auto w = random_floats(16 * 8, 1);
  EXPECT_THROW(pack_f32(uk(), w.data(), 0, 8), Error);
  EXPECT_THROW(pack_f32(uk(), w.data(), 16, -1), Error);
  EXPECT_THROW(pack_f32(uk(), nullptr, 16, 8), Error);
  PackedF32 packed = pack_f32(uk(), w.data(), 16, 8);
  std::vector<float> a(4 * 8), c(4 * 16);
  EXPECT_THROW(gemm_f32(pool, -1, a.data(), 8, packed, c.data(), 16), Error);
  EXPECT_THROW(gemm_f32(pool, 4, a.data(), 0, packed, c.data(), 16), Error);  // lda < 1
  EXPECT_THROW(gemm_f32(pool, 4, a.data(), 8, packed, c.data(), 15), Error);  // ldc < n
  EXPECT_THROW(gemm_f32(pool, 4, nullptr, 8, packed, c.data(), 16), Error);
  Epilogue shifted;
  shifted.residual = c.data() + 1;  // overlaps C without being C
  shifted.ldr = 16;
  EXPECT_THROW(gemm_f32(pool, 4, a.data(), 8, packed, c.data(), 16, shifted), Error);
  EXPECT_THROW(gemm_f32(pool, 4, a.data(), 8, PackedF32{}, c.data(), 16), Error);
  gemm_f32(pool, 0, nullptr, 8, packed, nullptr, 16);  // m = 0 is a no-op
}

INSTANTIATE_TEST_SUITE_P(Table, F32Gemm, ::testing::Range<size_t>(0, f32_gemm_ukernels().size()),
                         [](const auto& info) {
                           return testing::test_name(f32_gemm_ukernels()[info.param].name);
                         });

TEST(F32GemmTable, BestIsSupportedAndScalarTwinExists) {
  EXPECT_TRUE(f32_gemm_best().supported());
  bool scalar = false;
  for (const auto& uk : f32_gemm_ukernels()) scalar |= std::string(uk.isa) == "none";
  EXPECT_TRUE(scalar);
  EXPECT_EQ(pack_f32(random_floats(8, 1).data(), 2, 4).ukernel, &f32_gemm_best());
}

}  // namespace
}  // namespace tessera::kernels

namespace tessera::kernels {
namespace {

TEST(F32KernelSummary, NamesTheChosenKernels) {
  const std::string s = f32_kernel_summary();
  EXPECT_NE(s.find(std::string("gemm=") + f32_gemm_best().name), std::string::npos) << s;
  EXPECT_NE(s.find("attention="), std::string::npos) << s;
  EXPECT_NE(s.find("layernorm="), std::string::npos) << s;
  EXPECT_NE(s.find("gelu="), std::string::npos) << s;
  if (cpu_features().has_avx2_fma()) {
    EXPECT_NE(s.find("avx2"), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace tessera::kernels
