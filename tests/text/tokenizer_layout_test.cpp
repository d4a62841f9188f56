// Special-token layout, languages and vocabulary loading of the Whisper tokenizer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tessera/error.h"
#include "tessera/tokenizer.h"
#include "text_test_util.h"

namespace tessera {
namespace {

using test::gpt2_tokenizer;
using test::multilingual_tokenizer;
using test::multilingual_v3_tokenizer;

TEST(TokenizerLayout, EnglishOnlyIdsMatchOpenaiWhisper) {
  const Tokenizer& t = gpt2_tokenizer();
  EXPECT_FALSE(t.is_multilingual());
  EXPECT_EQ(t.n_vocab(), 51864);
  EXPECT_EQ(t.n_ranks(), 50256);
  EXPECT_EQ(t.num_languages(), 99);
  EXPECT_EQ(t.eot(), 50256);
  EXPECT_EQ(t.sot(), 50257);
  EXPECT_EQ(t.language_token("en"), 50258);
  EXPECT_EQ(t.translate(), 50357);
  EXPECT_EQ(t.transcribe(), 50358);
  EXPECT_EQ(t.sot_lm(), 50359);
  EXPECT_EQ(t.sot_prev(), 50360);
  EXPECT_EQ(t.no_speech(), 50361);
  EXPECT_EQ(t.no_timestamps(), 50362);
  EXPECT_EQ(t.timestamp_begin(), 50363);
  EXPECT_EQ(t.sot_sequence("de", Task::Translate), std::vector<int>{50257});  // .en: just sot
  EXPECT_EQ(t.sot_sequence_including_notimestamps(), (std::vector<int>{50257, 50362}));
}

TEST(TokenizerLayout, MultilingualIdsMatchOpenaiWhisper) {
  const Tokenizer& t = multilingual_tokenizer();
  EXPECT_TRUE(t.is_multilingual());
  EXPECT_EQ(t.n_ranks(), 50257);
  EXPECT_EQ(t.num_languages(), 99);
  EXPECT_EQ(t.eot(), 50257);
  EXPECT_EQ(t.sot(), 50258);
  EXPECT_EQ(t.language_token("en"), 50259);
  EXPECT_EQ(t.language_token("zh"), 50260);
  EXPECT_EQ(t.language_token("su"), 50357);
  EXPECT_EQ(t.translate(), 50358);
  EXPECT_EQ(t.transcribe(), 50359);
  EXPECT_EQ(t.sot_lm(), 50360);
  EXPECT_EQ(t.sot_prev(), 50361);
  EXPECT_EQ(t.no_speech(), 50362);
  EXPECT_EQ(t.no_timestamps(), 50363);
  EXPECT_EQ(t.timestamp_begin(), 50364);
  EXPECT_EQ(t.token_bytes(50364), "<|0.00|>");
  EXPECT_EQ(t.token_bytes(51864), "<|30.00|>");
  EXPECT_THROW(t.language_token("yue"), Error);  // only large-v3 has Cantonese
  EXPECT_EQ(t.sot_sequence(), (std::vector<int>{50258, 50259, 50359}));
  EXPECT_EQ(t.sot_sequence("German", Task::Translate), (std::vector<int>{50258, 50261, 50358}));
  EXPECT_EQ(t.sot_sequence("mandarin"), (std::vector<int>{50258, 50260, 50359}));
}

TEST(TokenizerLayout, LargeV3AddsCantonese) {
  const Tokenizer& t = multilingual_v3_tokenizer();
  EXPECT_EQ(t.num_languages(), 100);
  EXPECT_EQ(t.language_token("yue"), 50358);
  EXPECT_EQ(t.translate(), 50359);
  EXPECT_EQ(t.transcribe(), 50360);
  EXPECT_EQ(t.no_speech(), 50363);
  EXPECT_EQ(t.no_timestamps(), 50364);
  EXPECT_EQ(t.timestamp_begin(), 50365);
  EXPECT_EQ(t.n_vocab(), 51866);
  EXPECT_EQ(t.token_bytes(51865), "<|30.00|>");
  EXPECT_EQ(t.language_code(50358), "yue");
}

TEST(TokenizerLayout, SpecialTokenTextsMatchTiktokenFixture) {
  const auto& families = test::tiktoken_fixture().at("families");
  for (const auto& [name, tok] :
       {std::pair<std::string, const Tokenizer*>{"gpt2", &gpt2_tokenizer()},
        {"multilingual", &multilingual_tokenizer()},
        {"multilingual_v3", &multilingual_v3_tokenizer()}}) {
    SCOPED_TRACE(name);
    const auto& fam = families.at(name);
    ASSERT_EQ(tok->n_vocab(), fam.at("n_vocab").get<int>());
    ASSERT_EQ(tok->n_ranks(), fam.at("n_ranks").get<int>());
    const auto texts = fam.at("special_tokens").get<std::vector<std::string>>();
    ASSERT_EQ(static_cast<int>(texts.size()), tok->n_vocab() - tok->n_ranks());
    for (size_t i = 0; i < texts.size(); ++i) {
      const int id = tok->n_ranks() + static_cast<int>(i);
      ASSERT_EQ(tok->token_bytes(id), texts[i]) << "id " << id;
      ASSERT_EQ(tok->token_id(texts[i]), id);
    }
    EXPECT_EQ(tok->non_speech_tokens(), fam.at("non_speech_tokens").get<std::vector<int>>());
  }
}

TEST(TokenizerLayout, LanguageLookupBothWays) {
  const Tokenizer& t = multilingual_tokenizer();
  ASSERT_EQ(whisper_language_codes().size(), 100u);
  EXPECT_EQ(whisper_language_codes()[98], "su");
  EXPECT_EQ(whisper_language_codes()[99], "yue");
  for (int i = 0; i < t.num_languages(); ++i) {
    const std::string_view code = whisper_language_codes()[i];
    EXPECT_EQ(t.language_token(code), 50259 + i);
    EXPECT_EQ(t.language_code(50259 + i), code);
    EXPECT_EQ(t.token_bytes(50259 + i), "<|" + std::string(code) + "|>");
    EXPECT_EQ(to_language_code(language_name(code)), code);
  }
  EXPECT_EQ(t.all_language_tokens().size(), 99u);
  EXPECT_EQ(t.all_language_codes().back(), "su");
  EXPECT_FALSE(t.language_code(50258).has_value());
  EXPECT_FALSE(t.language_code(50358).has_value());
  EXPECT_EQ(to_language_code("JAPANESE"), "ja");
  EXPECT_EQ(to_language_code("castilian"), "es");
  EXPECT_EQ(to_language_code("burmese"), "my");
  EXPECT_EQ(to_language_code("klingon"), "");
  EXPECT_EQ(language_name("haw"), "hawaiian");
  EXPECT_THROW(t.language_token("klingon"), Error);
  EXPECT_THROW(t.language_token(""), Error);
}

// The model folders' tokenizer.json must give exactly the tiktoken vocabularies.
void expect_same_vocabulary(const Tokenizer& a, const Tokenizer& b) {
  ASSERT_EQ(a.n_vocab(), b.n_vocab());
  ASSERT_EQ(a.n_ranks(), b.n_ranks());
  for (int id = 0; id < a.n_vocab(); ++id) ASSERT_EQ(a.token_bytes(id), b.token_bytes(id)) << id;
  EXPECT_EQ(a.non_speech_tokens(), b.non_speech_tokens());
}

TEST(TokenizerLoading, TokenizerJsonOfBaseMatchesMultilingualTiktoken) {
  const std::string dir = test::source_dir() + "/models/base";
  if (!std::filesystem::exists(dir + "/tokenizer.json")) GTEST_SKIP() << "models/base missing";
  expect_same_vocabulary(Tokenizer::for_model(dir, 51865), multilingual_tokenizer());
}

TEST(TokenizerLoading, TokenizerJsonOfTinyEnMatchesGpt2Tiktoken) {
  const std::string dir = test::source_dir() + "/models/tiny.en";
  if (!std::filesystem::exists(dir + "/tokenizer.json")) GTEST_SKIP() << "models/tiny.en missing";
  expect_same_vocabulary(Tokenizer::for_model(dir, 51864), gpt2_tokenizer());
}

TEST(TokenizerLoading, FallsBackToBundledRankFiles) {
  const auto empty = std::filesystem::temp_directory_path() / "tessera_tok_empty_model";
  std::filesystem::create_directories(empty);
  const Tokenizer en = Tokenizer::for_model(empty.string(), 51864, test::assets_dir());
  EXPECT_EQ(en.eot(), 50256);
  const Tokenizer v3 = Tokenizer::for_model(empty.string(), 51866, test::assets_dir());
  EXPECT_EQ(v3.num_languages(), 100);
  std::filesystem::remove_all(empty);
}

TEST(TokenizerLoading, DefaultAssetsDirFindsRankFiles) {
  const std::string dir = Tokenizer::default_assets_dir();
  EXPECT_TRUE(std::filesystem::exists(dir + "/gpt2.tiktoken")) << dir;
}

class TokenizerBadFiles : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& content) {
    const auto path = std::filesystem::temp_directory_path() / ("tessera_tok_" + name);
    std::ofstream(path, std::ios::binary) << content;
    paths_.push_back(path);
    return path.string();
  }
  void TearDown() override {
    for (const auto& p : paths_) std::filesystem::remove(p);
  }
  std::vector<std::filesystem::path> paths_;
};

