// ModelConfig: derived from tensor shapes for every released size, and every inconsistency between
// tensors and config.json is an error naming both sides.
#include <gtest/gtest.h>

#include "model/model_writer.h"
#include "model/test_paths.h"
#include "tessera/error.h"
#include "tessera/model.h"

namespace tessera {
namespace {

using test::Dims;
using test::ScratchDir;

std::string load_error(const std::string& dir) {
  try {
    Model::load(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct Family {
  const char* name;
  Dims dims;
};

// Full layer counts, written as sparse files (zero weights, headers real): instant even for large.
const Family kFamilies[] = {
    {"tiny", test::released(384, 4, 6, 80, 51865)},
    {"tiny.en", test::released(384, 4, 6, 80, 51864)},
    {"base", test::released(512, 6, 8, 80, 51865)},
    {"base.en", test::released(512, 6, 8, 80, 51864)},
    {"small", test::released(768, 12, 12, 80, 51865)},
    {"small.en", test::released(768, 12, 12, 80, 51864)},
    {"medium", test::released(1024, 24, 16, 80, 51865)},
    {"medium.en", test::released(1024, 24, 16, 80, 51864)},
    {"large-v2", test::released(1280, 32, 20, 80, 51865)},
    {"large-v3", test::released(1280, 32, 20, 128, 51866)},
    {"large-v3-turbo", test::released(1280, 32, 20, 128, 51866, 4)},
};

TEST(ModelConfig, EveryReleasedSizeFromItsShapes) {
  for (const Family& f : kFamilies) {
    SCOPED_TRACE(f.name);
    ScratchDir dir("family");
    // The folder name says nothing: the config must come from the tensors.
    test::write_file(dir.file("model.bin"),
                     test::make_ct2(test::canonical_tensors(f.dims, DType::F16, false)));
    auto m = Model::load(dir.str());
    const ModelConfig& c = m->config;
    EXPECT_EQ(c.family_name(), f.name);
    EXPECT_EQ(c.n_audio_state, f.dims.d);
    EXPECT_EQ(c.n_text_state, f.dims.d);
    EXPECT_EQ(c.n_audio_layer, f.dims.enc_layers);
    EXPECT_EQ(c.n_text_layer, f.dims.dec_layers);
    EXPECT_EQ(c.n_audio_head, f.dims.heads);
    EXPECT_EQ(c.n_text_head, f.dims.heads);
    EXPECT_EQ(c.n_mels, f.dims.n_mels);
    EXPECT_EQ(c.n_vocab, f.dims.n_vocab);
    EXPECT_EQ(c.n_audio_ctx, 1500);
    EXPECT_EQ(c.n_text_ctx, 448);
    EXPECT_EQ(c.is_multilingual(), f.dims.n_vocab != 51864);
    EXPECT_EQ(c.num_languages(), f.dims.n_vocab == 51866 ? 100 : 99);
    EXPECT_EQ(m->stored_dtype, DType::F16);
  }
}

// The same shapes with 1-2 layers (what tests and benchmarks use): dims right, family "custom".
TEST(ModelConfig, ReducedLayerModelsOfEverySize) {
  for (const Family& f : kFamilies) {
    SCOPED_TRACE(f.name);
    Dims dims = f.dims;
    dims.enc_layers = 2;
    dims.dec_layers = 1;
    ScratchDir dir("reduced");
    test::write_file(dir.file("model.bin"),
                     test::make_ct2(test::canonical_tensors(dims, DType::I8, false)));
    auto m = Model::load(dir.str());
    EXPECT_EQ(m->config.n_mels, f.dims.n_mels);
    EXPECT_EQ(m->config.n_audio_state, f.dims.d);
    EXPECT_EQ(m->config.n_audio_layer, 2);
    EXPECT_EQ(m->config.n_text_layer, 1);
    EXPECT_EQ(m->config.n_vocab, f.dims.n_vocab);
    EXPECT_EQ(m->config.family_name(), "custom");
    EXPECT_EQ(m->stored_dtype, DType::I8);
  }
}

TEST(ModelConfig, FamilyNameEdgeCases) {
  ModelConfig c;
  c.n_audio_state = c.n_text_state = 1280;
  c.n_audio_layer = c.n_text_layer = 32;
  c.n_audio_head = c.n_text_head = 20;
  c.n_mels = 80;
  c.n_vocab = 51865;
  EXPECT_EQ(c.family_name(), "large-v2");  // v1 and v2 have identical shapes
  c.n_mels = 128;
  EXPECT_EQ(c.family_name(), "custom");  // 128 mels need the v3 vocabulary
  c.n_vocab = 51866;
  EXPECT_EQ(c.family_name(), "large-v3");
  c.n_text_layer = 4;
  EXPECT_EQ(c.family_name(), "large-v3-turbo");
  c.n_text_layer = 2;  // distil-large-v3 style
  EXPECT_EQ(c.family_name(), "custom");
  ModelConfig t;
  t.n_audio_state = t.n_text_state = 384;
  t.n_audio_layer = t.n_text_layer = 4;
  t.n_audio_head = t.n_text_head = 6;
  t.n_vocab = 51864;
  EXPECT_EQ(t.family_name(), "tiny.en");
  t.n_mels = 128;
  EXPECT_EQ(t.family_name(), "custom");
  t.n_mels = 80;
  t.n_audio_ctx = 750;
  EXPECT_EQ(t.family_name(), "custom");
}

class ConfigContradiction : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_.file("model.bin"),
                     test::make_ct2(test::canonical_tensors(Dims{}, DType::F32, true)));
  }
  std::string with_config(const std::string& json) {
    test::write_text(dir_.file("config.json"), json);
    return load_error(dir_.str());
  }
  ScratchDir dir_{"contradiction"};
};

TEST_F(ConfigContradiction, EachDimField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"d_model": 16})", "encoder/conv1/weight"},
      {R"({"num_mel_bins": 80})", "encoder/conv1/weight"},
      {R"({"encoder_layers": 3})", "encoder/layer_"},
      {R"({"decoder_layers": 1})", "decoder/layer_"},
      {R"({"vocab_size": 51865})", "decoder/embeddings/weight"},
      {R"({"max_source_positions": 1500})", "encoder/position_encodings"},
      {R"({"max_target_positions": 448})", "decoder/position_encodings"},
      {R"({"encoder_ffn_dim": 64})", "encoder/layer_0/ffn/linear_0"},
      {R"({"decoder_ffn_dim": 16})", "decoder/layer_0/ffn/linear_0"},
      {R"({"encoder_attention_heads": 4})", "encoder/num_heads"},
      {R"({"decoder_attention_heads": 1})", "decoder/num_heads"},
  };
  for (const auto& [json, tensor] : cases) {
    const std::string err = with_config(json);
    EXPECT_NE(err.find("config.json"), std::string::npos) << json << " -> " << err;
    EXPECT_NE(err.find(tensor), std::string::npos) << json << " -> " << err;
    EXPECT_NE(err.find("contradicts"), std::string::npos) << json << " -> " << err;
  }
  EXPECT_EQ(with_config(R"({"d_model": 8, "encoder_layers": 2, "vocab_size": 16})"), "");
}

