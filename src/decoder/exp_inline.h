// A branch-free expf that loops over it vectorize (inlined into each ISA's instantiation).
#pragma once

#include <bit>
#include <cstdint>

namespace tessera::decoder {

// Cephes-style expf: 2^n * p(r) with x = n ln2 + r, |r| <= ln2/2. Relative error below 2e-7.
// Inputs below -87.3 (including -inf) give 0; inputs above 88 are clamped to exp(88).
[[gnu::always_inline]] inline float exp_one(float x) {
  const bool underflow = x < -87.33654f;
  x = x > 88.0f ? 88.0f : x;
  x = x < -87.33654f ? -87.33654f : x;
  // Round to nearest by the 1.5 * 2^23 trick (floor/nearbyint are libm calls on baseline x86-64).
  const float magic = 12582912.0f;
  const float n = (x * 1.44269504088896341f + magic) - magic;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t e = static_cast<int32_t>(n) + 127;
  const float scale = std::bit_cast<float>(static_cast<uint32_t>(e) << 23);
  const float y = p * scale;
  return underflow ? 0.0f : y;
}

}  // namespace tessera::decoder
