// The decoder's attend_block: the dispatched (AVX2 + FMA + F16C) kernels against their plain-loop
// twins for every cache element type, every block height and odd key counts, and the int8 cache
// against float32 within its rounding.
#include "decoder/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "decoder/kv_store.h"
#include "tessera/cpu_features.h"

namespace tessera::decoder {
namespace {

constexpr int kHeads = 2, kDh = 32, kPositions = 75, kLayers = 1;

struct Filled {
  KvStore store;
  std::vector<float> k, v;  // [positions x heads*dh], as written
};

Filled fill(KvElem elem, uint32_t seed, float magnitude) {
  const int d = kHeads * kDh;
  Filled f{KvStore(1, kLayers, d, kHeads, kPositions, elem), {}, {}};
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, magnitude);
  f.k.resize(static_cast<size_t>(kPositions) * d);
  f.v.resize(f.k.size());
  for (float& x : f.k) x = dist(rng);
  for (float& x : f.v) x = dist(rng);
  for (int p = 0; p < kPositions; ++p) {
    if (p == 7)  // an all-zero position (scale 0)
      for (int c = 0; c < d; ++c) f.k[p * d + c] = f.v[p * d + c] = 0.0f;
    f.store.write(0, 0, p, &f.k[p * d], &f.v[p * d]);
  }
  return f;
}

void run(bool baseline, const HeadKv& kv, int rows, const int* keys, const std::vector<float>& q,
         std::vector<float>& out) {
  const float* qp[kAttentionBlockRows];
  float* op[kAttentionBlockRows];
  for (int g = 0; g < rows; ++g) {
    qp[g] = q.data() + g * kDh;
    op[g] = out.data() + g * kDh;
  }
  const int64_t stride = padded_positions(kPositions);
  std::vector<float> scores(static_cast<size_t>(kAttentionBlockRows) * stride);
  (baseline ? attend_block_baseline : attend_block)(rows, qp, keys, kv, kDh, 0.125f, scores.data(),
                                                    stride, op);
}

TEST(DecoderAttention, DispatchedMatchesBaselineForEveryCacheType) {
  if (!cpu_features().has_avx2_fma() || !cpu_features().f16c)
    GTEST_SKIP() << "no AVX2 + FMA + F16C: attend_block runs the baseline itself";
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  for (KvElem elem : {KvElem::F32, KvElem::F16, KvElem::I8}) {
    Filled f = fill(elem, 9, 1.5f);
    for (int hd = 0; hd < kHeads; ++hd) {
      const HeadKv kv = f.store.head(0, 0, hd);
      for (int rows = 1; rows <= kAttentionBlockRows; ++rows) {
        std::vector<float> q(static_cast<size_t>(rows) * kDh);
        for (float& x : q) x = dist(rng);
        int keys[kAttentionBlockRows];
        for (int g = 0; g < rows; ++g) keys[g] = std::min(kPositions, 1 + (g * 29 + rows * 7) % 80);
        std::vector<float> a(q.size(), -9.0f), b(q.size(), -9.0f);
        run(false, kv, rows, keys, q, a);
        run(true, kv, rows, keys, q, b);
        for (size_t i = 0; i < a.size(); ++i)
          ASSERT_NEAR(a[i], b[i], 2e-5f * std::max(1.0f, std::fabs(b[i])))
              << "elem " << static_cast<int>(elem) << " rows " << rows << " at " << i;
      }
    }
  }
}

TEST(DecoderAttention, Int8CacheIsCloseToFloat32) {
  Filled f32 = fill(KvElem::F32, 21, 3.0f), i8 = fill(KvElem::I8, 21, 3.0f);
  std::mt19937 rng(6);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  const int rows = 3, keys[3] = {1, 40, kPositions};
  std::vector<float> q(rows * kDh);
  for (float& x : q) x = dist(rng);
  std::vector<float> a(q.size()), b(q.size());
  run(false, f32.store.head(0, 0, 1), rows, keys, q, a);
  run(false, i8.store.head(0, 0, 1), rows, keys, q, b);
  float worst = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::fabs(a[i] - b[i]));
    scale = std::max(scale, std::fabs(a[i]));
  }
  EXPECT_LT(worst, 0.03f * scale);
  EXPECT_GT(worst, 0.0f);  // really rounded
  // One key: softmax is 1, so the output is that value row (dequantized).
  for (int c = 0; c < kDh; ++c) EXPECT_NEAR(b[c], f32.v[kDh + c], 3.0f * 4 / 127);
}

}  // namespace
}  // namespace tessera::decoder