TEST_F(ConfigContradiction, BadJsonAndBadFields) {
  EXPECT_NE(with_config("{\"suppress_ids\": [1, 2,").find("invalid JSON"), std::string::npos);
  EXPECT_NE(with_config("[1, 2]").find("object"), std::string::npos);
  EXPECT_NE(with_config(R"({"d_model": "eight"})").find("'d_model'"), std::string::npos);
  EXPECT_NE(with_config(R"({"d_model": -8})").find("'d_model'"), std::string::npos);
  EXPECT_NE(with_config(R"({"suppress_ids": [1, 16]})").find("suppress_ids"), std::string::npos);
  EXPECT_NE(with_config(R"({"suppress_ids": 3})").find("suppress_ids"), std::string::npos);
  EXPECT_NE(with_config(R"({"alignment_heads": [[2, 0]]})").find("alignment_heads"),
            std::string::npos);
  EXPECT_NE(with_config(R"({"alignment_heads": [[0, 1, 2]]})").find("alignment_heads"),
            std::string::npos);
  EXPECT_EQ(with_config(R"({"alignment_heads": [[1, 1]], "suppress_ids_begin": [15]})"), "");
  auto m = Model::load(dir_.str());
  EXPECT_EQ(m->alignment_heads, (std::vector<std::vector<int>>{{1, 1}}));
  EXPECT_EQ(m->suppress_ids_begin, (std::vector<int>{15}));
}

std::vector<test::TensorSpec> without(std::vector<test::TensorSpec> t, const std::string& name) {
  std::erase_if(t, [&](const test::TensorSpec& s) { return s.name == name; });
  return t;
}

TEST(ModelValidation, MissingOrMisshapenTensors) {
  ScratchDir dir("validation");
  const auto all = test::canonical_tensors(Dims{}, DType::F32, true);
  auto expect_error = [&](const std::vector<test::TensorSpec>& t, const std::string& what) {
    test::write_file(dir.file("model.bin"), test::make_ct2(t, 6, {}));
    const std::string err = load_error(dir.str());
    EXPECT_NE(err.find(what), std::string::npos) << what << " -> " << err;
    EXPECT_NE(err.find(dir.str()), std::string::npos) << err;
  };
  expect_error(without(all, "encoder/layer_1/ffn/linear_1/bias"),
               "encoder/layer_1/ffn/linear_1/bias");
  expect_error(without(all, "decoder/layer_0/attention/linear_1/weight"),
               "decoder/layer_0/attention/linear_1/weight");
  expect_error(without(all, "encoder/conv1/weight"), "encoder/conv1/weight");
  expect_error(without(all, "encoder/num_heads"), "encoder/num_heads");
  auto wrong = all;
  for (auto& s : wrong)
    if (s.name == "encoder/layer_0/ffn/linear_0/weight")
      s = {s.name, s.dtype, {24, 8}, std::vector<uint8_t>(24 * 8 * 4)};
  expect_error(wrong, "encoder/layer_0/ffn/linear_0/weight");
  // A layer gap: layer_5 tensors exist but layers 2-4 do not.
  auto gap = all;
  gap.push_back(
      {"encoder/layer_5/ffn/layer_norm/gamma", DType::F32, {8}, std::vector<uint8_t>(32)});
  expect_error(gap, "encoder/layer_2/");
  // Heads that do not divide the width.
  auto heads = all;
  for (auto& s : heads)
    if (s.name == "encoder/num_heads") s.bytes = test::encode({3.0f}, DType::I16);
  expect_error(heads, "not divisible");
  // An int16 weight matrix is not a float type.
  auto ints = all;
  for (auto& s : ints)
    if (s.name == "encoder/conv2/bias") s = {s.name, DType::I32, {8}, std::vector<uint8_t>(32)};
  expect_error(ints, "encoder/conv2/bias");
}

TEST(ModelLoad, FolderProblems) {
  ScratchDir dir("folder");
  EXPECT_NE(load_error(dir.file("absent")).find("no such directory"), std::string::npos);
  EXPECT_NE(load_error(dir.str()).find("no model.bin"), std::string::npos);
}

}  // namespace
}  // namespace tessera
