// openai-whisper's logit filters on synthetic logits, and the decoding-task setup they come from.
#include "decoder/logit_filters.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "decoder/decoding_task.h"
#include "support/test_paths.h"
#include "tessera/error.h"
#include "tessera/tokenizer.h"

namespace tessera::decoder {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// A toy vocabulary: text 0..4, eot 5, specials 6..9 (no_timestamps 8), timestamps 10..19.
constexpr int kVocab = 20, kEot = 5, kNoTs = 8, kTs = 10, kBegin = 2;

TimestampRules toy_rules(std::optional<int> max_initial = 3) {
  TimestampRules r;
  r.sample_begin = kBegin;
  r.eot = kEot;
  r.no_timestamps = kNoTs;
  r.timestamp_begin = kTs;
  r.max_initial_timestamp_index = max_initial;
  return r;
}

std::vector<float> apply(std::vector<int> tokens, std::vector<float> logits = {},
                         std::optional<int> max_initial = 3) {
  if (logits.empty()) logits.assign(kVocab, 0.0f);
  std::vector<float> scratch(kVocab);
  apply_timestamp_rules(logits.data(), kVocab, tokens, toy_rules(max_initial), scratch.data());
  return logits;
}

bool banned(const std::vector<float>& l, int id) {
  return l[id] == -kInf;
}

TEST(TimestampRules, FirstTokenIsATimestampNoLaterThanTheInitialCap) {
  // Uniform logits: timestamps (4 allowed) outweigh any single text token.
  const std::vector<float> l = apply({50, 51});
  for (int id = 0; id < kTs; ++id) EXPECT_TRUE(banned(l, id)) << id;
  for (int id = kTs; id <= kTs + 3; ++id) EXPECT_FALSE(banned(l, id)) << id;
  for (int id = kTs + 4; id < kVocab; ++id) EXPECT_TRUE(banned(l, id)) << id;
}

TEST(TimestampRules, NoInitialCapAllowsEveryTimestamp) {
  const std::vector<float> l = apply({50, 51}, {}, std::nullopt);
  for (int id = kTs; id < kVocab; ++id) EXPECT_FALSE(banned(l, id)) << id;
}

TEST(TimestampRules, AfterAnOpeningTimestampTextFollows) {
  // sampled: [ts3] -> last is a timestamp and (fewer than 2 sampled) counts as a closed pair.
  std::vector<float> logits(kVocab, 0.0f);
  logits[1] = 5.0f;  // a strong text token, so the sum rule does not ban text
  const std::vector<float> l = apply({50, 51, kTs + 3}, logits);
  for (int id = kTs; id < kVocab; ++id) EXPECT_TRUE(banned(l, id)) << id;
  EXPECT_FALSE(banned(l, 1));
  EXPECT_TRUE(banned(l, kNoTs));
}

TEST(TimestampRules, TimestampsNeverGoBackAndSegmentsHaveLength) {
  // sampled: [ts3, text] -> next timestamp must be > ts3.
  std::vector<float> logits(kVocab, 0.0f);
  logits[2] = 5.0f;
  const std::vector<float> l = apply({50, 51, kTs + 3, 1}, logits);
  for (int id = kTs; id <= kTs + 3; ++id) EXPECT_TRUE(banned(l, id)) << id;
  for (int id = kTs + 4; id < kVocab; ++id) EXPECT_FALSE(banned(l, id)) << id;
  EXPECT_FALSE(banned(l, 2));
  EXPECT_FALSE(banned(l, kEot));
}

TEST(TimestampRules, AClosingTimestampMayRepeatButTextMayNotFollowIt) {
  // sampled: [ts3, text, ts5] -> a pair is open: no text; timestamps >= ts5 (or eot).
  std::vector<float> logits(kVocab, 0.0f);
  logits[kEot] = 5.0f;  // likelier than the 5 allowed timestamps together
  const std::vector<float> l = apply({50, 51, kTs + 3, 1, kTs + 5}, logits);
  for (int id = 0; id < kEot; ++id) EXPECT_TRUE(banned(l, id)) << id;
  EXPECT_FALSE(banned(l, kEot));
  for (int id = kTs; id < kTs + 5; ++id) EXPECT_TRUE(banned(l, id)) << id;
  for (int id = kTs + 5; id < kVocab; ++id) EXPECT_FALSE(banned(l, id)) << id;
}

TEST(TimestampRules, AfterAPairComesText) {
  std::vector<float> logits(kVocab, 0.0f);
  logits[0] = 5.0f;
  const std::vector<float> l = apply({50, 51, kTs + 3, 1, kTs + 5, kTs + 5}, logits);
  for (int id = kTs; id < kVocab; ++id) EXPECT_TRUE(banned(l, id)) << id;
  EXPECT_FALSE(banned(l, 0));
}

TEST(TimestampRules, TimestampMassAboveBestTextTokenForcesATimestamp) {
  // After [ts1, text]: timestamps 12..19 allowed (8 of them at logit 0): log(8) = 2.08 > 2.0.
  std::vector<float> logits(kVocab, 0.0f);
  logits[0] = 2.0f;
  std::vector<float> l = apply({50, 51, kTs + 1, 3}, logits);
  for (int id = 0; id < kTs; ++id) EXPECT_TRUE(banned(l, id)) << id;
  // With the text token at 2.1 (> log 8) text stays allowed.
  logits[0] = 2.1f;
  l = apply({50, 51, kTs + 1, 3}, logits);
  EXPECT_FALSE(banned(l, 0));
  EXPECT_FALSE(banned(l, 4));
  EXPECT_FALSE(banned(l, kTs + 2));
}

TEST(TimestampRules, SuppressBlankOnlyAtTheFirstSampledToken) {
  std::vector<float> l(kVocab, 1.0f);
  const std::vector<int> blank = {3, kEot};
  suppress_blank(l.data(), kBegin + 1, kBegin, blank);
  EXPECT_FALSE(banned(l, 3));
  suppress_blank(l.data(), kBegin, kBegin, blank);
  EXPECT_TRUE(banned(l, 3));
  EXPECT_TRUE(banned(l, kEot));
  EXPECT_FALSE(banned(l, 2));
}

TEST(TimestampRules, FilterSetAppliesInOrder) {
  LogitFilters f;
  f.n_vocab = kVocab;
  f.blank = true;
  f.sample_begin = kBegin;
  f.blank_ids = {4, kEot};
  f.suppress = true;
  f.suppress_ids = {1, 6};
  std::vector<float> l(kVocab, 0.0f);
  std::vector<float> scratch(kVocab);
  const std::vector<int> tokens = {50, 51};
  f.apply(l.data(), tokens, scratch.data());
  EXPECT_TRUE(banned(l, 1));
  EXPECT_TRUE(banned(l, 4));
  EXPECT_TRUE(banned(l, 6));
  EXPECT_TRUE(banned(l, kEot));
  EXPECT_FALSE(banned(l, 0));
  EXPECT_FALSE(banned(l, kNoTs));  // timestamp rules are off
}

// ---- task setup -----------------------------------------------------------------------------

const Tokenizer& multilingual() {
  static const Tokenizer t =
      Tokenizer::from_tiktoken_file(test::repo_path("assets/multilingual.tiktoken"), 51865);
  return t;
}
const Tokenizer& english() {
  static const Tokenizer t =
      Tokenizer::from_tiktoken_file(test::repo_path("assets/gpt2.tiktoken"), 51864);
  return t;
}
ModelConfig config_for(const Tokenizer& t) {
  ModelConfig c;
  c.n_vocab = t.n_vocab();
  c.n_text_ctx = 448;
  c.n_audio_ctx = 1500;
  return c;
}

TEST(DecodingTaskSetup, DefaultsMatchOpenaiWhisper) {
  const Tokenizer& t = multilingual();
  DecodingOptions o;
  o.language = "en";
  TaskSetup s = make_task_setup(o, t, config_for(t));
  EXPECT_EQ(s.initial_tokens, (std::vector<int>{50258, 50259, 50359}));
  EXPECT_EQ(s.sample_begin, 3);
  EXPECT_EQ(s.sot_index, 0);
  EXPECT_EQ(s.sample_len, 224);
  EXPECT_EQ(s.n_group, 1);
  EXPECT_FALSE(s.search.beam);
  EXPECT_FALSE(s.detect_language);
  EXPECT_TRUE(s.filters.blank);
  EXPECT_EQ(s.filters.blank_ids, (std::vector<int>{220, 50257}));
  EXPECT_TRUE(s.filters.timestamps);
  ASSERT_TRUE(s.filters.rules.max_initial_timestamp_index.has_value());
  EXPECT_EQ(*s.filters.rules.max_initial_timestamp_index, 50);
  EXPECT_EQ(s.filters.rules.timestamp_begin, 50364);
  // Suppressed: non-speech symbols plus the task/control specials, sorted and unique.
  const auto& ids = s.filters.suppress_ids;
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  for (int sp : {50358, 50359, 50258, 50361, 50360, 50362})
    EXPECT_TRUE(std::binary_search(ids.begin(), ids.end(), sp)) << sp;
  EXPECT_FALSE(std::binary_search(ids.begin(), ids.end(), 50257));  // eot stays
  for (int ns : t.non_speech_tokens()) EXPECT_TRUE(std::binary_search(ids.begin(), ids.end(), ns));
}

TEST(DecodingTaskSetup, LanguageDetectionAndEnglishOnly) {
  const Tokenizer& t = multilingual();
  TaskSetup s = make_task_setup({}, t, config_for(t));
  EXPECT_TRUE(s.detect_language);
  EXPECT_EQ(s.initial_tokens.size(), 3u);  // the language slot is filled in after detection
  DecodingOptions o;
  o.language = "German";
  o.task = Task::Translate;
  s = make_task_setup(o, t, config_for(t));
  EXPECT_EQ(s.language, "de");
  EXPECT_EQ(s.initial_tokens, (std::vector<int>{50258, 50261, 50358}));

  const Tokenizer& e = english();
  s = make_task_setup({}, e, config_for(e));
  EXPECT_FALSE(s.detect_language);
  EXPECT_EQ(s.language, "en");
  EXPECT_EQ(s.initial_tokens, std::vector<int>{50257});
}

TEST(DecodingTaskSetup, PromptPrefixAndNoTimestamps) {
  const Tokenizer& t = multilingual();
  DecodingOptions o;
  o.language = "en";
  o.prompt = "  Hello world. ";
  o.prefix = "And so";
  o.without_timestamps = true;
  TaskSetup s = make_task_setup(o, t, config_for(t));
  const std::vector<int> prompt = t.encode(" Hello world.");
  const std::vector<int> prefix = t.encode(" And so");
  std::vector<int> want{t.sot_prev()};
  want.insert(want.end(), prompt.begin(), prompt.end());
  want.insert(want.end(), {50258, 50259, 50359, 50363});
  want.insert(want.end(), prefix.begin(), prefix.end());
  EXPECT_EQ(s.initial_tokens, want);
  EXPECT_EQ(s.sot_index, 1 + static_cast<int>(prompt.size()));
  EXPECT_EQ(s.sample_begin, static_cast<int>(want.size()));
  EXPECT_FALSE(s.filters.timestamps);

  // A long token prompt keeps its last n_text_ctx/2 - 1 = 223 tokens.
  DecodingOptions lp;
  lp.language = "en";
  for (int i = 0; i < 300; ++i) lp.prompt_tokens.push_back(1000 + i);
  s = make_task_setup(lp, t, config_for(t));
  EXPECT_EQ(s.sot_index, 224);
  EXPECT_EQ(s.initial_tokens[1], 1000 + 300 - 223);
}

TEST(DecodingTaskSetup, BeamAndSamplingGroups) {
  const Tokenizer& t = multilingual();
  DecodingOptions o;
  o.language = "en";
  o.beam_size = 5;
  o.patience = 1.5f;
  TaskSetup s = make_task_setup(o, t, config_for(t));
  EXPECT_TRUE(s.search.beam);
  EXPECT_EQ(s.n_group, 5);
  EXPECT_EQ(s.search.max_candidates, 8);  // round(7.5) = 8 (half to even)
  o = {};
  o.language = "en";
  o.temperature = 0.4f;
  o.best_of = 3;
  s = make_task_setup(o, t, config_for(t));
  EXPECT_FALSE(s.search.beam);
  EXPECT_EQ(s.n_group, 3);
}

TEST(DecodingTaskSetup, RejectsBadOptions) {
  const Tokenizer& t = multilingual();
  const ModelConfig c = config_for(t);
  auto bad = [&](auto edit) {
    DecodingOptions o;
    o.language = "en";
    edit(o);
    EXPECT_THROW(make_task_setup(o, t, c), Error);
  };
  bad([](DecodingOptions& o) { o.beam_size = 2, o.best_of = 2, o.temperature = 0.5f; });
  bad([](DecodingOptions& o) { o.best_of = 2; });
  bad([](DecodingOptions& o) { o.patience = 2.0f; });
  bad([](DecodingOptions& o) { o.beam_size = 2, o.length_penalty = 1.5f; });
  bad([](DecodingOptions& o) { o.beam_size = 0; });
  bad([](DecodingOptions& o) { o.language = "xx"; });
  bad([](DecodingOptions& o) { o.temperature = -1.0f; });
  bad([](DecodingOptions& o) { o.suppress_tokens = "1,abc"; });
  bad([](DecodingOptions& o) { o.suppress_tokens = "99999999"; });
  bad([](DecodingOptions& o) { o.prompt_tokens = {1, 2, 60000}; });
  bad([](DecodingOptions& o) { o.prefix_tokens = std::vector<int>(500, 11); });
  ModelConfig wrong = c;
  wrong.n_vocab = 51864;
  EXPECT_THROW(make_task_setup({}, t, wrong), Error);
}

TEST(DecodingTaskSetup, SuppressTokenSpecs) {
  const Tokenizer& t = multilingual();
  EXPECT_TRUE(suppress_token_ids("", t).empty());
  const std::vector<int> two = suppress_token_ids(" 7, 3 ", t);
  EXPECT_EQ(two, (std::vector<int>{3, 7, 50258, 50358, 50359, 50360, 50361, 50362}));
  const std::vector<int> both = suppress_token_ids("-1,9", t);
  EXPECT_TRUE(std::binary_search(both.begin(), both.end(), 9));
  const auto& ns = t.non_speech_tokens();
  const size_t extra = std::binary_search(ns.begin(), ns.end(), 9) ? 0 : 1;
  EXPECT_EQ(both.size(), ns.size() + 6 + extra);
}

TEST(DecodingTaskSetup, PythonStringHelpers) {
  EXPECT_EQ(python_strip("  hi there \n\t"), "hi there");
  EXPECT_EQ(python_strip("\xe3\x80\x80x\xc2\xa0"), "x");  // U+3000, U+00A0
  EXPECT_EQ(python_strip("   "), "");
  EXPECT_EQ(python_strip(""), "");
  EXPECT_EQ(python_strip(" \xff "), "\xff");  // invalid bytes are kept
  EXPECT_EQ(python_strip("\xe4\xbd\xa0 "), "\xe4\xbd\xa0");
  const std::vector<int> v{1, 2, 3, 4};
  EXPECT_EQ(python_tail(v, 2), (std::vector<int>{3, 4}));
  EXPECT_EQ(python_tail(v, 9), v);
  EXPECT_EQ(python_tail(v, 0), v);  // list[-0:] is the whole list
  EXPECT_EQ(python_tail(v, -1), (std::vector<int>{2, 3, 4}));
  EXPECT_TRUE(python_tail(v, -7).empty());
}

}  // namespace
}  // namespace tessera::decoder
