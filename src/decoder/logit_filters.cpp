#include "decoder/logit_filters.h"

#include <limits>

#include "decoder/vector_math.h"

namespace tessera::decoder {
namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void fill_neg_inf(float* logits, int begin, int end) {
  for (int i = begin; i < end; ++i) logits[i] = kNegInf;
}
}  // namespace

void suppress_blank(float* logits, int n_tokens, int sample_begin, std::span<const int> blank_ids) {
  if (n_tokens != sample_begin) return;
  for (int id : blank_ids) logits[id] = kNegInf;
}

void suppress_tokens(float* logits, std::span<const int> ids) {
  for (int id : ids) logits[id] = kNegInf;
}

void apply_timestamp_rules(float* logits, int n_vocab, std::span<const int> tokens,
                           const TimestampRules& r, float* scratch) {
  const int tb = r.timestamp_begin;
  // <|notimestamps|> is what without_timestamps is for.
  logits[r.no_timestamps] = kNegInf;

  const int n = static_cast<int>(tokens.size());
  const std::span<const int> sampled =
      n > r.sample_begin ? tokens.subspan(r.sample_begin) : std::span<const int>();
  const int ns = static_cast<int>(sampled.size());
  // Timestamps come in pairs, except directly before eot.
  const bool last_was_timestamp = ns >= 1 && sampled[ns - 1] >= tb;
  const bool penultimate_was_timestamp = ns < 2 || sampled[ns - 2] >= tb;
  if (last_was_timestamp) {
    if (penultimate_was_timestamp)
      fill_neg_inf(logits, tb, n_vocab);  // has to be a non-timestamp
    else
      fill_neg_inf(logits, 0, r.eot);  // cannot be normal text
  }
  // Timestamps never decrease, and a segment has nonzero length (no endless loop).
  int last_timestamp = -1;
  for (int i = ns - 1; i >= 0; --i)
    if (sampled[i] >= tb) {
      last_timestamp = sampled[i];
      break;
    }
  if (last_timestamp >= 0) {
    const int end =
        (last_was_timestamp && !penultimate_was_timestamp) ? last_timestamp : last_timestamp + 1;
    fill_neg_inf(logits, tb, end < n_vocab ? end : n_vocab);
  }

  if (n == r.sample_begin) {
    // The first sampled token is a timestamp, at most max_initial_timestamp.
    fill_neg_inf(logits, 0, tb);
    if (r.max_initial_timestamp_index) {
      const int last_allowed = tb + *r.max_initial_timestamp_index;
      if (last_allowed + 1 < n_vocab) fill_neg_inf(logits, last_allowed + 1, n_vocab);
    }
  }

  // When the timestamps together are likelier than any single text token, sample a timestamp.
  const float lse = logsumexp_f32(logits, n_vocab);
  const int n_ts = n_vocab - tb;
  for (int i = 0; i < n_ts; ++i) scratch[i] = logits[tb + i] - lse;
  const float timestamp_logprob = logsumexp_f32(scratch, n_ts);
  const float max_text_token_logprob = max_f32(logits, tb) - lse;
  if (timestamp_logprob > max_text_token_logprob) fill_neg_inf(logits, 0, tb);
}

void LogitFilters::apply(float* logits, std::span<const int> tokens, float* scratch) const {
  if (blank) suppress_blank(logits, static_cast<int>(tokens.size()), sample_begin, blank_ids);
  if (suppress) suppress_tokens(logits, suppress_ids);
  if (timestamps) apply_timestamp_rules(logits, n_vocab, tokens, rules, scratch);
}

}  // namespace tessera::decoder
