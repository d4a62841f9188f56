// Loads the real CTranslate2 models fetched by scripts/fetch-model and checks the derived dims.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "model/test_paths.h"
#include "tessera/model.h"

namespace tessera {
namespace {

std::shared_ptr<const Model> load_or_skip(const std::string& name) {
  const std::string dir = test::real_model_dir(name);
  if (!std::filesystem::exists(dir + "/model.bin")) return nullptr;
  return Model::load(dir);
}

TEST(RealModel, BaseDims) {
  auto m = load_or_skip("base");
  if (!m) GTEST_SKIP() << "models/base missing: run scripts/fetch-model base";
  const ModelConfig& c = m->config;
  EXPECT_EQ(m->format, ModelFormat::CTranslate2);
  EXPECT_EQ(c.n_audio_state, 512);
  EXPECT_EQ(c.n_text_state, 512);
  EXPECT_EQ(c.n_audio_layer, 6);
  EXPECT_EQ(c.n_text_layer, 6);
  EXPECT_EQ(c.n_audio_head, 8);
  EXPECT_EQ(c.n_text_head, 8);
  EXPECT_EQ(c.n_mels, 80);
  EXPECT_EQ(c.n_vocab, 51865);
  EXPECT_EQ(c.n_audio_ctx, 1500);
  EXPECT_EQ(c.n_text_ctx, 448);
  EXPECT_TRUE(c.is_multilingual());
  EXPECT_EQ(c.num_languages(), 99);
  EXPECT_EQ(c.family_name(), "base");
  EXPECT_EQ(m->stored_dtype, DType::F16);
  EXPECT_EQ(m->suppress_ids_begin, (std::vector<int>{220, 50257}));
  EXPECT_EQ(m->alignment_heads.size(), 8u);
  EXPECT_FALSE(m->suppress_ids.empty());
  // ~72.6M parameters; the tied projection is an alias and is not counted twice.
  EXPECT_GT(m->weights.parameter_count(), 72'000'000);
  EXPECT_LT(m->weights.parameter_count(), 73'000'000);
  const Tensor& proj = m->weights.get("decoder/projection/weight");
  EXPECT_EQ(proj.data, m->weights.get("decoder/embeddings/weight").data);
  EXPECT_GT(m->load_ms, 0);
}

TEST(RealModel, BaseTensorsAreSane) {
  auto m = load_or_skip("base");
  if (!m) GTEST_SKIP() << "models/base missing: run scripts/fetch-model base";
  const Tensor& conv1 = m->weights.get("encoder/conv1/weight", {512, 80, 3});
  std::vector<float> w = to_float32(conv1);
  double sum_sq = 0;
  for (float v : w) {
    ASSERT_TRUE(std::isfinite(v));
    sum_sq += double{v} * v;
  }
  EXPECT_GT(sum_sq, 1.0);
  // Sinusoidal positions: row 0 is sin(0)=0 for the first half and cos(0)=1 for the second.
  std::vector<float> pos = to_float32(m->weights.get("encoder/position_encodings/encodings"));
  EXPECT_FLOAT_EQ(pos[0], 0.0f);
  EXPECT_FLOAT_EQ(pos[256], 1.0f);
  // The K part of the fused QKV bias is zero (Whisper's key projection has no bias).
  std::vector<float> b = to_float32(m->weights.get("encoder/layer_0/self_attention/linear_0/bias"));
  for (int i = 512; i < 1024; ++i) ASSERT_EQ(b[i], 0.0f) << i;
}

TEST(RealModel, TinyEnDims) {
  auto m = load_or_skip("tiny.en");
  if (!m) GTEST_SKIP() << "models/tiny.en missing: run scripts/fetch-model tiny.en";
  const ModelConfig& c = m->config;
  EXPECT_EQ(c.n_audio_state, 384);
  EXPECT_EQ(c.n_audio_layer, 4);
  EXPECT_EQ(c.n_text_layer, 4);
  EXPECT_EQ(c.n_audio_head, 6);
  EXPECT_EQ(c.n_text_head, 6);
  EXPECT_EQ(c.n_mels, 80);
  EXPECT_EQ(c.n_vocab, 51864);
  EXPECT_FALSE(c.is_multilingual());
  EXPECT_EQ(c.family_name(), "tiny.en");
  EXPECT_EQ(m->alignment_heads.size(), 8u);
  EXPECT_EQ(m->alignment_heads[0], (std::vector<int>{1, 0}));
}

}  // namespace
}  // namespace tessera
