// The safetensors path on real weights: scripts/ct2_to_safetensors.py rewrites models/base under
// Hugging Face names (q/k/v split again); loading that folder must give, tensor for tensor, exactly
// the values the CTranslate2 loader gives. Also round-trips generated int8/bf16 models through the
// Python scripts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "model/test_paths.h"
#include "tessera/model.h"

namespace tessera {
namespace {

bool python_with_numpy() {
  static const bool ok = std::filesystem::exists("/usr/bin/python3") &&
                         std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") == 0;
  return ok;
}

// 'text' for the shell (test paths hold no quotes).
std::string quoted(const std::string& text) {
  std::string q = "'";
  q += text;
  q += "'";
  return q;
}

int run_script(const std::string& script, const std::vector<std::string>& args) {
  std::string cmd = "/usr/bin/python3 ";
  cmd += quoted(test::source_dir() + "/scripts/" + script);
  for (const std::string& a : args) {
    cmd += ' ';
    cmd += quoted(a);
  }
  cmd += " > /dev/null";
  return std::system(cmd.c_str());
}

// Every canonical tensor of `hf` exists in `ct2` with the same shape and bit-identical float32
// values; returns how many were compared.
int expect_same_weights(const Model& ct2, const Model& hf) {
  int compared = 0;
  for (const auto& [name, t] : hf.weights.all()) {
    SCOPED_TRACE(name);
    const Tensor* c = ct2.weights.find(name);
    if (!c) {
      ADD_FAILURE() << "missing in CTranslate2 model";
      continue;
    }
    EXPECT_EQ(c->shape, t.shape);
    const std::vector<float> a = to_float32(*c), b = to_float32(t);
    EXPECT_EQ(a.size(), b.size());
    EXPECT_TRUE(a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
    ++compared;
  }
  for (const auto& [alias, target] : ct2.weights.aliases())
    if (!alias.ends_with("_scale")) {
      EXPECT_TRUE(hf.weights.has(alias)) << alias;
    }
  return compared;
}

void expect_same_config(const Model& a, const Model& b) {
  const ModelConfig &x = a.config, &y = b.config;
  EXPECT_EQ(x.n_mels, y.n_mels);
  EXPECT_EQ(x.n_audio_ctx, y.n_audio_ctx);
  EXPECT_EQ(x.n_audio_state, y.n_audio_state);
  EXPECT_EQ(x.n_audio_head, y.n_audio_head);
  EXPECT_EQ(x.n_audio_layer, y.n_audio_layer);
  EXPECT_EQ(x.n_vocab, y.n_vocab);
  EXPECT_EQ(x.n_text_ctx, y.n_text_ctx);
  EXPECT_EQ(x.n_text_head, y.n_text_head);
  EXPECT_EQ(x.n_text_layer, y.n_text_layer);
  EXPECT_EQ(a.suppress_ids, b.suppress_ids);
  EXPECT_EQ(a.suppress_ids_begin, b.suppress_ids_begin);
  EXPECT_EQ(a.alignment_heads, b.alignment_heads);
}

TEST(HfRealWeights, BaseConvertedToSafetensorsMatchesCt2) {
  const std::string base = test::real_model_dir("base");
  if (!std::filesystem::exists(base + "/model.bin")) GTEST_SKIP() << "models/base missing";
  if (!python_with_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy not available";
  test::ScratchDir dir("hf_base");
  ASSERT_EQ(run_script("ct2_to_safetensors.py", {base, dir.str()}), 0);
  auto ct2 = Model::load(base);
  auto hf = Model::load(dir.str());
  EXPECT_EQ(hf->format, ModelFormat::SafeTensors);
  EXPECT_EQ(hf->config.family_name(), "base");
  EXPECT_EQ(hf->stored_dtype, DType::F16);
  expect_same_config(*ct2, *hf);
  // 4 conv + pos + 2 ln + 6*12 encoder; emb + pos + 2 ln + 6*20 decoder; 2 num_heads scalars.
  EXPECT_EQ(expect_same_weights(*ct2, *hf), 7 + 72 + 4 + 120 + 2);
  EXPECT_EQ(ct2->weights.parameter_count(), hf->weights.parameter_count());
}

TEST(HfRealWeights, GeneratedModelsRoundTripThroughTheScripts) {
  if (!python_with_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy not available";
  // int8 (dequantized by the script) is the interesting case; bf16 HF files are covered by
  // safetensors_test.
  test::ScratchDir ct2_dir("gen_ct2"), hf_dir("gen_hf");
  ASSERT_EQ(run_script("make_test_model.py",
                       {ct2_dir.str(), "--size", "tiny.en", "--layers", "1", "--dtype", "int8"}),
            0);
  ASSERT_EQ(run_script("ct2_to_safetensors.py", {ct2_dir.str(), hf_dir.str()}), 0);
  auto ct2 = Model::load(ct2_dir.str());
  auto hf = Model::load(hf_dir.str());
  EXPECT_EQ(ct2->stored_dtype, DType::I8);
  EXPECT_EQ(hf->stored_dtype, DType::F32);
  EXPECT_EQ(ct2->config.n_vocab, 51864);
  EXPECT_EQ(ct2->config.n_audio_layer, 1);
  expect_same_config(*ct2, *hf);
  EXPECT_EQ(expect_same_weights(*ct2, *hf), 7 + 12 + 4 + 20 + 2);
}

}  // namespace
}  // namespace tessera
