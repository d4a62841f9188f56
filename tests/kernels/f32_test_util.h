// Helpers shared by the f32 kernel tests: deterministic data, table-entry test names, tolerances.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace tessera::kernels::testing {

inline constexpr double kUnitRoundoff = 0x1p-24;  // fp32

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// gtest parameter names must be alphanumeric: "f32-gemm-6x16-avx2-fma" -> "f32_gemm_6x16_avx2_fma".
inline std::string test_name(const char* kernel_name) {
  std::string s = kernel_name;
  for (auto& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

// Distance in fp32 units in the last place, treating equal infinities / both-NaN as 0.
inline double ulp_distance(float got, double want) {
  if (std::isnan(want)) return std::isnan(got) ? 0.0 : std::numeric_limits<double>::infinity();
  if (std::isinf(want)) return got == want ? 0.0 : std::numeric_limits<double>::infinity();
  const float wf = static_cast<float>(want);
  const double ulp =
      std::max(static_cast<double>(std::nextafter(std::fabs(wf), INFINITY)) - std::fabs(wf),
               static_cast<double>(std::numeric_limits<float>::denorm_min()));
  return std::fabs(static_cast<double>(got) - want) / ulp;
}

}  // namespace tessera::kernels::testing
