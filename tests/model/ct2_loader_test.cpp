// CTranslate2 model.bin: valid files of every dtype and binary version, and corrupted variants.
#include "model/ct2_loader.h"

#include <gtest/gtest.h>

#include <cmath>

#include "model/model_writer.h"
#include "model/test_paths.h"
#include "tessera/error.h"

namespace tessera {
namespace {

using test::Dims;
using test::ScratchDir;

void write_model(const ScratchDir& dir, const test::Ct2File& f) {
  test::write_file(dir.file("model.bin"), f);
}

std::string load_error(const std::string& dir) {
  try {
    Model::load(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string ct2_error(const std::string& path) {
  try {
    WeightSet w;
    model::load_ct2_weights(path, w);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const test::TensorSpec& spec_named(const std::vector<test::TensorSpec>& t, const std::string& n) {
  for (const auto& s : t)
    if (s.name == n) return s;
  throw std::runtime_error("no spec " + n);
}

class Ct2Dtypes : public ::testing::TestWithParam<DType> {};

TEST_P(Ct2Dtypes, LoadsAndConverts) {
  const DType dtype = GetParam();
  ScratchDir dir("ct2_dtype");
  const Dims dims;
  const auto specs = test::canonical_tensors(dims, dtype, true);
  write_model(dir, test::make_ct2(specs));
  auto m = Model::load(dir.str());
  EXPECT_EQ(m->format, ModelFormat::CTranslate2);
  EXPECT_EQ(m->stored_dtype, dtype);
  EXPECT_EQ(m->config.n_audio_state, 8);
  EXPECT_EQ(m->config.n_audio_head, 2);
  EXPECT_EQ(m->config.n_mels, 4);
  EXPECT_EQ(m->config.n_audio_ctx, 6);
  EXPECT_EQ(m->config.n_text_ctx, 5);
  EXPECT_EQ(m->config.n_vocab, 16);
  EXPECT_EQ(m->config.family_name(), "custom");
  EXPECT_TRUE(m->suppress_ids.empty());  // no config.json

  const std::string name = "encoder/layer_1/ffn/linear_0/weight";
  const Tensor& t = m->weights.get(name, {32, 8});
  const std::vector<float> got = to_float32(t);
  const test::TensorSpec& s = spec_named(specs, name);
  for (size_t i = 0; i < got.size(); ++i) {
    float expect = 0;
    if (dtype == DType::F32) {
      std::memcpy(&expect, &s.bytes[i * 4], 4);
    } else if (dtype == DType::F16) {
      uint16_t h;
      std::memcpy(&h, &s.bytes[i * 2], 2);
      expect = fp16_to_fp32(h);
    } else if (dtype == DType::BF16) {
      uint16_t h;
      std::memcpy(&h, &s.bytes[i * 2], 2);
      expect = bf16_to_fp32(h);
    } else {  // int8 / per-row scale (100 + row)
      expect = static_cast<float>(static_cast<int8_t>(s.bytes[i])) / (100.0f + float(i / 8));
    }
    ASSERT_EQ(got[i], expect) << i;
  }
  if (dtype == DType::I8) {
    ASSERT_NE(t.scale, nullptr);
    EXPECT_EQ(t.scale[3], 103.0f);
    // The aliased projection carries the embedding's scales too.
    EXPECT_EQ(m->weights.get("decoder/projection/weight").scale,
              m->weights.get("decoder/embeddings/weight").scale);
  }
}

INSTANTIATE_TEST_SUITE_P(AllStoredTypes, Ct2Dtypes,
                         ::testing::Values(DType::F32, DType::F16, DType::BF16, DType::I8),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(Ct2Loader, AliasesResolveToTheTarget) {
  ScratchDir dir("ct2_alias");
  write_model(dir, test::make_ct2(test::canonical_tensors(Dims{}, DType::F16, true)));
  auto m = Model::load(dir.str());
  const WeightSet& w = m->weights;
  EXPECT_TRUE(w.has("decoder/projection/weight"));
  EXPECT_EQ(w.all().count("decoder/projection/weight"), 0u);  // listed once, as the target
  EXPECT_EQ(w.get("decoder/projection/weight").data, w.get("decoder/embeddings/weight").data);
  EXPECT_EQ(w.get("decoder/projection/weight").name, "decoder/embeddings/weight");
  EXPECT_EQ(to_float32(w.get("encoder/num_heads"))[0], 2.0f);  // scalars stay readable
  EXPECT_THROW(w.get("decoder/nope"), Error);
  EXPECT_THROW(w.get("decoder/embeddings/weight", {16, 9}), Error);
}

TEST(Ct2Loader, EveryBinaryVersion) {
  for (uint32_t version = 1; version <= 6; ++version) {
    SCOPED_TRACE(version);
    ScratchDir dir("ct2_version");
    write_model(dir, test::make_ct2(test::canonical_tensors(Dims{}, DType::F32, true), version));
    auto m = Model::load(dir.str());
    EXPECT_EQ(m->config.n_audio_layer, 2);
    // Versions 1-2 have no alias table: the tied projection is restored by Model::load.
    EXPECT_EQ(m->weights.get("decoder/projection/weight").data,
              m->weights.get("decoder/embeddings/weight").data);
  }
}

TEST(Ct2Loader, RejectsUnsupportedVersions) {
  ScratchDir dir("ct2_badversion");
  for (uint32_t version : {0u, 7u, 0xFFFFFFFFu}) {
    auto f = test::make_ct2(test::canonical_tensors(Dims{}, DType::F32, true));
    std::vector<uint8_t> bytes = f.flat();
    std::memcpy(bytes.data(), &version, 4);
    test::write_bytes(dir.file("model.bin"), bytes);
    EXPECT_NE(ct2_error(dir.file("model.bin")).find("binary_version"), std::string::npos);
  }
}

// Adds `delta` to the little-endian integer field at f.
void bump(std::vector<uint8_t>& bytes, const test::Field& f, int delta) {
  uint64_t v = 0;
  std::memcpy(&v, &bytes[f.offset], f.size);
  v += static_cast<uint64_t>(static_cast<int64_t>(delta));
  std::memcpy(&bytes[f.offset], &v, f.size);
}

bool is_count_field(const std::string& label) {
  for (const char* suffix : {"length", "rank", "dtype", "num_bytes", "num_variables", "num_aliases",
                             "item_size", "num_elements"})
    if (label.ends_with(suffix)) return true;
  return label.find(" dim ") != std::string::npos;
}

// Every size/count/type field of the header, one at a time, off by one either way: the load fails
// with an error naming the file (never a crash, never a silently different model).
TEST(Ct2Loader, EveryHeaderFieldOffByOne) {
  ScratchDir dir("ct2_offbyone");
  Dims dims;
  dims.enc_layers = dims.dec_layers = 1;
  for (uint32_t version : {3u, 6u}) {
    const test::Ct2File f =
        test::make_ct2(test::canonical_tensors(dims, DType::F32, true), version);
    const std::vector<uint8_t> good = f.flat();
    int checked = 0;
    for (const test::Field& field : f.fields) {
      if (!is_count_field(field.label)) continue;
      for (int delta : {-1, +1}) {
        std::vector<uint8_t> bytes = good;
        bump(bytes, field, delta);
        test::write_bytes(dir.file("model.bin"), bytes);
        const std::string err = load_error(dir.str());
        EXPECT_FALSE(err.empty()) << "v" << version << " " << field.label << " " << delta;
        EXPECT_NE(err.find(dir.str()), std::string::npos) << err;
        ++checked;
      }
    }
    EXPECT_GT(checked, 200);
  }
}

TEST(Ct2Loader, EveryTruncationFails) {
  ScratchDir dir("ct2_trunc");
  Dims dims{4, 2, 2, 8, 1, 1, 3, 2};
  const std::vector<uint8_t> good =
      test::make_ct2(test::canonical_tensors(dims, DType::F16, true)).flat();
  const std::string path = dir.file("model.bin");
  test::write_bytes(path, good);
  ASSERT_EQ(ct2_error(path), "");
  for (size_t n = good.size(); n-- > 0;) {
    std::filesystem::resize_file(path, n);
    const std::string err = ct2_error(path);
    ASSERT_FALSE(err.empty()) << "truncated to " << n;
    ASSERT_NE(err.find(path), std::string::npos) << err;
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  test::write_bytes(path, longer);
  EXPECT_NE(ct2_error(path).find("trailing"), std::string::npos);
}

TEST(Ct2Loader, TruncatedRealSizedHeader) {
  ScratchDir dir("ct2_realtrunc");
  const std::string path = dir.file("model.bin");
  // A full-size large-v3 layout (sparse), cut in the middle of its tensors.
  test::Ct2File f = test::make_ct2(
      test::canonical_tensors(test::released(1280, 32, 20, 128, 51866), DType::F16, false));
  test::write_file(path, f);
  ASSERT_EQ(ct2_error(path), "");
  std::filesystem::resize_file(path, f.size / 2);
  std::string err = ct2_error(path);
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
  // The real base model.bin cut after 1 MB, when present.
  const std::string real = test::real_model_dir("base") + "/model.bin";
  if (std::filesystem::exists(real)) {
    std::ifstream in(real, std::ios::binary);
    std::vector<uint8_t> head(1 << 20);
    in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
    test::write_bytes(path, head);
    err = ct2_error(path);
    EXPECT_NE(err.find("truncated"), std::string::npos) << err;
    EXPECT_NE(err.find("variable '"), std::string::npos) << err;
  }
}

test::Ct2File one_tensor(const std::string& name, DType t, std::vector<int64_t> shape) {
  test::TensorSpec s{name, t, shape, {}};
  return test::make_ct2({s}, 6, {});
}

TEST(Ct2Loader, NamesTooLongOrEmpty) {
  ScratchDir dir("ct2_names");
  const std::string path = dir.file("model.bin");
  test::write_file(path, one_tensor(std::string(2000, 'a'), DType::F32, {1}));
  EXPECT_NE(ct2_error(path).find("exceeds the limit"), std::string::npos) << ct2_error(path);
  test::Ct2File f = one_tensor("x", DType::F32, {1});
  std::vector<uint8_t> bytes = f.flat();
  bytes[f.field("var 0 name length").offset] = 0;
  bytes[f.field("var 0 name length").offset + 1] = 0;
  test::write_bytes(path, bytes);
  EXPECT_NE(ct2_error(path).find("length 0"), std::string::npos) << ct2_error(path);
  bytes = f.flat();
  bytes[f.field("var 0 name").offset + 1] = 'y';  // the NUL
  test::write_bytes(path, bytes);
  EXPECT_NE(ct2_error(path).find("NUL"), std::string::npos) << ct2_error(path);
}

TEST(Ct2Loader, DimsWhoseProductOverflows) {
  ScratchDir dir("ct2_overflow");
  const std::string path = dir.file("model.bin");
  test::Ct2File f = one_tensor("x", DType::F32, {0, 0, 0, 0, 0});
  std::vector<uint8_t> bytes = f.flat();
  for (int k = 0; k < 5; ++k) {
    const uint32_t big = 0xFFFFFFFFu;
    std::memcpy(&bytes[f.field("var 0 dim " + std::to_string(k)).offset], &big, 4);
  }
  test::write_bytes(path, bytes);
  EXPECT_NE(ct2_error(path).find("overflows"), std::string::npos) << ct2_error(path);
  // Fits in int64 but not in the u32 num_bytes field.
  f = one_tensor("x", DType::F32, {65536, 65536});
  test::write_file(path, f);
  EXPECT_NE(ct2_error(path).find("num_bytes"), std::string::npos) << ct2_error(path);
}

TEST(Ct2Loader, DtypeIdsOutOfRange) {
  ScratchDir dir("ct2_dtypeid");
  const std::string path = dir.file("model.bin");
  test::Ct2File f = one_tensor("x", DType::I8, {4});
  for (uint8_t id : {6, 7, 200, 255}) {
    std::vector<uint8_t> bytes = f.flat();
    bytes[f.field("var 0 dtype").offset] = id;
    test::write_bytes(path, bytes);
    const std::string err = ct2_error(path);
    EXPECT_NE(err.find("dtype id " + std::to_string(id)), std::string::npos) << err;
  }
  test::Ct2File old = test::make_ct2({{"x", DType::F32, {4}, {}}}, 3, {});
  std::vector<uint8_t> bytes = old.flat();
  bytes[old.field("var 0 item_size").offset] = 3;
  test::write_bytes(path, bytes);
  EXPECT_NE(ct2_error(path).find("item size 3"), std::string::npos) << ct2_error(path);
}

TEST(Ct2Loader, LengthsPastEndOfFile) {
  ScratchDir dir("ct2_eof");
  const std::string path = dir.file("model.bin");
  test::Ct2File f = one_tensor("x", DType::I8, {8});
  std::vector<uint8_t> bytes = f.flat();
  const uint32_t huge = 0x7FFFFFFF;
  std::memcpy(&bytes[f.field("var 0 dim 0").offset], &huge, 4);
  std::memcpy(&bytes[f.field("var 0 num_bytes").offset], &huge, 4);
  test::write_bytes(path, bytes);
  EXPECT_NE(ct2_error(path).find("truncated"), std::string::npos) << ct2_error(path);
  bytes = f.flat();
  std::memcpy(&bytes[f.field("num_variables").offset], &huge, 4);
  test::write_bytes(path, bytes);
  EXPECT_NE(ct2_error(path).find("num_variables"), std::string::npos) << ct2_error(path);
  bytes = f.flat();
  bytes[f.field("var 0 rank").offset] = 200;
  test::write_bytes(path, bytes);
  EXPECT_NE(ct2_error(path).find("rank"), std::string::npos) << ct2_error(path);
}

TEST(Ct2Loader, DuplicatesAndBadAliases) {
  ScratchDir dir("ct2_dup");
  const std::string path = dir.file("model.bin");
  test::TensorSpec a{"a", DType::F32, {1}, test::encode({1.0f}, DType::F32)};
  test::write_file(path, test::make_ct2({a, a}, 6, {}));
  EXPECT_NE(ct2_error(path).find("duplicate"), std::string::npos);
  test::write_file(path, test::make_ct2({a}, 6, {{"b", "missing"}}));
  EXPECT_NE(ct2_error(path).find("missing"), std::string::npos);
  test::write_file(path, test::make_ct2({a}, 6, {{"a", "a"}}));
  EXPECT_NE(ct2_error(path).find("duplicates"), std::string::npos);
  test::write_file(path, test::make_ct2({a}, 6, {{"b", "a"}}));
  EXPECT_EQ(ct2_error(path), "");
}

TEST(Ct2Loader, Int8NeedsMatchingScales) {
  ScratchDir dir("ct2_scale");
  const std::string path = dir.file("model.bin");
  test::TensorSpec w{"x/weight", DType::I8, {2, 3}, std::vector<uint8_t>(6, 1)};
  test::write_file(path, test::make_ct2({w}, 6, {}));
  EXPECT_NE(ct2_error(path).find("x/weight_scale"), std::string::npos);
  test::TensorSpec bad{"x/weight_scale", DType::F32, {3}, test::encode({1, 2, 3}, DType::F32)};
  test::write_file(path, test::make_ct2({w, bad}, 6, {}));
  EXPECT_NE(ct2_error(path).find("expected (2,)"), std::string::npos) << ct2_error(path);
  test::TensorSpec f16{"x/weight_scale", DType::F16, {2}, test::encode({2, 4}, DType::F16)};
  test::write_file(path, test::make_ct2({w, f16}, 6, {}));
  WeightSet ws;
  model::load_ct2_weights(path, ws);
  EXPECT_EQ(to_float32(ws.get("x/weight")),
            (std::vector<float>{0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f}));
  EXPECT_EQ(ws.parameter_count(), 6);  // scales are not parameters
}

TEST(Ct2Loader, MissingFileAndEmptyFile) {
  ScratchDir dir("ct2_missing");
  EXPECT_NE(ct2_error(dir.file("model.bin")).find("cannot open"), std::string::npos);
  test::write_bytes(dir.file("model.bin"), {});
  EXPECT_NE(ct2_error(dir.file("model.bin")).find("binary_version"), std::string::npos);
}

}  // namespace
}  // namespace tessera
