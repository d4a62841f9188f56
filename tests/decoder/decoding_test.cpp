// Whole-window decoding on real models and audio: greedy, beam search, language detection,
// timestamps, batching of windows, fallback, and no allocation per token.
#include "tessera/decoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "decoder/decoding_task.h"
#include "decoder_test_util.h"
#include "support/heap_counter.h"
#include "tessera/error.h"


namespace tessera {
namespace {

const std::string kJfk =
    "And so my fellow Americans, ask not what your country can do for you, ask what you can do "
    "for your country.";

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != s.npos;
}

// Every pair of timestamps is increasing and inside the window; the text between them is the text.
void expect_well_formed_timestamps(const Tokenizer& tok, const std::vector<int>& tokens) {
  ASSERT_FALSE(tokens.empty());
  EXPECT_TRUE(tok.is_timestamp(tokens.front()));
  int last = -1;
  for (int t : tokens)
    if (tok.is_timestamp(t)) {
      EXPECT_GE(t, last);
      last = t;
    }
}

TEST(DecodingBase, JfkGreedyGivesTheKnownSentence) {
  TESSERA_REQUIRE_MODEL("base");
  auto model = test::shared_model("base");
  DecodingSession s(model, test::model_tokenizer("base"), {.threads = 2, .max_windows = 2});
  const auto& audio = test::encoded_clip("base", "jfk.wav");
  DecodingOptions o;  // language detected, timestamps on: openai-whisper's defaults
  const DecodingResult r = s.decode(audio.data(), o);
  EXPECT_EQ(r.language, "en");
  ASSERT_FALSE(r.language_probs.empty());
  float en = 0;
  for (const auto& lp : r.language_probs)
    if (lp.code == "en") en = lp.probability;
  EXPECT_GT(en, 0.9f);
  EXPECT_TRUE(contains(r.text, "ask not what your country can do for you")) << r.text;
  EXPECT_TRUE(contains(r.text, "my fellow Americans")) << r.text;
  expect_well_formed_timestamps(s.tokenizer(), r.tokens);
  EXPECT_LT(r.no_speech_prob, 0.1);
  EXPECT_GT(r.avg_logprob, -0.5);
  EXPECT_TRUE(r.compression_ratio > 1.0 && r.compression_ratio < 2.4) << r.compression_ratio;
  EXPECT_EQ(r.temperature, 0.0f);

  // Without timestamps, with the language given: the sentence openai-whisper gives (modulo the
  // comma after "Americans", which depends on the exact float rounding).
  o.language = "en";
  o.without_timestamps = true;
  const DecodingResult plain = s.decode(audio.data(), o);
  EXPECT_TRUE(plain.language_probs.empty());
  std::string text = plain.text;
  if (!contains(text, "Americans,")) text.replace(text.find("Americans"), 9, "Americans,");
  EXPECT_EQ(text, kJfk) << plain.text;
  for (int t : plain.tokens) EXPECT_FALSE(s.tokenizer().is_timestamp(t));
}

TEST(DecodingBase, DetectLanguageOnJfk) {
  TESSERA_REQUIRE_MODEL("base");
  DecodingSession s(test::shared_model("base"), test::model_tokenizer("base"), {.threads = 2});
  const float* f[] = {test::encoded_clip("base", "jfk.wav").data()};
  const auto probs = s.detect_language(f);
  ASSERT_EQ(probs.size(), 1u);
  ASSERT_EQ(probs[0].size(), 99u);
  double total = 0;
  const LanguageProbability* best = &probs[0][0];
  for (const auto& p : probs[0]) {
    total += p.probability;
    if (p.probability > best->probability) best = &p;
  }
  EXPECT_NEAR(total, 1.0, 1e-4);
  EXPECT_EQ(best->code, "en");
  EXPECT_GT(best->probability, 0.9f);
}

TEST(DecodingBase, BeamSearchAndBatchedWindowsMatchSingleWindows) {
  TESSERA_REQUIRE_MODEL("base");
  DecodingSession s(test::shared_model("base"), test::model_tokenizer("base"),
                    {.threads = 2, .max_windows = 2, .max_group = 5});
  const auto& jfk = test::encoded_clip("base", "jfk.wav");
  const auto& other = test::encoded_clip("base", "61-70968-0002.wav");
  DecodingOptions beam;
  beam.language = "en";
  beam.beam_size = 5;
  const DecodingResult one = s.decode(jfk.data(), beam);
  EXPECT_TRUE(contains(one.text, "ask not what your country can do for you")) << one.text;
  EXPECT_TRUE(contains(one.text, "ask what you can do for your country")) << one.text;

  DecodingOptions greedy;
  greedy.language = "en";
  const DecodingResult alone = s.decode(other.data(), greedy);
  EXPECT_TRUE(contains(alone.text, "golden fortune")) << alone.text;

  // The two together in one batch (one with 5 beams, one greedy) give the same results.
  const DecodingJob jobs[] = {{jfk.data(), beam}, {other.data(), greedy}};
  const std::vector<DecodingResult> both = s.decode(jobs);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].tokens, one.tokens);
  EXPECT_EQ(both[1].tokens, alone.tokens);
  EXPECT_NEAR(both[0].avg_logprob, one.avg_logprob, 1e-4);
  EXPECT_NEAR(both[1].no_speech_prob, alone.no_speech_prob, 1e-4);

  // Three jobs through a 2-window session run in two rounds.
  const DecodingJob three[] = {{other.data(), greedy}, {jfk.data(), beam}, {other.data(), greedy}};
  const std::vector<DecodingResult> rounds = s.decode(three);
  EXPECT_EQ(rounds[0].tokens, alone.tokens);
  EXPECT_EQ(rounds[1].tokens, one.tokens);
  EXPECT_EQ(rounds[2].tokens, alone.tokens);
}

