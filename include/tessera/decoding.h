// openai-whisper's decoding algorithms (whisper/decoding.py) on tessera's Decoder: language
// detection, greedy decoding with temperature sampling, beam search with patience, the
// maximum-likelihood ranker with length penalty, the logit filters (blank and non-speech
// suppression, timestamp rules), prompts and prefixes, no-speech probability, and transcribe.py's
// temperature fallback.
//
// Windows are decoded together (each with its own beams or samples) but independently: a window's
// result is the one openai-whisper gives decoding that window alone.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tessera/decoder.h"
#include "tessera/tokenizer.h"

namespace tessera {

// openai-whisper's DecodingOptions (fp16 left out: the compute type is the decoder's).
struct DecodingOptions {
  Task task = Task::Transcribe;
  // Language code or name; empty: detect it (multilingual models) or "en" (English-only models).
  std::string language;

  float temperature = 0.0f;
  std::optional<int> sample_len;        // most tokens to sample; default n_text_ctx / 2
  std::optional<int> best_of;           // independent samples when temperature > 0
  std::optional<int> beam_size;         // beam search when temperature == 0
  std::optional<float> patience;        // needs beam_size
  std::optional<float> length_penalty;  // None: divide by length; else ((5 + len) / 6)^alpha

  // Previous context and forced prefix, as text (encoded as " " + text.strip()) or as tokens; the
  // text form wins when both are set.
  std::string prompt;
  std::vector<int> prompt_tokens;
  std::string prefix;
  std::vector<int> prefix_tokens;

  // Comma-separated ids; "-1" stands for the tokenizer's non-speech symbols.
  std::string suppress_tokens = "-1";
  bool suppress_blank = true;

  bool without_timestamps = false;
  std::optional<float> max_initial_timestamp = 1.0f;

  uint64_t seed = 0;  // for temperature sampling (std::mt19937_64 per window)
};

struct LanguageProbability {
  std::string code;
  float probability = 0;
};

struct DecodingResult {
  std::string language;
  std::vector<LanguageProbability> language_probs;  // filled when the language was detected
  std::vector<int> tokens;  // sampled tokens, timestamps included, without eot
  std::string text;         // decoded, stripped
  double sum_logprob = std::numeric_limits<double>::quiet_NaN();
  double avg_logprob = std::numeric_limits<double>::quiet_NaN();
  double no_speech_prob = std::numeric_limits<double>::quiet_NaN();
  float temperature = std::numeric_limits<float>::quiet_NaN();
  double compression_ratio = std::numeric_limits<double>::quiet_NaN();
};

// One 30 s window to decode: its encoder output (n_audio_ctx x d_model float32) and options.
struct DecodingJob {
  const float* audio_features = nullptr;
  DecodingOptions options;
};

// transcribe.py's fallback: retry a window at the next temperature while its result looks wrong.
struct FallbackOptions {
  std::vector<float> temperatures{0.0f, 0.2f, 0.4f, 0.6f, 0.8f, 1.0f};
  std::optional<double> compression_ratio_threshold = 2.4;
  std::optional<double> logprob_threshold = -1.0;
  std::optional<double> no_speech_threshold = 0.6;
};

struct DecodingSessionOptions {
  ComputeType compute_type = ComputeType::F32;
  int threads = 0;
  // Windows decoded together. With more jobs, a window slot that finishes takes the next job at
  // the next step (continuous batching), so the batch stays full.
  int max_windows = 1;
  int max_group = 5;                 // most beams / samples per window
  std::optional<DType> cache_dtype;  // see DecoderOptions
};

class DecodingSession {
 public:
  DecodingSession(std::shared_ptr<const Model> model, Tokenizer tokenizer,
                  DecodingSessionOptions options = {});
  ~DecodingSession();
  DecodingSession(const DecodingSession&) = delete;
  DecodingSession& operator=(const DecodingSession&) = delete;

  const Tokenizer& tokenizer() const;
  Decoder& decoder();

  // Language probabilities (openai-whisper's order of language tokens) of each window, from the
  // logits after a lone <|startoftranscript|>. Throws on an English-only model.
  std::vector<std::vector<LanguageProbability>> detect_language(
      std::span<const float* const> audio_features);

  // Results in job order. Every job's options are checked first (tessera::Error on bad ones).
  std::vector<DecodingResult> decode(std::span<const DecodingJob> jobs);
  DecodingResult decode(const float* audio_features, const DecodingOptions& options);
  // For each job, decode at each temperature in turn until the result passes the thresholds (or
  // the temperatures run out). beam_size/patience apply at temperature 0 only, best_of above it.
  std::vector<DecodingResult> decode_with_fallback(std::span<const DecodingJob> jobs,
                                                   const FallbackOptions& fallback = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// len(utf8) / len(zlib.compress(utf8)) at zlib's default level, as openai-whisper computes it.
double compression_ratio(std::string_view text);

}  // namespace tessera
