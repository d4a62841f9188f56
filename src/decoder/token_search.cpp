#include "decoder/token_search.h"

#include <algorithm>
#include <cmath>

#include "decoder/vector_math.h"
#include "tessera/error.h"

namespace tessera::decoder {

int rank_by_likelihood(std::span<const int> lengths, std::span<const float> sum_logprobs,
                       std::optional<float> length_penalty) {
  int best = -1;
  double best_score = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    const double penalty = length_penalty
                               ? std::pow((5.0 + lengths[i]) / 6.0, double{*length_penalty})
                               : static_cast<double>(lengths[i]);
    const double score = static_cast<double>(sum_logprobs[i]) / penalty;
    // np.argmax: the first maximum; NaN counts as the maximum.
    if (best < 0 || score > best_score || (std::isnan(score) && !std::isnan(best_score))) {
      best = static_cast<int>(i);
      best_score = score;
    }
  }
  return best;
}

void TokenSearch::reset(const SearchConfig& config, std::span<const int> initial_tokens) {
  if (config.n_group < 1) throw Error("decoding: group size must be at least 1");
  if (config.beam && config.max_candidates < 1)
    throw Error("decoding: beam search needs max_candidates >= 1");
  config_ = config;
  const int n = config.n_group;
  const size_t cap =
      static_cast<size_t>(std::max<int>(config.max_tokens, initial_tokens.size()) + 2);
  auto init = [&](std::vector<std::vector<int>>& v) {
    v.resize(n);
    for (auto& t : v) {
      t.reserve(cap);
      t.assign(initial_tokens.begin(), initial_tokens.end());
    }
  };
  init(tokens_);
  init(next_tokens_);
  length_ = static_cast<int>(initial_tokens.size());
  completed_ = false;
  sum_logprobs_.assign(n, 0.0f);
  next_sum_.assign(n, 0.0f);
  ended_.assign(n, 0);
  sources_.assign(n, 0);
  n_sources_ = 0;
  const int per_beam = n + 1;
  candidates_.clear();
  candidates_.reserve(static_cast<size_t>(n) * per_beam);
  newly_finished_.clear();
  newly_finished_.reserve(static_cast<size_t>(n) * per_beam);
  finished_.resize(config.beam ? std::max(config.max_candidates, n) : 0);
  for (Finished& f : finished_) {
    f.tokens.clear();
    f.tokens.reserve(cap);
  }
  n_finished_ = 0;
  top_index_.assign(per_beam, 0);
  top_value_.assign(per_beam, 0.0f);
  rng_.seed(config.seed);
}

int TokenSearch::duplicate_of(int k) const {
  for (int j = 0; j < k; ++j)
    if (tokens_[j] == tokens_[k]) return j;
  return -1;
}

void TokenSearch::update(std::span<float* const> rows, int n_vocab, float* scratch) {
  if (static_cast<int>(rows.size()) != config_.n_group)
    throw Error("decoding: logits rows do not match the group size");
  n_sources_ = 0;
  if (config_.beam)
    update_beam(rows, n_vocab, scratch);
  else
    update_greedy(rows, n_vocab, scratch);
  ++length_;
}

int TokenSearch::sample(const float* row, int n_vocab, float* scratch) {
  // Categorical(logits=logits / temperature).sample()
  for (int i = 0; i < n_vocab; ++i) scratch[i] = row[i] / config_.temperature;
  softmax_inplace(scratch, n_vocab);
  double total = 0;
  for (int i = 0; i < n_vocab; ++i) total += scratch[i];
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_) * total;
  double acc = 0;
  int last_positive = 0;
  for (int i = 0; i < n_vocab; ++i) {
    if (scratch[i] <= 0) continue;
    acc += scratch[i];
    last_positive = i;
    if (u < acc) return i;
  }
  return last_positive;
}

void TokenSearch::update_greedy(std::span<float* const> rows, int n_vocab, float* scratch) {
  bool all_ended = true;
  for (int k = 0; k < config_.n_group; ++k) {
    if (ended_[k]) continue;
    const float* row = rows[k];
    const int next = config_.temperature == 0 ? static_cast<int>(argmax_f32(row, n_vocab))
                                              : sample(row, n_vocab, scratch);
    const float logprob = row[next] - logsumexp_f32(row, n_vocab);
    sum_logprobs_[k] += logprob;
    tokens_[k].push_back(next);
    if (next == config_.eot)
      ended_[k] = 1;
    else
      all_ended = false;
  }
  completed_ = all_ended;
  // The first step ran one sequence for the whole (identical) group: the others copy its cache.
  if (length_ == config_.sample_begin && config_.n_group > 1) {
    for (int k = 0; k < config_.n_group; ++k) sources_[k] = 0;
    n_sources_ = config_.n_group;
  }
}

