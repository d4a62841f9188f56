// Every int8 GEMM table entry against the plain scalar reference: exact integer accumulators on
// random, adversarial-shape, extreme and zero inputs; the fused epilogue; the threaded driver.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/int8_ops.h"
#include "kernels/reference/qs8_ukernels.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

std::string entry_name(const testing::TestParamInfo<int>& info) {
  std::string s = qs8_gemm_ukernels()[info.param].name;
  for (auto& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

// Problem data in both forms: plain (for the reference) and packed (for the kernel).
struct Problem {
  int m, n, k;
  std::vector<int32_t> a;     // stored activation values, [m x k]
  std::vector<int32_t> zero;  // per row
  std::vector<float> a_scale;
  std::vector<int8_t> wq;  // [n x k]
  std::vector<float> w_scale;
};

class Qs8GemmEntry : public testing::TestWithParam<int> {
 protected:
  const Qs8GemmUkernel& uk() const { return qs8_gemm_ukernels()[GetParam()]; }
  bool int8() const { return uk().act == Qs8ActType::kInt8; }

  void SetUp() override {
    if (!uk().supported())
      GTEST_SKIP() << uk().name << " needs " << uk().isa << ", which this CPU lacks";
  }

  // Largest |activation| this entry's activations can hold for k terms.
  int amax(int k) const { return int8() ? 128 : qs16_qmax((k + uk().kr - 1) / uk().kr * uk().kr); }

  Problem random_problem(int m, int n, int k, uint32_t seed) const {
    std::mt19937 rng(seed);
    Problem p{m, n, k, {}, {}, {}, {}, {}};
    const int hi = int8() ? 127 : amax(k), lo = int8() ? -128 : -hi;
    std::uniform_int_distribution<int> da(lo, hi), dw(-127, 127), dz(-128, 127);
    std::uniform_real_distribution<float> ds(0.001f, 0.02f);
    p.a.resize(size_t(m) * k);
    for (auto& v : p.a) v = da(rng);
    p.zero.resize(m);
    for (auto& z : p.zero) z = int8() ? dz(rng) : 0;
    p.a_scale.resize(m);
    for (auto& s : p.a_scale) s = ds(rng);
    p.wq.resize(size_t(n) * k);
    for (auto& v : p.wq) v = static_cast<int8_t>(dw(rng));
    p.w_scale.resize(n);
    for (auto& s : p.w_scale) s = ds(rng);
    return p;
  }

  void load_activations(const Problem& p, Qs8Activations& act) const {
    act.reserve(p.m, p.k, uk().kr, uk().act);
    for (int i = 0; i < p.m; ++i) {
      for (int j = 0; j < p.k; ++j) {
        if (int8())
          act.row<int8_t>(i)[j] = static_cast<int8_t>(p.a[size_t(i) * p.k + j]);
        else
          act.row<int16_t>(i)[j] = static_cast<int16_t>(p.a[size_t(i) * p.k + j]);
      }
      act.scale[i] = p.a_scale[i];
      act.zero_point[i] = p.zero[i];
    }
    act.rows = p.m;
  }

  // Runs the entry's microkernel directly and returns the exact integer results.
  std::vector<int32_t> kernel_raw(const Problem& p) const {
    PackedQs8 w = pack_qs8_quantized(p.wq.data(), p.w_scale.data(), p.n, p.k, nullptr, &uk());
    Qs8Activations act;
    load_activations(p, act);
    std::vector<int32_t> raw(size_t(p.m) * p.n, 0x5a5a5a5a);
    Qs8GemmArgs g;
    g.m = p.m;
    g.n = p.n;
    g.k_padded = w.k_padded;
    g.a = act.data.data();
    g.lda = act.ld;
    g.a_scale = act.scale.data();
    g.a_zero = int8() ? act.zero_point.data() : nullptr;
    g.w = w.panels();
    g.panel_stride = w.panel_stride();
    g.w_scale = w.scales();
    g.w_colsum = w.col_sums();
    g.raw = raw.data();
    g.ldraw = p.n;
    uk().run(g);
    return raw;
  }

  static std::vector<int32_t> reference_raw(const Problem& p) {
    std::vector<int32_t> raw(size_t(p.m) * p.n);
    reference::qs8_gemm_reference(p.m, p.n, p.k, p.a.data(), p.k, p.a_scale.data(), p.zero.data(),
                                  p.wq.data(), p.w_scale.data(), nullptr, false, nullptr, 0,
                                  nullptr, 0, raw.data(), p.n);
    return raw;
  }

  void expect_exact(const Problem& p, const std::string& what) const {
    const auto got = kernel_raw(p), want = reference_raw(p);
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < got.size(); ++i)
      if (got[i] != want[i] && bad++ == 0) first = i;
    EXPECT_EQ(bad, 0u) << what << " m=" << p.m << " n=" << p.n << " k=" << p.k << ": first at ("
                       << first / p.n << ", " << first % p.n << ") got " << got[first] << " want "
                       << want[first];
  }
};

TEST_P(Qs8GemmEntry, ExactOnAdversarialShapes) {
  const int ms[] = {1, 2, 3, 5, 7, 16, 1500};
  const int ns[] = {1, 7, 8, 15, 16, 17, 100, 1536};
  const int ks[] = {1, 3, 4, 5, 31, 32, 33, 64, 512, 2048};
  uint32_t seed = 1;
  for (int m : ms)
    for (int n : ns)
      for (int k : ks)
        if (int64_t{m} * n * k <= 3'000'000)
          expect_exact(random_problem(m, n, k, seed++), "random");
  // The largest values of each axis together with the others.
  expect_exact(random_problem(1500, 100, 64, 900), "large m");
  expect_exact(random_problem(16, 1536, 512, 901), "large n");
  expect_exact(random_problem(7, 17, 2048, 902), "large k");
  expect_exact(random_problem(5, 1536, 2048, 903), "large n and k");
}

TEST_P(Qs8GemmEntry, ExactOnExtremeValues) {
  // Every activation at the edge of its range against weights of +-127: the inputs that make a
  // naive vpmaddubsw pair (255 * 127 * 2 = 64770) saturate.
  for (int k : {4, 33, 512, 2048}) {
    const int hi = int8() ? 127 : amax(k), lo = int8() ? -128 : -hi;
    for (int a_val : {lo, hi})
      for (int w_val : {-127, 127}) {
        Problem p = random_problem(5, 17, k, 7);
        std::fill(p.a.begin(), p.a.end(), a_val);
        std::fill(p.wq.begin(), p.wq.end(), static_cast<int8_t>(w_val));
        std::fill(p.zero.begin(), p.zero.end(), 0);
        expect_exact(p, "constant a=" + std::to_string(a_val) + " w=" + std::to_string(w_val));
        if (int8()) {  // zero points at both ends too
          for (int i = 0; i < p.m; ++i) p.zero[i] = (i % 2) ? 127 : -128;
          expect_exact(p, "constant with extreme zero points");
        }
      }
    // Alternating signs so adjacent products have the same sign and the largest magnitude.
    Problem p = random_problem(4, 16, k, 8);
    for (int i = 0; i < p.m; ++i)
      for (int j = 0; j < k; ++j) p.a[size_t(i) * k + j] = (j % 2) ? hi : lo;
    for (int c = 0; c < p.n; ++c)
      for (int j = 0; j < k; ++j)
        p.wq[size_t(c) * k + j] = static_cast<int8_t>((j % 2) ? 127 : -127);
    std::fill(p.zero.begin(), p.zero.end(), 0);
    expect_exact(p, "alternating extremes");
  }
}

TEST_P(Qs8GemmEntry, ZerosGiveBiasOnly) {
  Problem p = random_problem(7, 17, 33, 11);
  std::fill(p.wq.begin(), p.wq.end(), 0);
  expect_exact(p, "zero weights");
  const auto raw = kernel_raw(p);
  EXPECT_TRUE(std::all_of(raw.begin(), raw.end(), [](int32_t v) { return v == 0; }));
  Problem q = random_problem(7, 17, 33, 12);
  std::fill(q.a.begin(), q.a.end(), 0);
  std::fill(q.zero.begin(), q.zero.end(), 0);
  expect_exact(q, "zero activations");
}

// The driver with the full epilogue, 1 and 2 threads, against the reference epilogue.
TEST_P(Qs8GemmEntry, DriverEpilogueMatchesReference) {
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    for (auto [m, n, k] : {std::tuple{1, 7, 5}, {3, 17, 33}, {37, 100, 64}, {300, 48, 512}}) {
      Problem p = random_problem(m, n, k, 100 + m);
      PackedQs8 w = pack_qs8_quantized(p.wq.data(), p.w_scale.data(), n, k, nullptr, &uk());
      Qs8Activations act;
      load_activations(p, act);
      std::mt19937 rng(m);
      std::uniform_real_distribution<float> d(-3, 3);
      std::vector<float> bias(n), res(size_t(m) * (n + 3));
      for (auto& v : bias) v = d(rng);
      for (auto& v : res) v = d(rng);
      for (bool gelu : {false, true}) {
        std::vector<float> c(size_t(m) * (n + 3), -7.0f), want(size_t(m) * n);
        Epilogue ep;
        ep.bias = bias.data();
        ep.gelu = gelu;
        ep.residual = res.data();
        ep.ldr = n + 3;
        gemm_qs8(pool, act, w, c.data(), n + 3, ep);
        reference::qs8_gemm_reference(m, n, k, p.a.data(), k, p.a_scale.data(), p.zero.data(),
                                      p.wq.data(), p.w_scale.data(), bias.data(), gelu, res.data(),
                                      n + 3, want.data(), n, nullptr, 0);
        for (int i = 0; i < m; ++i) {
          for (int j = 0; j < n; ++j) {
            const float g = c[size_t(i) * (n + 3) + j], r = want[size_t(i) * n + j];
            ASSERT_NEAR(g, r, 2e-5f * std::max(1.0f, std::fabs(r)))
                << "threads=" << threads << " gelu=" << gelu << " at (" << i << ", " << j << ")";
          }
          for (int j = n; j < n + 3; ++j)
            ASSERT_EQ(c[size_t(i) * (n + 3) + j], -7.0f) << "wrote past n";
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllEntries, Qs8GemmEntry,
                         testing::Range(0, static_cast<int>(qs8_gemm_ukernels().size())),
                         entry_name);

// ---- the public API on the dispatched kernels ---------------------------------------------

std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(Qs8Gemm, DispatcherPicksValidatedSupportedEntries) {
  for (Qs8ActType t : {Qs8ActType::kInt8, Qs8ActType::kInt16}) {
    const Qs8GemmUkernel& uk = qs8_gemm_best(t);
    EXPECT_TRUE(uk.validated) << uk.name;
    EXPECT_TRUE(uk.supported()) << uk.name;
    EXPECT_EQ(uk.act, t);
  }
  EXPECT_NE(qs8_kernel_summary().find(qs8_gemm_best(Qs8ActType::kInt8).name), std::string::npos);
}

TEST(Qs8Gemm, RequantizeForNextGemmEqualsSeparateQuantize) {
  ThreadPool pool(2);
  const int m = 70, k = 64, n = 40;
  auto x = random_floats(size_t(m) * k, 1), wf = random_floats(size_t(n) * k, 2, 0.1f);
  for (Qs8ActType t : {Qs8ActType::kInt8, Qs8ActType::kInt16}) {
    PackedQs8 w = pack_qs8(wf.data(), n, k, nullptr, &qs8_gemm_best(t));
    Qs8Activations a, fused, separate;
    a.reserve(m, w);
    fused.reserve(m, n, 4, Qs8ActType::kInt8);
    separate.reserve(m, n, 4, Qs8ActType::kInt8);
    quantize_rows_qs8(pool, m, x.data(), k, ActQuant::kSymmetric, a);
    std::vector<float> c(size_t(m) * n);
    Epilogue ep;
    ep.gelu = true;
    Qs8Requantize next{&fused, ActQuant::kAsymmetric, nullptr};
    gemm_qs8(pool, a, w, c.data(), n, ep, &next);
    quantize_rows_qs8(pool, m, c.data(), n, ActQuant::kAsymmetric, separate);
    ASSERT_EQ(fused.rows, m);
    for (int i = 0; i < m; ++i) {
      ASSERT_EQ(fused.scale[i], separate.scale[i]);
      ASSERT_EQ(fused.zero_point[i], separate.zero_point[i]);
      for (int j = 0; j < n; ++j) ASSERT_EQ(fused.row<int8_t>(i)[j], separate.row<int8_t>(i)[j]);
    }
  }
}

TEST(Qs8Gemm, ResidualMayAliasOutput) {
  ThreadPool pool(2);
  const int m = 33, k = 40, n = 24;
  auto x = random_floats(size_t(m) * k, 3), wf = random_floats(size_t(n) * k, 4, 0.1f);
  PackedQs8 w = pack_qs8(wf.data(), n, k);
  Qs8Activations a;
  a.reserve(m, w);
  quantize_rows_qs8(pool, m, x.data(), k, ActQuant::kAsymmetric, a);
  std::vector<float> plain(size_t(m) * n), c = random_floats(size_t(m) * n, 5);
  const std::vector<float> res = c;
  gemm_qs8(pool, a, w, plain.data(), n);
  Epilogue ep;
  ep.residual = c.data();
  ep.ldr = n;
  gemm_qs8(pool, a, w, c.data(), n, ep);
  for (size_t i = 0; i < c.size(); ++i) ASSERT_FLOAT_EQ(c[i], plain[i] + res[i]);
}

TEST(Qs8Gemm, RejectsBadInput) {
  ThreadPool pool(1);
  auto wf = random_floats(8 * 16, 6);
  PackedQs8 w = pack_qs8(wf.data(), 8, 16);
  std::vector<float> c(64);
  Qs8Activations wrong_k;
  wrong_k.reserve(4, 17, 4, Qs8ActType::kInt8);
  wrong_k.rows = 4;
  EXPECT_THROW(gemm_qs8(pool, wrong_k, w, c.data(), 8), Error);
  Qs8Activations wrong_type;
  wrong_type.reserve(4, 16, 2, Qs8ActType::kInt16);
  wrong_type.rows = 4;
  EXPECT_THROW(gemm_qs8(pool, wrong_type, w, c.data(), 8), Error);
  Qs8Activations ok;
  ok.reserve(4, w);
  ok.rows = 4;
  EXPECT_THROW(gemm_qs8(pool, ok, w, nullptr, 8), Error);
  EXPECT_THROW(gemm_qs8(pool, ok, w, c.data(), 7), Error);  // ldc < n
  Qs8Activations small;
  small.reserve(2, 8, 4, Qs8ActType::kInt8);
  Qs8Requantize next{&small, ActQuant::kSymmetric, nullptr};
  EXPECT_THROW(gemm_qs8(pool, ok, w, c.data(), 8, {}, &next), Error);  // too few rows
  EXPECT_THROW(gemm_qs8(pool, ok, PackedQs8{}, c.data(), 8), Error);

  EXPECT_THROW(pack_qs8(nullptr, 8, 16), Error);
  EXPECT_THROW(pack_qs8(wf.data(), 0, 16), Error);
  EXPECT_THROW(pack_qs8(wf.data(), 8, -1), Error);
  EXPECT_THROW(pack_qs8(wf.data(), 1, 70000), Error);
  auto bad = wf;
  bad[5] = NAN;
  EXPECT_THROW(pack_qs8(bad.data(), 8, 16), Error);
  std::vector<float> smooth(16, 1.0f);
  smooth[3] = 0.0f;
  EXPECT_THROW(pack_qs8(wf.data(), 8, 16, smooth.data()), Error);
  std::vector<int8_t> wq(8 * 16, 1);
  std::vector<float> sc(8, 0.1f);
  wq[17] = -128;
  EXPECT_THROW(
      pack_qs8_quantized(wq.data(), sc.data(), 8, 16, nullptr, &qs8_gemm_best(Qs8ActType::kInt8)),
      Error);
  wq[17] = 1;
  sc[2] = INFINITY;
  EXPECT_THROW(
      pack_qs8_quantized(wq.data(), sc.data(), 8, 16, nullptr, &qs8_gemm_best(Qs8ActType::kInt8)),
      Error);
  EXPECT_THROW(pack_qs8_quantized(wq.data(), sc.data(), 8, 16, nullptr, nullptr), Error);
}

TEST(Qs8Gemm, SmoothingIsFoldedExactly) {
  // With smoothing, W is packed as W * s and act_multiplier() = 1 / s: bit for bit the same as
  // packing W * s and quantizing x * (1 / s) by hand, and the product still tracks x W^T.
  ThreadPool pool(1);
  const int m = 16, k = 64, n = 32;
  auto x = random_floats(size_t(m) * k, 7), wf = random_floats(size_t(n) * k, 8, 0.1f);
  std::vector<float> s(k), inv(k), ws(wf.size()), xs(x.size());
  for (int j = 0; j < k; ++j) {
    s[j] = 0.25f + 0.1f * (j % 17);
    inv[j] = 1.0f / s[j];
  }
  for (size_t i = 0; i < wf.size(); ++i) ws[i] = wf[i] * s[i % k];
  for (size_t i = 0; i < x.size(); ++i) xs[i] = x[i] * inv[i % k];
  for (Qs8ActType t : {Qs8ActType::kInt8, Qs8ActType::kInt16}) {
    PackedQs8 w = pack_qs8(wf.data(), n, k, s.data(), &qs8_gemm_best(t));
    PackedQs8 by_hand = pack_qs8(ws.data(), n, k, nullptr, &qs8_gemm_best(t));
    ASSERT_NE(w.act_multiplier(), nullptr);
    EXPECT_EQ(by_hand.act_multiplier(), nullptr);
    for (int j = 0; j < k; ++j) EXPECT_EQ(w.act_multiplier()[j], inv[j]);
    Qs8Activations a, a_hand;
    a.reserve(m, w);
    a_hand.reserve(m, by_hand);
    quantize_rows_qs8(pool, m, x.data(), k, ActQuant::kSymmetric, a, w.act_multiplier());
    quantize_rows_qs8(pool, m, xs.data(), k, ActQuant::kSymmetric, a_hand);
    std::vector<float> c(size_t(m) * n), c_hand(size_t(m) * n);
    gemm_qs8(pool, a, w, c.data(), n);
    gemm_qs8(pool, a_hand, by_hand, c_hand.data(), n);
    EXPECT_EQ(c, c_hand);
    double err = 0, ref = 0;
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double y = 0;
        for (int p = 0; p < k; ++p) y += double{x[size_t(i) * k + p]} * wf[size_t(j) * k + p];
        err += (c[size_t(i) * n + j] - y) * (c[size_t(i) * n + j] - y);
        ref += y * y;
      }
    EXPECT_LT(std::sqrt(err / ref), 0.04) << to_string(t);
  }
}

TEST(Qs8Gemm, SmoothingFactors) {
  const int n = 3, k = 4;
  const float w[n * k] = {1, 2, 0, 4, -2, 1, 0, 1, 0.5f, -8, 0, 1};
  const float act[k] = {4, 1, 5, 0};
  float s[k];
  smoothing_factors_qs8(act, w, n, k, 0.5f, s);
  // Raw factors sqrt(4 / 2) and sqrt(1 / 8); channels 2 (no weights) and 3 (no activations) get 1.
  const double a = std::sqrt(2.0), b = std::sqrt(1.0 / 8), g = std::sqrt(a * b);
  EXPECT_NEAR(s[0], a / g, 1e-5);
  EXPECT_NEAR(s[1], b / g, 1e-5);
  EXPECT_EQ(s[2], 1.0f);
  EXPECT_EQ(s[3], 1.0f);
  EXPECT_THROW(smoothing_factors_qs8(act, w, n, k, 1.5f, s), Error);
  EXPECT_THROW(smoothing_factors_qs8(nullptr, w, n, k, 0.5f, s), Error);
}

}  // namespace
}  // namespace tessera::kernels
