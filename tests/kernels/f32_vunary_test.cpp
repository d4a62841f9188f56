// Every erf / exp / GELU microkernel against float64 std::erf / std::exp / erfc over a dense sweep
// of the useful range, a strided sweep of every float bit pattern (subnormals, huge values,
// infinities, NaNs) and the special values, in ulps of the correctly rounded result.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/f32_test_util.h"
#include "kernels/f32_vunary_table.h"

namespace tessera::kernels {
namespace {

using testing::ulp_distance;

struct Family {
  const char* name;
  std::span<const F32VUnaryUkernel> (*entries)();
  double (*reference)(double);
  double max_ulp;
};

double gelu_ref(double x) {
  return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
}
double erf_ref(double x) {
  return std::erf(x);
}
double exp_ref(double x) {
  return std::exp(x);
}

const Family kFamilies[] = {
    {"erf", f32_verf_ukernels, erf_ref, 3.0},
    {"exp", f32_vexp_ukernels, exp_ref, 2.0},
    // GELU's negative tail is erfc(|z|) = t exp(-z^2 + P(t)) in fp32: about 5 ulp at worst.
    {"gelu", f32_vgelu_ukernels, gelu_ref, 6.0},
};

struct Param {
  int family;
  size_t entry;
};

std::vector<Param> all_params() {
  std::vector<Param> v;
  for (int f = 0; f < 3; ++f)
    for (size_t e = 0; e < kFamilies[f].entries().size(); ++e) v.push_back({f, e});
  return v;
}

std::vector<float> sweep_inputs() {
  std::vector<float> x;
  for (double v = -20.0; v <= 20.0; v += 1.0 / 4096) x.push_back(static_cast<float>(v));
  for (uint64_t bits = 0; bits <= 0xffffffffull; bits += 4093)
    x.push_back(std::bit_cast<float>(static_cast<uint32_t>(bits)));
  const float specials[] = {0.0f,
                            -0.0f,
                            1.0f,
                            -1.0f,
                            0.99999994f,
                            1.0000001f,
                            88.72f,
                            88.7228f,
                            88.73f,
                            -87.33f,
                            -87.34f,
                            -103.9f,
                            -104.0f,
                            -110.0f,
                            16.97f,
                            -16.97f,
                            -13.0f,
                            -13.5f,
                            -14.5f,
                            12.0f,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::min(),
                            -std::numeric_limits<float>::min(),
                            std::numeric_limits<float>::denorm_min(),
                            1e-30f,
                            -1e-30f,
                            3e-8f};
  x.insert(x.end(), std::begin(specials), std::end(specials));
  return x;
}

class F32VUnary : public ::testing::TestWithParam<Param> {
 protected:
  const Family& family() const { return kFamilies[GetParam().family]; }
  const F32VUnaryUkernel& uk() const { return family().entries()[GetParam().entry]; }
  void SetUp() override {
    if (!uk().supported()) GTEST_SKIP() << uk().name << " needs " << uk().isa;
  }
};

TEST_P(F32VUnary, MatchesFloat64WithinUlps) {
  const auto x = sweep_inputs();
  std::vector<float> y(x.size());
  uk().fn(x.data(), y.data(), static_cast<int64_t>(x.size()));
  double worst = 0.0;
  float worst_x = 0.0f;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = ulp_distance(y[i], family().reference(x[i]));
    if (d > worst) {
      worst = d;
      worst_x = x[i];
    }
  }
  RecordProperty("max_ulp", std::to_string(worst));
  EXPECT_LE(worst, family().max_ulp)
      << uk().name << " worst at x=" << worst_x << " (bits 0x" << std::hex
      << std::bit_cast<uint32_t>(worst_x) << std::dec << ")";
  std::printf("%s: max error %.2f ulp over %zu inputs\n", uk().name, worst, x.size());
}

TEST_P(F32VUnary, TailsAndInPlace) {
  for (int n = 0; n <= 19; ++n) {
    auto x = testing::random_floats(n + 1, 100 + n, -6.0f, 6.0f);
    const float sentinel = x[n];
    std::vector<float> y(n + 1, -7.0f);
    uk().fn(x.data(), y.data(), n);
    EXPECT_EQ(y[n], -7.0f) << uk().name << " wrote past n=" << n;
    for (int i = 0; i < n; ++i)
      EXPECT_LE(ulp_distance(y[i], family().reference(x[i])), family().max_ulp);
    uk().fn(x.data(), x.data(), n);  // in place
    for (int i = 0; i < n; ++i) EXPECT_EQ(x[i], y[i]);
    EXPECT_EQ(x[n], sentinel);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, F32VUnary, ::testing::ValuesIn(all_params()), [](const auto& info) {
  const auto& f = kFamilies[info.param.family];
  return testing::test_name(f.entries()[info.param.entry].name);
});

}  // namespace
}  // namespace tessera::kernels
