// Greedy, sampling and beam search on a toy next-token distribution, checked by hand against
// openai-whisper's GreedyDecoder / BeamSearchDecoder / MaximumLikelihoodRanker.
#include "decoder/token_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "tessera/error.h"

namespace tessera::decoder {
namespace {

constexpr int kVocab = 6, kEot = 5, kStart = 100;

// p(next | last token) as logits (log p; unlisted tokens get a negligible logit).
std::vector<float> toy_logits(int last) {
  static const std::map<int, std::map<int, float>> table = {
      {kStart, {{0, 0.5f}, {1, 0.3f}, {2, 0.2f}}},
      {0, {{kEot, 0.3f}, {3, 0.35f}, {4, 0.35f}}},
      {1, {{kEot, 0.9f}, {3, 0.05f}, {4, 0.05f}}},
      {3, {{kEot, 0.9f}, {0, 0.1f}}},
      {4, {{kEot, 0.5f}, {0, 0.5f}}},
      {2, {{kEot, 1.0f}}},
  };
  std::vector<float> l(kVocab, -40.0f);
  for (auto [tok, p] : table.at(last)) l[tok] = std::log(p);
  return l;
}

std::vector<int> as_vector(std::span<const int> s) {
  return {s.begin(), s.end()};
}

SearchConfig config(int group, bool beam, float temperature = 0, std::optional<float> lp = {}) {
  SearchConfig c;
  c.n_group = group;
  c.beam = beam;
  c.max_candidates = group;
  c.temperature = temperature;
  c.eot = kEot;
  c.sample_begin = 1;
  c.max_tokens = 16;
  c.length_penalty = lp;
  return c;
}

// Runs the search to completion the way DecodingSession does (member rows from their own tokens).
void run(TokenSearch& s, int max_steps = 10) {
  std::vector<float> scratch(kVocab);
  std::vector<std::vector<float>> rows(s.group());
  for (int step = 0; step < max_steps && !s.completed(); ++step) {
    std::vector<float*> ptrs(s.group(), nullptr);
    for (int k = 0; k < s.group(); ++k) {
      if (!s.active(k)) continue;
      rows[k] = toy_logits(s.tokens(k).back());
      ptrs[k] = rows[k].data();
    }
    s.update(ptrs, kVocab, scratch.data());
  }
}

TEST(TokenSearch, GreedyFollowsTheArgmaxAndSumsLogProbs) {
  TokenSearch s;
  const std::vector<int> init{kStart};
  s.reset(config(1, false), init);
  run(s);
  EXPECT_TRUE(s.completed());
  TokenSearch::Choice c = s.finalize();
  EXPECT_EQ(c.tokens, (std::vector<int>{0, 3}));  // tie 3/4 -> first index
  EXPECT_NEAR(c.sum_logprob, std::log(0.5 * 0.35 * 0.9), 1e-4);
}

TEST(TokenSearch, BeamSearchCollectsFinishedCandidatesAndRanksByLength) {
  TokenSearch s;
  const std::vector<int> init{kStart};
  s.reset(config(2, true), init);
  std::vector<float> scratch(kVocab);
  // Step 1: both beams identical -> candidates from one beam only.
  std::vector<float> row = toy_logits(kStart);
  std::vector<float*> same(2, row.data());
  s.update(same, kVocab, scratch.data());
  EXPECT_EQ(s.tokens(0).back(), 0);
  EXPECT_EQ(s.tokens(1).back(), 1);
  ASSERT_EQ(s.sources().size(), 2u);
  EXPECT_EQ(s.sources()[0], 0);
  EXPECT_EQ(s.sources()[1], 0);
  EXPECT_FALSE(s.completed());
  // Step 2: [1, eot] (0.27) finishes; beams become [0, 3] and [0, 4] (0.175 each), both from 0.
  std::vector<float> r0 = toy_logits(0), r1 = toy_logits(1);
  std::vector<float*> rows{r0.data(), r1.data()};
  s.update(rows, kVocab, scratch.data());
  EXPECT_EQ(as_vector(s.tokens(0)), (std::vector<int>{kStart, 0, 3}));
  EXPECT_EQ(as_vector(s.tokens(1)), (std::vector<int>{kStart, 0, 4}));
  EXPECT_EQ(s.sources()[0], 0);
  EXPECT_EQ(s.sources()[1], 0);
  EXPECT_NEAR(s.sum_logprob(0), std::log(0.175), 1e-4);
  EXPECT_FALSE(s.completed());
  // Step 3: [0, 3, eot] (0.1575) finishes -> two finished, done.
  run(s);
  EXPECT_TRUE(s.completed());
  // Length-normalised: log(.1575)/2 = -0.92 beats log(.27)/1 = -1.31.
  TokenSearch::Choice c = s.finalize();
  EXPECT_EQ(c.tokens, (std::vector<int>{0, 3}));
  EXPECT_NEAR(c.sum_logprob, std::log(0.1575), 1e-4);

  // With length_penalty 0 the penalty is 1: the raw log-probability picks [1].
  TokenSearch t;
  t.reset(config(2, true, 0, 0.0f), init);
  run(t);
  c = t.finalize();
  EXPECT_EQ(c.tokens, std::vector<int>{1});
  EXPECT_NEAR(c.sum_logprob, std::log(0.27), 1e-4);
}

TEST(TokenSearch, UnfinishedBeamsFillTheCandidatesWhenStepsRunOut) {
  TokenSearch s;
  const std::vector<int> init{kStart};
  s.reset(config(2, true), init);
  run(s, 1);  // one step only: nothing finished
  EXPECT_FALSE(s.completed());
  TokenSearch::Choice c = s.finalize();
  // Candidates [0] (log .5 / 1) and [1] (log .3 / 1).
  EXPECT_EQ(c.tokens, std::vector<int>{0});
}

TEST(TokenSearch, SamplingFollowsTheDistributionAndIsSeeded) {
  const std::vector<int> init{kStart};
  auto counts = [&](uint64_t seed) {
    TokenSearch s;
    SearchConfig c = config(400, false, 1.0f);
    c.seed = seed;
    s.reset(c, init);
    std::vector<float> row = toy_logits(kStart), scratch(kVocab);
    std::vector<float*> rows(400, row.data());
    s.update(rows, kVocab, scratch.data());
    std::vector<int> n(kVocab, 0);
    for (int k = 0; k < 400; ++k) ++n[s.tokens(k).back()];
    // Every member forks from the first one's cache after the first step.
    EXPECT_EQ(s.sources().size(), 400u);
    return n;
  };
  const std::vector<int> a = counts(1), b = counts(1), c = counts(2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NEAR(a[0], 200, 40);
  EXPECT_NEAR(a[1], 120, 35);
  EXPECT_NEAR(a[2], 80, 30);
  EXPECT_EQ(a[3] + a[4] + a[5], 0);
}

TEST(TokenSearch, RankerPenalties) {
  const std::vector<int> len{2, 10};
  const std::vector<float> lp{-2.0f, -8.0f};
  EXPECT_EQ(rank_by_likelihood(len, lp, std::nullopt), 1);  // -1.0 vs -0.8
  EXPECT_EQ(rank_by_likelihood(len, lp, 0.0f), 0);          // raw
  // ((5+2)/6)^1 = 1.167 -> -1.71; ((5+10)/6)^1 = 2.5 -> -3.2
  EXPECT_EQ(rank_by_likelihood(len, lp, 1.0f), 0);
  const std::vector<float> tie{-4.0f, -20.0f};
  EXPECT_EQ(rank_by_likelihood(len, tie, std::nullopt), 0);  // equal scores: the first
}

TEST(TokenSearch, RejectsBadConfigurationAndRows) {
  TokenSearch s;
  const std::vector<int> init{kStart};
  EXPECT_THROW(s.reset(config(0, false), init), Error);
  SearchConfig c = config(2, true);
  c.max_candidates = 0;
  EXPECT_THROW(s.reset(c, init), Error);
  s.reset(config(2, false, 0.5f), init);
  std::vector<float> row = toy_logits(kStart), scratch(kVocab);
  std::vector<float*> one{row.data()};
  EXPECT_THROW(s.update(one, kVocab, scratch.data()), Error);
}

}  // namespace
}  // namespace tessera::decoder
