// Incremental decoding and word splitting.
#include <gtest/gtest.h>

#include "tessera/error.h"
#include "tessera/tokenizer.h"
#include "text_test_util.h"

namespace tessera {
namespace {

using test::multilingual_tokenizer;

TEST(IncrementalDecoder, HoldsBackSplitCharactersAndMatchesFullDecode) {
  const Tokenizer& t = multilingual_tokenizer();
  for (const std::string text :
       {" 客観的実在の判断的知識が成立するのである。", " 그는 이리저리 피하면서 길 한 옆으로",
        " emoji 🙂👍🏽👨‍👩‍👧‍👦", " plain ascii text"}) {
    const std::vector<int> ids = t.encode(text);
    IncrementalDecoder dec(t);
    std::string streamed;
    for (const int id : ids) {
      const std::string piece = dec.push(id);
      EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos) << "partial character leaked";
      streamed += piece;
      EXPECT_LE(dec.pending_bytes(), 3u);
    }
    streamed += dec.finish();
    EXPECT_EQ(streamed, text);
    EXPECT_EQ(dec.pending_bytes(), 0u);
  }
}

TEST(IncrementalDecoder, FinishReplacesUnfinishedCharacter) {
  const Tokenizer& t = multilingual_tokenizer();
  const std::vector<int> ids = t.encode(" 的");
  // Find a prefix that ends inside the character and stream only that.
  for (size_t cut = 1; cut < ids.size(); ++cut) {
    const std::span<const int> prefix(ids.data(), cut);
    IncrementalDecoder dec(t);
    std::string streamed = dec.push(prefix);
    streamed += dec.finish();
    EXPECT_EQ(streamed, t.decode(prefix));
  }
}

TEST(IncrementalDecoder, TimestampsOptional) {
  const Tokenizer& t = multilingual_tokenizer();
  IncrementalDecoder plain(t), stamped(t, /*with_timestamps=*/true);
  const int ts = t.timestamp_begin() + 50;
  EXPECT_EQ(plain.push(ts), "");
  EXPECT_EQ(stamped.push(ts), "<|1.00|>");
  EXPECT_THROW(plain.push(-5), Error);
}

TEST(WordSplit, SpacesMergeSubwordsAndKeepPunctuationApart) {
  const Tokenizer& t = multilingual_tokenizer();
  std::vector<int> ids =
      t.encode(" And so, my fellow Americans, antidisestablishmentarianism isn't it?");
  ids.push_back(t.eot());
  const WordTokens words = t.split_to_word_tokens(ids, "en");
  // openai-whisper 20250625 gives exactly these words and token groups.
  const std::vector<std::string> expected = {
      " And",    " so",        ",", " my",
      " fellow", " Americans", ",", " antidisestablishmentarianism",
      " isn't",  " it",        "?", "<|endoftext|>"};
  EXPECT_EQ(words.words, expected);
  ASSERT_EQ(words.tokens.size(), expected.size());
  EXPECT_EQ(words.tokens[7], (std::vector<int>{2511, 40920, 33542, 1933, 518, 10652, 1434}));
  EXPECT_EQ(words.tokens[8], (std::vector<int>{1943, 380}));
  std::vector<int> joined;
  for (const auto& w : words.tokens) joined.insert(joined.end(), w.begin(), w.end());
  EXPECT_EQ(joined, ids);
}

TEST(WordSplit, UnicodeSplitForLanguagesWithoutSpaces) {
  const Tokenizer& t = multilingual_tokenizer();
  const std::string text = "客観的実在の判断";
  const std::vector<int> ids = t.encode(text);
  const WordTokens words = t.split_to_word_tokens(ids, "ja");
  std::string joined;
  size_t token_count = 0;
  for (size_t i = 0; i < words.words.size(); ++i) {
    EXPECT_EQ(words.words[i].find("\xEF\xBF\xBD"), std::string::npos);
    EXPECT_EQ(t.decode(words.tokens[i]), words.words[i]);
    joined += words.words[i];
    token_count += words.tokens[i].size();
  }
  EXPECT_EQ(joined, text);
  EXPECT_EQ(token_count, ids.size());
  // openai-whisper 20250625: one word per character; 観, 判 and 断 take two tokens each.
  EXPECT_EQ(words.words,
            (std::vector<std::string>{"客", "観", "的", "実", "在", "の", "判", "断"}));
  EXPECT_EQ(words.tokens[1], (std::vector<int>{2888, 111}));
}

TEST(WordSplit, GenuinelyInvalidBytesStillSplit) {
  const Tokenizer& t = multilingual_tokenizer();
  // A lone continuation byte is U+FFFD in the full decode too, so it ends its group.
  const int lone = *t.token_id("\x80");
  const std::vector<int> ids = {lone, *t.token_id("a")};
  const WordTokens words = t.split_tokens_on_unicode(ids);
  ASSERT_EQ(words.words.size(), 2u);
  EXPECT_EQ(words.words[0], "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace tessera