TEST(DecodingTinyEn, JfkGreedyAndBeam) {
  TESSERA_REQUIRE_MODEL("tiny.en");
  DecodingSession s(test::shared_model("tiny.en"), test::model_tokenizer("tiny.en"),
                    {.threads = 2});
  const auto& jfk = test::encoded_clip("tiny.en", "jfk.wav");
  DecodingOptions o;
  const DecodingResult r = s.decode(jfk.data(), o);
  EXPECT_EQ(r.language, "en");
  EXPECT_TRUE(contains(r.text, "ask not what your country can do for you")) << r.text;
  expect_well_formed_timestamps(s.tokenizer(), r.tokens);
  o.beam_size = 5;
  o.without_timestamps = true;
  const DecodingResult b = s.decode(jfk.data(), o);
  EXPECT_TRUE(contains(b.text, "ask not what your country can do for you")) << b.text;
  EXPECT_THROW(s.detect_language(std::vector<const float*>{jfk.data()}), Error);  // English-only

  // Half-precision attention caches give the same transcript.
  DecodingSession h(test::shared_model("tiny.en"), test::model_tokenizer("tiny.en"),
                    {.threads = 2, .max_group = 1, .cache_dtype = DType::F16});
  const DecodingResult hr = h.decode(jfk.data(), DecodingOptions{});
  EXPECT_EQ(hr.text, r.text);
}

TEST(DecodingTinyEn, PromptSamplingFallbackAndErrors) {
  TESSERA_REQUIRE_MODEL("tiny.en");
  DecodingSession s(test::shared_model("tiny.en"), test::model_tokenizer("tiny.en"),
                    {.threads = 2, .max_windows = 1, .max_group = 3});
  const auto& jfk = test::encoded_clip("tiny.en", "jfk.wav");
  DecodingOptions o;
  o.prompt = "President Kennedy's inaugural address.";
  o.without_timestamps = true;
  const DecodingResult p = s.decode(jfk.data(), o);
  EXPECT_TRUE(contains(p.text, "your country")) << p.text;

  DecodingOptions t;
  t.temperature = 0.5f;
  t.best_of = 3;
  t.seed = 42;
  const DecodingResult a = s.decode(jfk.data(), t), b = s.decode(jfk.data(), t);
  EXPECT_EQ(a.tokens, b.tokens);  // seeded
  EXPECT_EQ(a.temperature, 0.5f);
  EXPECT_TRUE(contains(a.text, "country")) << a.text;

  // Fallback: a clean clip passes at temperature 0.
  DecodingJob job{jfk.data(), {}};
  job.options.beam_size = 3;
  job.options.best_of = 3;
  const auto fb = s.decode_with_fallback({&job, 1});
  EXPECT_EQ(fb[0].temperature, 0.0f);
  // Impossible thresholds: every temperature is tried, the last result is returned.
  FallbackOptions strict;
  strict.temperatures = {0.0f, 0.7f};
  strict.logprob_threshold = 0.5;
  strict.no_speech_threshold.reset();
  const auto last = s.decode_with_fallback({&job, 1}, strict);
  EXPECT_EQ(last[0].temperature, 0.7f);

  DecodingOptions too_many;
  too_many.beam_size = 5;  // more than max_group 3
  EXPECT_THROW(s.decode(jfk.data(), too_many), Error);
  EXPECT_THROW(s.decode(nullptr, {}), Error);
  DecodingOptions sample_len;
  sample_len.sample_len = 3;
  sample_len.without_timestamps = true;
  EXPECT_EQ(s.decode(jfk.data(), sample_len).tokens.size(), 3u);
}

TEST(DecodingTinyEn, TokensDoNotAllocate) {
  TESSERA_REQUIRE_MODEL("tiny.en");
  DecodingSession s(test::shared_model("tiny.en"), test::model_tokenizer("tiny.en"),
                    {.threads = 2});
  const auto& jfk = test::encoded_clip("tiny.en", "jfk.wav");
  // Allocations of a decode, less those of building the result text (the tokenizer's decode and
  // the strip grow their strings with the text): what is left must not depend on the length.
  auto allocations = [&](int sample_len, std::optional<int> beam) {
    DecodingOptions o;
    o.sample_len = sample_len;
    o.beam_size = beam;
    o.without_timestamps = true;
    s.decode(jfk.data(), o);  // warm-up
    long before = test::heap_allocations();
    const DecodingResult r = s.decode(jfk.data(), o);
    const long total = test::heap_allocations() - before;
    EXPECT_EQ(static_cast<int>(r.tokens.size()), sample_len);
    before = test::heap_allocations();
    const std::string text = decoder::python_strip(s.tokenizer().decode(r.tokens));
    return total - (test::heap_allocations() - before);
  };
  EXPECT_EQ(allocations(12, std::nullopt), allocations(24, std::nullopt));
  EXPECT_EQ(allocations(12, 3), allocations(24, 3));
}

TEST(CompressionRatio, MatchesPythonZlib) {
  // Values from Python: len(b) / len(zlib.compress(b)).
  EXPECT_NEAR(compression_ratio("hello hello hello hello hello hello"), 35.0 / 17.0, 1e-12);
  EXPECT_EQ(compression_ratio(""), 0.0);
  EXPECT_NEAR(compression_ratio(kJfk), 107.0 / 79.0, 1e-12);
}

}  // namespace
}  // namespace tessera
