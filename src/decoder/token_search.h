// How the next tokens are chosen for one window's group of sequences: openai-whisper's
// GreedyDecoder (argmax, or sampling at a temperature, best_of independent samples) and
// BeamSearchDecoder (beam_size beams, patience, finished candidates), then MaximumLikelihoodRanker.
//
// Logits rows come in already filtered. reset() sizes every buffer for the longest possible
// sequence, so update() allocates nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

namespace tessera::decoder {

struct SearchConfig {
  int n_group = 1;  // beams, or independent samples
  bool beam = false;
  int max_candidates = 1;  // beam: round(beam_size * patience) finished sequences to collect
  float temperature = 0;   // greedy: 0 = argmax, else sample
  int eot = 0;
  int sample_begin = 0;  // tokens before this index are the prompt / sot sequence
  int max_tokens = 0;    // longest token list ever held (n_text_ctx + 1)
  uint64_t seed = 0;
  std::optional<float> length_penalty;
};

// MaximumLikelihoodRanker: index of the best (first on ties) sum_logprob / penalty, where the
// penalty is the length, or ((5 + length) / 6)^alpha with a length penalty alpha.
int rank_by_likelihood(std::span<const int> lengths, std::span<const float> sum_logprobs,
                       std::optional<float> length_penalty);

class TokenSearch {
 public:
  void reset(const SearchConfig& config, std::span<const int> initial_tokens);

  int group() const { return config_.n_group; }
  // Whether member k takes part in the next step (a greedy sample stops at eot; beams never).
  bool active(int k) const { return !config_.beam ? !ended_[k] : true; }
  std::span<const int> tokens(int k) const { return tokens_[k]; }
  float sum_logprob(int k) const { return sum_logprobs_[k]; }
  // Length of the token lists as openai-whisper holds them (finished samples padded with eot).
  int length() const { return length_; }

  // One step: rows[k] holds member k's filtered logits (rows may be shared while members are
  // still identical; inactive members are ignored). scratch: n_vocab floats.
  void update(std::span<float* const> rows, int n_vocab, float* scratch);
  bool completed() const { return completed_; }
  // After update(): member k now continues the cache of member sources()[k]; empty if nothing
  // moved.
  std::span<const int> sources() const { return {sources_.data(), n_sources_}; }
  // Whether member k's tokens equal an earlier member's (so its logits equal that member's).
  int duplicate_of(int k) const;

  struct Choice {
    std::vector<int> tokens;  // from sample_begin up to (not including) the first eot
    float sum_logprob = 0;
  };
  Choice finalize() const;

 private:
  void update_greedy(std::span<float* const> rows, int n_vocab, float* scratch);
  void update_beam(std::span<float* const> rows, int n_vocab, float* scratch);
  int sample(const float* row, int n_vocab, float* scratch);

  struct Candidate {
    float score;
    int source;
    int token;
  };
  struct Finished {
    std::vector<int> tokens;
    float score = 0;
  };

  SearchConfig config_;
  int length_ = 0;
  bool completed_ = false;
  std::vector<std::vector<int>> tokens_, next_tokens_;
  std::vector<float> sum_logprobs_, next_sum_;
  std::vector<char> ended_;
  std::vector<int> sources_;
  size_t n_sources_ = 0;
  std::vector<Candidate> candidates_, newly_finished_;
  std::vector<Finished> finished_;
  int n_finished_ = 0;
  std::vector<int> top_index_;
  std::vector<float> top_value_;
  std::mt19937_64 rng_;
};

}  // namespace tessera::decoder
