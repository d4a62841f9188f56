// Hugging Face model.safetensors + config.json: name mapping, q/k/v fusion, and hostile headers.
#include <gtest/gtest.h>

#include <functional>

#include "model/hf_loader.h"
#include "model/model_writer.h"
#include "model/test_paths.h"
#include "tessera/error.h"

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

std::string st_error(const std::string& path) {
  try {
    WeightSet w;
    model::load_safetensors(path, w);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<float> part(const std::vector<test::TensorSpec>& specs, const std::string& name) {
  for (const auto& s : specs)
    if (s.name == name) {
      Tensor t;
      t.name = name;
      t.dtype = s.dtype;
      t.shape = s.shape;
      t.data = s.bytes.data();
      return to_float32(t);
    }
  throw std::runtime_error("no " + name);
}

std::vector<float> concat(std::initializer_list<std::vector<float>> parts) {
  std::vector<float> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

class HfDtypes : public ::testing::TestWithParam<DType> {};

TEST_P(HfDtypes, MapsNamesAndFusesProjections) {
  const DType dtype = GetParam();
  const Dims dims;
  ScratchDir dir("hf");
  const auto specs = test::hf_tensors(dims, dtype);
  test::write_bytes(dir.file("model.safetensors"), test::make_safetensors(specs).serialize());
  test::write_text(dir.file("config.json"), test::hf_config(dims).dump());
  auto m = Model::load(dir.str());
  EXPECT_EQ(m->format, ModelFormat::SafeTensors);
  EXPECT_EQ(m->stored_dtype, dtype);
  EXPECT_EQ(m->config.n_audio_head, 2);
  EXPECT_EQ(m->config.n_text_layer, 2);
  EXPECT_EQ(m->suppress_ids, (std::vector<int>{1, 2}));
  EXPECT_EQ(m->suppress_ids_begin, (std::vector<int>{3}));
  const WeightSet& w = m->weights;
  const int d = 8;
  const std::vector<float> zeros(d, 0.0f);
  for (const char* side : {"encoder", "decoder"}) {
    const std::string h = std::string("model.") + side + ".layers.1.self_attn.";
    const std::string c = std::string(side) + "/layer_1/self_attention/";
    EXPECT_EQ(to_float32(w.get(c + "linear_0/weight", {3 * d, d})),
              concat({part(specs, h + "q_proj.weight"), part(specs, h + "k_proj.weight"),
                      part(specs, h + "v_proj.weight")}));
    EXPECT_EQ(to_float32(w.get(c + "linear_0/bias", {3 * d})),
              concat({part(specs, h + "q_proj.bias"), zeros, part(specs, h + "v_proj.bias")}));
    EXPECT_EQ(to_float32(w.get(c + "linear_1/weight")), part(specs, h + "out_proj.weight"));
    EXPECT_EQ(to_float32(w.get(std::string(side) + "/layer_1/ffn/layer_norm/gamma")),
              part(specs, std::string("model.") + side + ".layers.1.final_layer_norm.weight"));
  }
  const std::string x = "model.decoder.layers.0.encoder_attn.";
  EXPECT_EQ(to_float32(w.get("decoder/layer_0/attention/linear_0/weight")),
            part(specs, x + "q_proj.weight"));
  EXPECT_EQ(to_float32(w.get("decoder/layer_0/attention/linear_1/weight", {2 * d, d})),
            concat({part(specs, x + "k_proj.weight"), part(specs, x + "v_proj.weight")}));
  EXPECT_EQ(to_float32(w.get("decoder/layer_0/attention/linear_1/bias")),
            concat({zeros, part(specs, x + "v_proj.bias")}));
  EXPECT_EQ(to_float32(w.get("decoder/layer_0/attention/linear_2/bias")),
            part(specs, x + "out_proj.bias"));
  EXPECT_EQ(to_float32(w.get("encoder/position_encodings/encodings", {6, d})),
            part(specs, "model.encoder.embed_positions.weight"));
  EXPECT_EQ(to_float32(w.get("encoder/conv1/weight", {d, 4, 3})),
            part(specs, "model.encoder.conv1.weight"));
  EXPECT_EQ(w.get("decoder/projection/weight").data, w.get("decoder/embeddings/weight").data);
  EXPECT_EQ(to_float32(w.get("decoder/num_heads"))[0], 2.0f);
}

INSTANTIATE_TEST_SUITE_P(FloatTypes, HfDtypes,
                         ::testing::Values(DType::F32, DType::F16, DType::BF16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

class HfCorrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    specs_ = test::hf_tensors(dims_, DType::F32);
    file_ = test::make_safetensors(specs_);
    test::write_text(dir_.file("config.json"), test::hf_config(dims_).dump());
  }
  std::string path() const { return dir_.file("model.safetensors"); }
  std::string error_with(const test::SafetensorsFile& f) {
    test::write_bytes(path(), f.serialize());
    return st_error(path());
  }
  std::string model_error_with(const test::SafetensorsFile& f) {
    test::write_bytes(path(), f.serialize());
    return load_error(dir_.str());
  }
  nlohmann::json& entry(test::SafetensorsFile& f,
                        const std::string& name = "model.encoder.conv2.bias") {
    return f.header[name];
  }
  Dims dims_;
  ScratchDir dir_{"hf_corrupt"};
  std::vector<test::TensorSpec> specs_;
  test::SafetensorsFile file_;
};

TEST_F(HfCorrupt, HeaderLengthOffByOneAndHostile) {
  const std::vector<uint8_t> good = file_.serialize();
  test::write_bytes(path(), good);
  ASSERT_EQ(st_error(path()), "");
  uint64_t n;
  std::memcpy(&n, good.data(), 8);
  for (uint64_t bad : {n - 1, n + 1, n + 8, uint64_t{0}, uint64_t{1}, uint64_t{200} << 20,
                       ~uint64_t{0}, uint64_t{good.size()}}) {
    std::vector<uint8_t> bytes = good;
    std::memcpy(bytes.data(), &bad, 8);
    test::write_bytes(path(), bytes);
    const std::string err = st_error(path());
    EXPECT_NE(err.find(path()), std::string::npos) << bad << ": " << err;
    EXPECT_FALSE(err.empty()) << bad;
  }
  test::write_bytes(path(), {1, 2, 3});
  EXPECT_NE(st_error(path()).find("header length"), std::string::npos);
}

TEST_F(HfCorrupt, EveryTruncationFails) {
  Dims small{4, 2, 2, 8, 1, 1, 3, 2};
  const std::vector<uint8_t> good =
      test::make_safetensors(test::hf_tensors(small, DType::F16)).serialize();
  test::write_bytes(path(), good);
  ASSERT_EQ(st_error(path()), "");
  for (size_t n = good.size(); n-- > 0;) {
    std::filesystem::resize_file(path(), n);
    ASSERT_FALSE(st_error(path()).empty()) << n;
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  test::write_bytes(path(), longer);
  EXPECT_NE(st_error(path()).find("cover"), std::string::npos);
}

TEST_F(HfCorrupt, EntryFields) {
  const std::vector<std::pair<std::function<void(test::SafetensorsFile&)>, const char*>> cases = {
      {[&](test::SafetensorsFile& f) { entry(f)["dtype"] = "F64"; }, "'dtype'"},
      {[&](test::SafetensorsFile& f) { entry(f)["dtype"] = 4; }, "'dtype'"},
      {[&](test::SafetensorsFile& f) { entry(f).erase("dtype"); }, "'dtype'"},
      {[&](test::SafetensorsFile& f) { entry(f)["shape"] = {-8}; }, "'shape'"},
      {[&](test::SafetensorsFile& f) { entry(f)["shape"] = {8.5}; }, "'shape'"},
      {[&](test::SafetensorsFile& f) { entry(f)["shape"] = "8"; }, "'shape'"},
      {[&](test::SafetensorsFile& f) { entry(f)["shape"] = {1, 1, 1, 1, 1, 1, 1, 1, 8}; }, "rank"},
      {[&](test::SafetensorsFile& f) {
         entry(f)["shape"] = {uint64_t{1} << 40, uint64_t{1} << 40};
       },
       "overflows"},
      {[&](test::SafetensorsFile& f) { entry(f)["shape"] = {9}; }, "needs 36"},
      {[&](test::SafetensorsFile& f) {
         entry(f)["data_offsets"][1] = entry(f)["data_offsets"][1].get<uint64_t>() + 1;
       },
       "'data_offsets'"},
      {[&](test::SafetensorsFile& f) {
         entry(f)["data_offsets"] = {0, uint64_t{1} << 62};
       },
       "outside"},
      {[&](test::SafetensorsFile& f) {
         entry(f)["data_offsets"] = {40, 8};
       },
       "outside"},
      {[&](test::SafetensorsFile& f) {
         entry(f)["data_offsets"] = {f.data.size() - 16, f.data.size() + 16};
       },
       "outside"},
      {[&](test::SafetensorsFile& f) {
         entry(f)["data_offsets"] = {0, 32};
       },
       "overlap"},
      {[&](test::SafetensorsFile& f) { f.data.resize(f.data.size() + 4); }, "cover"},
      {[&](test::SafetensorsFile& f) { f.header.erase("model.encoder.conv2.weight"); }, "gap"},
      {[&](test::SafetensorsFile& f) { entry(f)["data_offsets"] = {5}; }, "'data_offsets'"},
      {[&](test::SafetensorsFile& f) { entry(f).erase("data_offsets"); }, "'data_offsets'"},
      {[&](test::SafetensorsFile& f) { entry(f) = 7; }, "not an object"},
      {[&](test::SafetensorsFile& f) { f.header[std::string(2000, 'n')] = entry(f); }, "name"},
      {[&](test::SafetensorsFile& f) { f.header["__metadata__"] = 3; }, "__metadata__"},
  };
  for (const auto& [mutate, what] : cases) {
    test::SafetensorsFile f = file_;
    mutate(f);
    const std::string err = error_with(f);
    EXPECT_NE(err.find(what), std::string::npos) << what << " -> " << err;
    EXPECT_NE(err.find(path()), std::string::npos) << err;
  }
  test::SafetensorsFile array = file_;
  array.header = nlohmann::json::array({1, 2});
  EXPECT_NE(error_with(array).find("not a JSON object"), std::string::npos);
  std::vector<uint8_t> bytes = file_.serialize();
  bytes[8] = '[';  // break the JSON
  test::write_bytes(path(), bytes);
  EXPECT_NE(st_error(path()).find("invalid JSON"), std::string::npos);
}

TEST_F(HfCorrupt, ModelLevelProblems) {
  ASSERT_EQ(model_error_with(file_), "");
  test::SafetensorsFile extra = file_;
  extra.header["model.encoder.mystery.weight"] = entry(extra);
  extra.header["model.encoder.mystery.weight"]["data_offsets"] = {extra.data.size(),
                                                                  extra.data.size() + 32};
  extra.data.resize(extra.data.size() + 32);
  EXPECT_NE(model_error_with(extra).find("unexpected tensor 'model.encoder.mystery.weight'"),
            std::string::npos);
  std::vector<test::TensorSpec> fewer = specs_;
  std::erase_if(fewer, [](const test::TensorSpec& t) {
    return t.name == "model.decoder.layers.1.encoder_attn.k_proj.weight";
  });
  test::SafetensorsFile missing = test::make_safetensors(fewer);
  EXPECT_NE(model_error_with(missing).find("model.decoder.layers.1.encoder_attn.k_proj.weight"),
            std::string::npos);
  test::SafetensorsFile mixed = file_;
  entry(mixed, "model.encoder.layers.0.self_attn.k_proj.weight")["shape"] = {4, 16};
  EXPECT_NE(model_error_with(mixed).find("cannot fuse"), std::string::npos);

  nlohmann::json config = test::hf_config(dims_);
  config["d_model"] = 16;
  test::write_text(dir_.file("config.json"), config.dump());
  std::string err = model_error_with(file_);
  EXPECT_NE(err.find("'d_model' = 16 contradicts tensor 'encoder/conv1/weight'"), std::string::npos)
      << err;
  config = test::hf_config(dims_);
  config["encoder_attention_heads"] = "two";
  test::write_text(dir_.file("config.json"), config.dump());
  EXPECT_NE(model_error_with(file_).find("encoder_attention_heads"), std::string::npos);
  config.erase("encoder_attention_heads");
  test::write_text(dir_.file("config.json"), config.dump());
  EXPECT_NE(model_error_with(file_).find("number of heads"), std::string::npos);
  std::filesystem::remove(dir_.file("config.json"));
  EXPECT_NE(model_error_with(file_).find("config.json"), std::string::npos);
}

TEST(HfSharded, IndexAndShards) {
  ScratchDir dir("hf_sharded");
  const Dims dims;
  const auto specs = test::hf_tensors(dims, DType::F16);
  const size_t half = specs.size() / 2;
  const std::vector<test::TensorSpec> a(specs.begin(), specs.begin() + half),
      b(specs.begin() + half, specs.end());
  test::write_bytes(dir.file("model-00001-of-00002.safetensors"),
                    test::make_safetensors(a).serialize());
  test::write_bytes(dir.file("model-00002-of-00002.safetensors"),
                    test::make_safetensors(b).serialize());
  test::write_text(dir.file("config.json"), test::hf_config(dims).dump());
  nlohmann::json index;
  for (size_t i = 0; i < specs.size(); ++i)
    index["weight_map"][specs[i].name] =
        i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  test::write_text(dir.file("model.safetensors.index.json"), index.dump());
  auto m = Model::load(dir.str());
  EXPECT_EQ(m->config.n_audio_layer, 2);
  EXPECT_EQ(m->stored_dtype, DType::F16);

  nlohmann::json wrong = index;
  wrong["weight_map"][specs[0].name] = "model-00002-of-00002.safetensors";
  test::write_text(dir.file("model.safetensors.index.json"), wrong.dump());
  EXPECT_NE(load_error(dir.str()).find("is not in"), std::string::npos);
  wrong = index;
  wrong["weight_map"][specs[0].name] = "../../etc/passwd";
  test::write_text(dir.file("model.safetensors.index.json"), wrong.dump());
  EXPECT_NE(load_error(dir.str()).find("not a file in the same folder"), std::string::npos);
  test::write_text(dir.file("model.safetensors.index.json"), R"({"weight_map": []})");
  EXPECT_NE(load_error(dir.str()).find("weight_map"), std::string::npos);
}

}  // namespace
}  // namespace tessera
