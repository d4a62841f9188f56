// openai-whisper's logit filters (SuppressBlank, SuppressTokens, ApplyTimestampRules), applied in
// place to one row of logits given the tokens of that sequence so far (prompt and sot sequence
// included).
#pragma once

#include <optional>
#include <span>
#include <vector>

namespace tessera::decoder {

struct TimestampRules {
  int sample_begin = 0;  // index of the first sampled token in the token list
  int eot = 0;
  int no_timestamps = 0;
  int timestamp_begin = 0;                         // <|0.00|>
  std::optional<int> max_initial_timestamp_index;  // round(max_initial_timestamp / 0.02)
};

// SuppressBlank: at the first sampled position, forbid `blank_ids` (encode(" ") and eot).
void suppress_blank(float* logits, int n_tokens, int sample_begin, std::span<const int> blank_ids);
// SuppressTokens: forbid every id in `ids`.
void suppress_tokens(float* logits, std::span<const int> ids);
// ApplyTimestampRules for one row of n_vocab logits. `scratch` holds n_vocab floats.
void apply_timestamp_rules(float* logits, int n_vocab, std::span<const int> tokens,
                           const TimestampRules& rules, float* scratch);

// The filters of one decoding task, in openai-whisper's order.
struct LogitFilters {
  int n_vocab = 0;
  bool blank = false;
  int sample_begin = 0;
  std::vector<int> blank_ids;
  bool suppress = false;
  std::vector<int> suppress_ids;
  bool timestamps = false;
  TimestampRules rules;

  void apply(float* logits, std::span<const int> tokens, float* scratch) const;
};

}  // namespace tessera::decoder
