// Encoding and decoding against tiktoken's results (tests/text/data/tiktoken_expected.json).
#include <gtest/gtest.h>

#include <chrono>

#include "tessera/tokenizer.h"
#include "text_test_util.h"

namespace tessera {
namespace {

using test::gpt2_tokenizer;
using test::multilingual_tokenizer;

TEST(TokenizerEncode, KnownIds) {
  EXPECT_EQ(gpt2_tokenizer().encode("Hello world"), (std::vector<int>{15496, 995}));
  EXPECT_EQ(multilingual_tokenizer().encode("Hello world"), (std::vector<int>{15947, 1002}));
  // The start of the JFK segment as openai-whisper's multilingual models emit it.
  EXPECT_EQ(multilingual_tokenizer().encode(" And so, my fellow Americans"),
            (std::vector<int>{400, 370, 11, 452, 7177, 6280}));
  EXPECT_EQ(gpt2_tokenizer().encode(" And so, my fellow Americans"),
            (std::vector<int>{843, 523, 11, 616, 5891, 3399}));
  EXPECT_TRUE(multilingual_tokenizer().encode("").empty());
}

TEST(TokenizerEncode, MatchesTiktokenOnFixtureTexts) {
  const auto& cases = test::tiktoken_fixture().at("encode");
  ASSERT_GT(cases.size(), 50u);
  for (const auto& c : cases) {
    const std::string text = c.at("text").get<std::string>();
    SCOPED_TRACE(text.substr(0, 80));
    EXPECT_EQ(gpt2_tokenizer().encode(text), c.at("gpt2").get<std::vector<int>>());
    EXPECT_EQ(multilingual_tokenizer().encode(text), c.at("multilingual").get<std::vector<int>>());
  }
}

TEST(TokenizerDecode, RoundTripsFixtureTextsByteExact) {
  for (const auto& c : test::tiktoken_fixture().at("encode")) {
    const std::string text = c.at("text").get<std::string>();
    EXPECT_EQ(gpt2_tokenizer().decode(c.at("gpt2").get<std::vector<int>>()), text);
    EXPECT_EQ(multilingual_tokenizer().decode(c.at("multilingual").get<std::vector<int>>()), text);
  }
}

TEST(TokenizerDecode, SingleTokensAndPairsMatchTiktokenReplacement) {
  const Tokenizer& t = multilingual_tokenizer();
  int split_characters = 0;
  for (const auto& c : test::tiktoken_fixture().at("decode_single_tokens")) {
    const auto ids = c.at("ids").get<std::vector<int>>();
    const auto texts = c.at("texts").get<std::vector<std::string>>();
    const auto pairs = c.at("pairs").get<std::vector<std::string>>();
    ASSERT_EQ(ids.size(), texts.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::string got = t.decode(std::span<const int>(&ids[i], 1));
      EXPECT_EQ(got, texts[i]) << "token " << ids[i];
      split_characters += got.find("\xEF\xBF\xBD") != std::string::npos;
    }
    for (size_t i = 0; i < pairs.size(); ++i) {
      const size_t n = std::min<size_t>(2, ids.size() - 2 * i);
      EXPECT_EQ(t.decode(std::span<const int>(&ids[2 * i], n)), pairs[i]);
    }
  }
  EXPECT_GT(split_characters, 20);  // the fixture really exercises characters split across tokens
}

TEST(TokenizerDecode, CharacterSplitAcrossTokens) {
  const Tokenizer& t = multilingual_tokenizer();
  // "的" is E7 9A 84; find tokens that split it and check the join is exact while the halves are
  // replaced the way Python's errors="replace" does.
  const std::vector<int> ids = t.encode(" 客観的実在");
  EXPECT_EQ(t.decode(ids), " 客観的実在");
  bool saw_split = false;
  for (size_t cut = 1; cut < ids.size(); ++cut) {
    const std::string left = t.decode(std::span<const int>(ids.data(), cut));
    const std::string right = t.decode(std::span<const int>(ids.data() + cut, ids.size() - cut));
    if (left + right != " 客観的実在") {
      saw_split = true;
      EXPECT_NE((left + right).find("\xEF\xBF\xBD"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_split);
}

TEST(TokenizerDecode, TimestampsAreDroppedUnlessAsked) {
  const Tokenizer& t = multilingual_tokenizer();
  std::vector<int> ids = {t.sot(), t.language_token("en"), t.transcribe(), t.timestamp_begin()};
  for (const int id : t.encode(" Hello")) ids.push_back(id);
  ids.push_back(t.timestamp_begin() + 54);
  ids.push_back(t.eot());
  EXPECT_EQ(t.decode(ids), "<|startoftranscript|><|en|><|transcribe|> Hello<|endoftext|>");
  EXPECT_EQ(t.decode_with_timestamps(ids),
            "<|startoftranscript|><|en|><|transcribe|><|0.00|> Hello<|1.08|><|endoftext|>");
}

TEST(TokenizerEncode, RoundTripsMultilingualSamples) {
  const std::vector<std::string> samples = {
      "日本語のテキスト、漢字とかなカナ。",
      "中文测试：你好，世界！",
      "한국어 텍스트입니다.",
      "Съешь же ещё этих мягких французских булок.",
      "Größenwahn über Äpfel, Öl und Übermaß — ß.",
      "emoji 🙂👍🏽🧑‍🚀 and flags 🇯🇵🇰🇷",
      "combining: a\u0300e\u0301i\u0302o\u0303u\u0308 Z\u0335\u0321a\u0337",
      "\U0001F600\U0001F601\U0001F602 \U00010348 \U0001D11E",
      "line1\nline2\r\n\ttabbed  \u00a0nbsp"};
  for (const Tokenizer* t : {&gpt2_tokenizer(), &multilingual_tokenizer()}) {
    for (const auto& s : samples) EXPECT_EQ(t->decode(t->encode(s)), s);
  }
}

TEST(TokenizerEncode, InvalidUtf8IsReplacedNotRejected) {
  const Tokenizer& t = multilingual_tokenizer();
  const std::string bad = "ok \xE6\x97 then \xFF\xC0\x80 end";  // truncated, invalid, overlong
  const std::vector<int> ids = t.encode(bad);
  EXPECT_EQ(t.decode(ids), "ok \xEF\xBF\xBD then \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
}

TEST(TokenizerEncode, SpecialTokenTextIsOrdinaryText) {
  const Tokenizer& t = multilingual_tokenizer();
  const std::vector<int> ids = t.encode("<|endoftext|>");
  EXPECT_GT(ids.size(), 1u);
  for (const int id : ids) EXPECT_LT(id, t.eot());
}

TEST(TokenizerEncode, LongPiecesStayFast) {
  // One 200 KB "word" (no spaces): the merge loop must not be quadratic in the piece length.
  std::string word;
  for (int i = 0; i < 20000; ++i)
    word += "abcdefghij"[i % 10] + std::string("xyz").substr(0, i % 3);
  std::string han;
  for (int i = 0; i < 20000; ++i) han += "广州市房地产";
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int> ids = multilingual_tokenizer().encode(word);
  const std::vector<int> han_ids = multilingual_tokenizer().encode(han);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(multilingual_tokenizer().decode(ids), word);
  EXPECT_EQ(multilingual_tokenizer().decode(han_ids), han);
  EXPECT_LT(seconds, 5.0);
}

}  // namespace
}  // namespace tessera
