#include "tessera/encoder.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "support/heap_counter.h"
#include "support/test_paths.h"
#include "tessera/error.h"
#include "tessera/mel.h"

namespace tessera {
namespace {

long minor_faults() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

std::vector<float> random_mel(int n_mels, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.5f);
  std::vector<float> mel(static_cast<size_t>(n_mels) * kWindowFrames);
  for (float& v : mel) v = dist(rng);
  return mel;
}

class EncoderOnTinyEn : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::real_model("tiny.en");
    if (dir_.empty()) GTEST_SKIP() << "models/tiny.en not fetched (scripts/fetch-model tiny.en)";
    model_ = Model::load(dir_);
  }
  std::string dir_;
  std::shared_ptr<const Model> model_;
};

TEST_F(EncoderOnTinyEn, EveryWeightLivesInOneKernelImage) {
  // tiny.en's encoder: 4 layers of d=384 (QKV, out, fc1, fc2) plus the two convolutions. The image
  // holds all of them packed (fp32: at least their fp32 size; int8: at least a byte each; the
  // W8A16 kernel keeps them widened to 16 bits, the conv stem stays fp32) and no second copy.
  const int64_t d = 384, layer = 4 * d * d + 8 * d * d, convs = 3 * 80 * d + 3 * d * d;
  const int64_t params = 4 * layer + convs;
  Encoder f32(model_, {.compute_type = ComputeType::F32, .threads = 1});
  EXPECT_GE(static_cast<int64_t>(f32.weight_bytes()), 4 * params);
  EXPECT_LT(static_cast<int64_t>(f32.weight_bytes()), 4 * params * 11 / 10);
  Encoder q8(model_, {.compute_type = ComputeType::Int8, .threads = 1});
  EXPECT_GE(static_cast<int64_t>(q8.weight_bytes()), params);
  EXPECT_LT(q8.weight_bytes(), f32.weight_bytes() * 6 / 10);
}

TEST_F(EncoderOnTinyEn, AutoRunsTheMeasuredType) {
  Encoder enc(model_, {.compute_type = ComputeType::Auto, .threads = 2});
  EXPECT_NE(enc.compute_type(), ComputeType::Auto);
  EXPECT_EQ(enc.compute_type(), resolve_compute_type(ComputeType::Auto, model_->config, 2));
}

TEST_F(EncoderOnTinyEn, BatchOfTwoEqualsTwoSingleCalls) {
  Encoder enc(model_, {.compute_type = ComputeType::F32, .threads = 2, .max_batch = 2});
  ASSERT_EQ(enc.d_model(), 384);
  ASSERT_EQ(enc.output_frames(), 1500);
  std::vector<float> a = random_mel(80, 1), b = random_mel(80, 2);
  std::vector<float> both(a);
  both.insert(both.end(), b.begin(), b.end());
  const size_t n = 1500 * 384;
  std::vector<float> out2(2 * n);
  enc.encode(both.data(), 2, out2.data());
  std::vector<float> oa = enc.encode(a), ob = enc.encode(b);
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(std::isfinite(out2[i]));
    worst = std::max(
        {worst, std::fabs(double(out2[i]) - oa[i]), std::fabs(double(out2[n + i]) - ob[i])});
  }
  EXPECT_LT(worst, 1e-4);
  // The two windows differ, so the outputs must too (the batch is not one window twice).
  double diff = 0;
  for (size_t i = 0; i < n; ++i) diff += std::fabs(oa[i] - ob[i]);
  EXPECT_GT(diff / n, 1e-3);
}

TEST_F(EncoderOnTinyEn, NoAllocationOrFreshPageAfterWarmUp) {
  // int8 too: its quantized activations and attention inputs are sized at load or warm-up.
  for (ComputeType type : {ComputeType::F32, ComputeType::Int8}) {
    Encoder enc(model_, {.compute_type = type, .threads = 2, .max_batch = 1});
    std::vector<float> mel = random_mel(80, 3), out(1500 * 384);
    enc.encode(mel.data(), 1, out.data());  // warm-up
    long allocs = test::heap_allocations(), faults = minor_faults();
    enc.encode(mel.data(), 1, out.data());
    enc.encode(mel.data(), 1, out.data());
    EXPECT_EQ(test::heap_allocations() - allocs, 0)
        << "heap allocations during encode, " << compute_type_name(type);
    EXPECT_EQ(minor_faults() - faults, 0)
        << "fresh pages touched during encode, " << compute_type_name(type);
  }
}

TEST_F(EncoderOnTinyEn, RejectsBadBatchAndCountsStats) {
  Encoder enc(model_, {.compute_type = ComputeType::F32, .threads = 1, .max_batch = 1});
  std::vector<float> mel = random_mel(80, 4), out(2 * 1500 * 384);
  EXPECT_THROW(enc.encode(mel.data(), 0, out.data()), Error);
  EXPECT_THROW(enc.encode(mel.data(), 2, out.data()), Error);
  EXPECT_THROW(enc.encode(std::vector<float>(100)), Error);
  enc.encode(mel.data(), 1, out.data());
  EncoderStats s = enc.stats();
  EXPECT_EQ(s.calls, 1);
  EXPECT_EQ(s.windows, 1);
  EXPECT_EQ(s.errors, 2);
  EXPECT_GT(s.mean_ms, 0);
  EXPECT_GE(s.p95_ms, s.mean_ms * 0.999);
  EXPECT_GT(s.realtime_factor, 0);
}

TEST(ComputeTypeNames, ParseAndPrint) {
  for (ComputeType t : {ComputeType::Auto, ComputeType::F32, ComputeType::BF16, ComputeType::Int8})
    EXPECT_EQ(parse_compute_type(compute_type_name(t)), t);
  EXPECT_THROW(parse_compute_type("int4"), Error);
  EXPECT_THROW(parse_compute_type(""), Error);
}

}  // namespace
}  // namespace tessera