// All 256 single bytes as rank lines, the minimum a byte-level vocabulary needs.
std::string byte_ranks() {
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (int b = 0; b < 256; ++b) {
    out += b64[b >> 2];
    out += b64[(b & 3) << 4];
    out += "== " + std::to_string(b) + "\n";
  }
  return out;
}

TEST_F(TokenizerBadFiles, RejectsBrokenRankFiles) {
  EXPECT_THROW(Tokenizer::from_tiktoken_file("/nonexistent/gpt2.tiktoken", 51864), Error);
  EXPECT_THROW(Tokenizer::from_tiktoken_file(write("empty", ""), 51864), Error);
  EXPECT_THROW(Tokenizer::from_tiktoken_file(write("nospace", "IQ==\n"), 51864), Error);
  EXPECT_THROW(Tokenizer::from_tiktoken_file(write("badb64", "I*== 0\n"), 51864), Error);
  EXPECT_THROW(Tokenizer::from_tiktoken_file(write("badrank", "IQ== x\n"), 51864), Error);
  EXPECT_THROW(Tokenizer::from_tiktoken_file(write("hugerank", "IQ== 99999999999\n"), 51864),
               Error);
  EXPECT_THROW(Tokenizer::from_tiktoken_file(write("dup", byte_ranks() + "IQ== 256\n"), 51864),
               Error);
  EXPECT_THROW(Tokenizer::from_tiktoken_file(write("gap", byte_ranks() + "ISE= 300\n"), 51864),
               Error);
  // Missing one of the 256 bytes.
  const std::string ranks = byte_ranks();
  EXPECT_THROW(
      Tokenizer::from_tiktoken_file(write("nobyte", ranks.substr(ranks.find('\n') + 1)), 51864),
      Error);
  // n_vocab must fit the ranks: a 256-rank vocabulary is not Whisper's.
  try {
    Tokenizer::from_tiktoken_file(write("tiny", ranks), 51864);
    FAIL() << "expected an n_vocab mismatch";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_vocab"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tokenizer::from_tiktoken_file(test::assets_dir() + "/gpt2.tiktoken", 51865), Error);
  EXPECT_THROW(Tokenizer::from_tiktoken_file(test::assets_dir() + "/multilingual.tiktoken", 51867),
               Error);
  EXPECT_THROW(Tokenizer::from_tiktoken_file(test::assets_dir() + "/multilingual.tiktoken", 0),
               Error);
}

TEST_F(TokenizerBadFiles, RejectsBrokenTokenizerJson) {
  EXPECT_THROW(Tokenizer::from_tokenizer_json(write("a.json", "{not json"), 51865), Error);
  EXPECT_THROW(Tokenizer::from_tokenizer_json(write("b.json", "{}"), 51865), Error);
  EXPECT_THROW(Tokenizer::from_tokenizer_json(
                   write("c.json", R"({"model":{"type":"WordPiece","vocab":{}}})"), 51865),
               Error);
  EXPECT_THROW(Tokenizer::from_tokenizer_json(
                   write("d.json", R"({"model":{"vocab":{"a":0,"b":5}}})"), 51865),
               Error);
  EXPECT_THROW(
      Tokenizer::from_tokenizer_json(write("e.json", R"({"model":{"vocab":{"\u4e00":0}}})"), 51865),
      Error);
  EXPECT_THROW(
      Tokenizer::from_tokenizer_json(write("f.json", R"({"model":{"vocab":{"a":"x"}}})"), 51865),
      Error);
}

TEST_F(TokenizerBadFiles, RejectsOddTokenizerJsonLayouts) {
  for (const char* json :
       {R"({"model":{"vocab":[]}})", R"({"model":{"vocab":{"a":1.5}}})",
        R"({"model":{"vocab":{"a":{"b":1}}}})", R"({"model":{"vocab":{"a":-1}}})",
        R"({"model":{"vocab":{"a":99999999999999999999}}})",
        R"({"model":{"vocab":{"a":0}},"added_tokens":[{"content":"x"}]})",
        R"({"model":{"vocab":{"a":0}},"added_tokens":[{"content":1,"id":3}]})",
        R"({"model":{"vocab":{"a":0}},"added_tokens":[{"content":"x","id":"3"}]})",
        R"({"model":{"vocab":{"a":0})", R"([1,2,3])", "", "\xFF\xFE"}) {
    SCOPED_TRACE(json);
    EXPECT_THROW(Tokenizer::from_tokenizer_json(write("odd.json", json), 51865), Error);
  }
}

TEST_F(TokenizerBadFiles, TruncatedFilesThrowCleanly) {
  // A real-sized vocabulary cut at many points must give tessera::Error, never a crash.
  std::ifstream in(test::assets_dir() + "/gpt2.tiktoken", std::ios::binary);
  const std::string ranks((std::istreambuf_iterator<char>(in)), {});
  nlohmann::json doc;
  doc["model"]["vocab"] = nlohmann::json::object();
  for (int b = 0; b < 300; ++b) doc["model"]["vocab"][std::to_string(b) + "t"] = b;
  const std::string json = doc.dump();
  for (int i = 1; i < 40; ++i) {
    const size_t cut_ranks = ranks.size() * i / 40 + i;  // lands mid-line most of the time
    EXPECT_THROW(
        Tokenizer::from_tiktoken_file(write("cut.tiktoken", ranks.substr(0, cut_ranks)), 51864),
        Error);
    EXPECT_THROW(Tokenizer::from_tokenizer_json(
                     write("cut.json", json.substr(0, json.size() * i / 40)), 51865),
                 Error);
  }
}

TEST_F(TokenizerBadFiles, RejectsSpecialTokensAtWrongIds) {
  const std::string dir = test::source_dir() + "/models/base";
  if (!std::filesystem::exists(dir + "/tokenizer.json")) GTEST_SKIP() << "models/base missing";
  std::ifstream in(dir + "/tokenizer.json");
  auto doc = nlohmann::json::parse(in);
  for (auto& added : doc.at("added_tokens")) {
    if (added.at("content") == "<|transcribe|>") added["id"] = 50358;
  }
  EXPECT_THROW(Tokenizer::from_tokenizer_json(write("moved.json", doc.dump()), 51865), Error);
}

TEST(TokenizerIds, OutOfRangeIdsThrow) {
  const Tokenizer& t = multilingual_tokenizer();
  EXPECT_THROW(t.token_bytes(-1), Error);
  EXPECT_THROW(t.token_bytes(51865), Error);
  const std::vector<int> bad = {400, 60000};
  EXPECT_THROW(t.decode(bad), Error);
  EXPECT_THROW(t.decode_with_timestamps(bad), Error);
  EXPECT_FALSE(t.token_id("definitely not a token").has_value());
  EXPECT_TRUE(t.is_timestamp(50364));
  EXPECT_FALSE(t.is_timestamp(50363));
  EXPECT_TRUE(t.is_special(50257));
  EXPECT_FALSE(t.is_special(50256));
}

}  // namespace
}  // namespace tessera