void TokenSearch::update_beam(std::span<float* const> rows, int n_vocab, float* /*scratch*/) {
  const int beams = config_.n_group;
  const int per_beam = beams + 1;
  candidates_.clear();
  // STEP 1: cumulative log probabilities of each beam's top beam_size + 1 continuations. Beams
  // equal to an earlier one (all of them at the first step) would only repeat its candidates.
  for (int j = 0; j < beams; ++j) {
    if (duplicate_of(j) >= 0) continue;
    // The top of log_softmax(row) is the top of the row, shifted by its log-sum-exp: no pass
    // that writes the log-probabilities of the whole vocabulary.
    const float lse = logsumexp_f32(rows[j], n_vocab);
    const int got = top_k_f32(rows[j], n_vocab, per_beam, top_index_.data(), top_value_.data());
    for (int t = 0; t < got; ++t)
      candidates_.push_back({sum_logprobs_[j] + (top_value_[t] - lse), j, top_index_[t]});
  }
  // STEP 2: best first (stable, like Python's sorted), keep beam_size unfinished ones.
  for (size_t i = 1; i < candidates_.size(); ++i) {
    const Candidate c = candidates_[i];
    size_t p = i;
    while (p > 0 && candidates_[p - 1].score < c.score) {
      candidates_[p] = candidates_[p - 1];
      --p;
    }
    candidates_[p] = c;
  }
  newly_finished_.clear();
  int saved = 0;
  for (const Candidate& c : candidates_) {
    if (c.token == config_.eot) {
      newly_finished_.push_back(c);
    } else {
      std::vector<int>& t = next_tokens_[saved];
      t.assign(tokens_[c.source].begin(), tokens_[c.source].end());
      t.push_back(c.token);
      next_sum_[saved] = c.score;
      sources_[saved] = c.source;
      if (++saved == beams) break;
    }
  }
  if (saved < beams)
    throw Error("decoding: beam search found " + std::to_string(saved) + " continuations for " +
                std::to_string(beams) + " beams (vocabulary too small)");
  // Finished candidates join the list until it is full (they are already best first).
  for (const Candidate& c : newly_finished_) {
    if (n_finished_ >= config_.max_candidates) break;
    Finished& f = finished_[n_finished_++];
    f.tokens.assign(tokens_[c.source].begin(), tokens_[c.source].end());
    f.tokens.push_back(config_.eot);
    f.score = c.score;
  }
  std::swap(tokens_, next_tokens_);
  std::swap(sum_logprobs_, next_sum_);
  n_sources_ = beams;
  completed_ = n_finished_ >= config_.max_candidates;
}

TokenSearch::Choice TokenSearch::finalize() const {
  std::vector<std::vector<int>> seqs;
  std::vector<float> scores;
  if (config_.beam) {
    for (int i = 0; i < n_finished_; ++i) {
      seqs.push_back(finished_[i].tokens);
      scores.push_back(finished_[i].score);
    }
    if (n_finished_ < config_.n_group) {
      // Not enough finished: add the live beams, best first (numpy's argsort reversed: ties go
      // to the higher index first).
      std::vector<int> order(config_.n_group);
      for (int j = 0; j < config_.n_group; ++j) order[j] = j;
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int b) { return sum_logprobs_[a] < sum_logprobs_[b]; });
      std::reverse(order.begin(), order.end());
      for (int j : order) {
        std::vector<int> s = tokens_[j];
        s.push_back(config_.eot);
        seqs.push_back(std::move(s));
        scores.push_back(sum_logprobs_[j]);
        if (static_cast<int>(seqs.size()) >= config_.n_group) break;
      }
    }
  } else {
    for (int k = 0; k < config_.n_group; ++k) {
      std::vector<int> s = tokens_[k];
      s.push_back(config_.eot);  // every sequence ends with at least one eot
      seqs.push_back(std::move(s));
      scores.push_back(sum_logprobs_[k]);
    }
  }
  std::vector<int> lengths(seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) {
    auto& s = seqs[i];
    // t[sample_begin : index of the first eot] (an eot inside the prompt leaves nothing).
    auto begin = s.begin() + std::min<size_t>(config_.sample_begin, s.size());
    auto end = std::max(begin, std::find(s.begin(), s.end(), config_.eot));
    s = std::vector<int>(begin, end);
    lengths[i] = static_cast<int>(s.size());
  }
  const int best = rank_by_likelihood(lengths, scores, config_.length_penalty);
  Choice c;
  if (best >= 0) {
    c.tokens = seqs[best];
    c.sum_logprob = scores[best];
  }
  return c;
}

}  // namespace tessera::decoder
