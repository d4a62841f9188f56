// fp16/bf16 <-> fp32 conversions against independent references (exhaustive where it is cheap).
#include "model/half.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace tessera {
namespace {

TEST(Half, KnownFp16Values) {
  EXPECT_EQ(fp16_to_fp32(0x3C00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0xC000), -2.0f);
  EXPECT_EQ(fp16_to_fp32(0x7BFF), 65504.0f);
  EXPECT_EQ(fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));     // smallest subnormal
  EXPECT_EQ(fp16_to_fp32(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(fp16_to_fp32(0x0400), std::ldexp(1.0f, -14));     // smallest normal
  EXPECT_EQ(fp16_to_fp32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(fp16_to_fp32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7E00)));
  EXPECT_TRUE(std::signbit(fp16_to_fp32(0x8000)));
}

// Every half value by its definition: (-1)^s * 2^(e-15) * (1 + m/1024), subnormals m * 2^-24.
TEST(Half, Fp16ToFp32ExhaustiveAgainstDefinition) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    const float got = fp16_to_fp32(static_cast<uint16_t>(h));
    if (e == 31) {
      if (m == 0) {
        ASSERT_TRUE(std::isinf(got)) << h;
      } else {
        ASSERT_TRUE(std::isnan(got)) << h;
      }
      continue;
    }
    double v = e == 0 ? std::ldexp(double(m), -24) : std::ldexp(1.0 + m / 1024.0, e - 15);
    if (s) v = -v;
    ASSERT_EQ(got, static_cast<float>(v)) << h;
    ASSERT_EQ(std::signbit(got), s == 1) << h;
  }
}

TEST(Half, Fp16RoundTripExhaustive) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = fp16_to_fp32(static_cast<uint16_t>(h));
    const uint16_t back = fp32_to_fp16(f);
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(fp16_to_fp32(back))) << h;
      ASSERT_EQ(back & 0x8000, h & 0x8000) << h;
    } else {
      ASSERT_EQ(back, h) << h;
    }
  }
}

// Nearest half by search over all finite halves, ties to the even mantissa.
uint16_t reference_fp32_to_fp16(float x, const std::vector<std::pair<double, uint16_t>>& halves) {
  if (std::isnan(x)) return 0x7E00;
  const double a = std::fabs(double{x});
  const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  if (a >= 65520.0) return sign | 0x7C00;
  auto it = std::lower_bound(halves.begin(), halves.end(), std::make_pair(a, uint16_t{0}));
  if (it == halves.end()) return sign | 0x7BFF;
  if (it->first == a || it == halves.begin()) return sign | it->second;
  auto lo = std::prev(it);
  const double dlo = a - lo->first, dhi = it->first - a;
  if (dlo < dhi) return sign | lo->second;
  if (dhi < dlo) return sign | it->second;
  return sign | ((lo->second & 1) == 0 ? lo->second : it->second);
}

TEST(Half, Fp32ToFp16MatchesNearestEvenReference) {
  std::vector<std::pair<double, uint16_t>> halves;
  for (uint16_t h = 0; h < 0x7C00; ++h) halves.push_back({fp16_to_fp32(h), h});
  std::mt19937 rng(42);
  std::vector<float> inputs = {0.0f,
                               -0.0f,
                               65504.0f,
                               65519.99f,
                               65520.0f,
                               1e-8f,
                               2.98e-8f,
                               std::ldexp(1.0f, -25),
                               std::ldexp(1.5f, -25),
                               std::ldexp(1.0f, -14),
                               std::ldexp(1023.5f, -24),
                               std::ldexp(2047.0f, -11),
                               1e30f};
  // Exact midpoints between neighbouring halves (the tie cases) and random bit patterns.
  for (size_t i = 0; i + 1 < halves.size(); i += 7)
    inputs.push_back(static_cast<float>((halves[i].first + halves[i + 1].first) / 2));
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 300000; ++i) {
    const uint32_t u = bits(rng);
    const uint32_t exp_field = 100 + (u % 45);  // 2^-27 .. 2^17: subnormal, normal and overflow
    inputs.push_back(f32_from_bits((u & 0x807FFFFFu) | (exp_field << 23)));
  }
  for (float x : inputs) {
    ASSERT_EQ(fp32_to_fp16(x), reference_fp32_to_fp16(x, halves)) << x;
    ASSERT_EQ(fp32_to_fp16(-x), reference_fp32_to_fp16(-x, halves)) << -x;
  }
  EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(std::nanf("")))));
}

TEST(Half, Bf16RoundTripAndRounding) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = bf16_to_fp32(static_cast<uint16_t>(b));
    ASSERT_EQ(f32_bits(f), b << 16);
    if (!std::isnan(f)) {
      ASSERT_EQ(fp32_to_bf16(f), b) << b;
    }
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 300000; ++i) {
    const float x = f32_from_bits(bits(rng));
    const uint16_t got = fp32_to_bf16(x);
    if (std::isnan(x)) {
      ASSERT_TRUE(std::isnan(bf16_to_fp32(got)));
      continue;
    }
    // Candidates: truncated value and the next one up in magnitude; nearest, ties to even.
    const uint32_t lo = f32_bits(x) >> 16;
    const double dlo = std::fabs(double{x} - bf16_to_fp32(static_cast<uint16_t>(lo)));
    // Above the largest finite bf16 the next step up is infinity, which sits where 2^128 would.
    const double up = (lo & 0x7FFF) == 0x7F7F ? std::copysign(std::ldexp(1.0, 128), x)
                                              : bf16_to_fp32(static_cast<uint16_t>(lo + 1));
    const double dhi = std::fabs(up - x);
    const uint32_t want = dlo < dhi ? lo : dhi < dlo ? lo + 1 : ((lo & 1) ? lo + 1 : lo);
    ASSERT_EQ(got, want) << x;
  }
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(fp32_to_bf16(f32_from_bits(0x3F808000u)), 0x3F80);  // tie -> even
  EXPECT_EQ(fp32_to_bf16(f32_from_bits(0x3F818000u)), 0x3F82);  // tie -> even (up)
  EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(std::nanf("")))));
}

}  // namespace
}  // namespace tessera
