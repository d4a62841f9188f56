#include "runtime/kernel_image.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "kernels/f32_ops.h"
#include "kernels/int8_ops.h"
#include "tessera/error.h"

namespace tessera {
namespace {

TEST(KernelImage, HandsOutAlignedZeroedDisjointBlocks) {
  KernelImage image(size_t{64} << 20);
  auto* a = static_cast<uint8_t*>(image.allocate(100));
  auto* b = static_cast<uint8_t*>(image.allocate(3 << 20));  // crosses a commit step
  auto* c = static_cast<uint8_t*>(image.allocate(1, 4096));
  for (auto* p : {a, b, c}) EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(c) % 4096, 0u);
  EXPECT_GE(b, a + 100);
  EXPECT_GE(c, b + (3 << 20));
  for (size_t i = 0; i < (3u << 20); i += 4093) EXPECT_EQ(b[i], 0);
  std::memset(b, 7, 3 << 20);  // committed, so writable
  EXPECT_TRUE(image.contains(a));
  EXPECT_TRUE(image.contains(b + (3 << 20) - 1));
  EXPECT_FALSE(image.contains(&image));
  EXPECT_GE(image.size(), size_t{(3 << 20) + 101});
}

TEST(KernelImage, RefusesBadRequests) {
  KernelImage image(size_t{1} << 20);
  EXPECT_THROW(image.allocate(2 << 20), Error);       // more than reserved
  EXPECT_THROW(image.allocate(SIZE_MAX - 8), Error);  // overflow in the end offset
  EXPECT_THROW(image.allocate(16, 48), Error);        // not a power of two
  EXPECT_THROW(image.allocate(16, 8192), Error);      // past a page
  EXPECT_NO_THROW(image.allocate((1 << 20) - 64));
  EXPECT_THROW(image.allocate(128), Error);  // exhausted
}

TEST(KernelImage, SealMakesItReadOnlyAndFinal) {
  KernelImage image(size_t{8} << 20);
  auto* p = image.allocate_array<float>(1000);
  p[999] = 1.5f;
  image.seal();
  EXPECT_TRUE(image.sealed());
  EXPECT_EQ(p[999], 1.5f);  // still readable
  EXPECT_THROW(image.allocate(16), Error);
  EXPECT_DEATH({ p[0] = 2.0f; }, "");  // a stray write is a crash, not a wrong transcript
}

TEST(KernelImage, PackersPlaceWeightsInTheImageAndComputeTheSame) {
  constexpr int n = 37, k = 29, m = 5;
  std::vector<float> w(n * k), a(m * k), c_own(m * n), c_img(m * n);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 7919) % 201) / 100.0f - 1.0f;
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>((i * 104729) % 97) / 50.0f - 1.0f;
  KernelImage image(size_t{8} << 20);
  ThreadPool pool(1);

  const kernels::PackedF32 own = kernels::pack_f32(w.data(), n, k);
  const kernels::PackedF32 img = kernels::pack_f32(w.data(), n, k, &image);
  EXPECT_TRUE(image.contains(img.data.data()));
  EXPECT_FALSE(img.data.owned());
  kernels::gemm_f32(pool, m, a.data(), k, own, c_own.data(), n);
  kernels::gemm_f32(pool, m, a.data(), k, img, c_img.data(), n);
  EXPECT_EQ(c_own, c_img);

  const kernels::PackedQs8 q_own = kernels::pack_qs8(w.data(), n, k);
  const size_t before = image.size();
  const kernels::PackedQs8 q_img = kernels::pack_qs8(w.data(), n, k, nullptr, nullptr, &image);
  EXPECT_TRUE(image.contains(q_img.panels()));
  EXPECT_TRUE(image.contains(q_img.scales()));
  EXPECT_EQ(image.size() - before >= q_img.bytes(), true);
  ASSERT_EQ(q_own.bytes(), q_img.bytes());
  EXPECT_EQ(std::memcmp(q_own.panels(), q_img.panels(), q_own.bytes()), 0);
  image.seal();  // packed weights stay usable read-only
  kernels::gemm_f32(pool, m, a.data(), k, img, c_img.data(), n);
  EXPECT_EQ(c_own, c_img);
}

}  // namespace
}  // namespace tessera
