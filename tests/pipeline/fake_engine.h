// A WindowEngine with scripted results, and synthetic whole-file mels whose frames say where they
// came from, so the loops can be checked without a model.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/window_engine.h"
#include "support/test_paths.h"
#include "tessera/error.h"
#include "tessera/mel.h"

namespace tessera::test {

inline const Tokenizer& english_tokenizer() {
  static const Tokenizer tok =
      Tokenizer::from_tiktoken_file(repo_path("assets/gpt2.tiktoken"), 51864);
  return tok;
}
inline const Tokenizer& multilingual_tokenizer() {
  static const Tokenizer tok =
      Tokenizer::from_tiktoken_file(repo_path("assets/multilingual.tiktoken"), 51865);
  return tok;
}

// n_mels x (content + 3000) frames: content frame f holds 1 + f in every band, the 30 s of
// padding holds -0.5 (the log-mel floor is never 0, so zero fill is recognisable).
inline LogMel marked_mel(int content_frames, int n_mels = 80) {
  LogMel mel;
  mel.n_mels = n_mels;
  mel.n_frames = content_frames + kWindowFrames;
  mel.data.resize(static_cast<size_t>(n_mels) * mel.n_frames);
  for (int m = 0; m < n_mels; ++m)
    for (int f = 0; f < mel.n_frames; ++f)
      mel.data[static_cast<size_t>(m) * mel.n_frames + f] = f < content_frames ? 1.0f + f : -0.5f;
  return mel;
}

// What an encoded window was: its first mel frame, how many frames were not zero-filled, and
// whether its tail holds the padding's floor value (a window cut with cut_window, not cut_segment).
struct WindowSeen {
  long long offset = -1;
  int frames = 0;
  bool padded_with_floor = false;
};

class FakeEngine final : public pipeline::WindowEngine {
 public:
  using Script = std::function<DecodingResult(int call, const WindowSeen&, const DecodingOptions&)>;

  FakeEngine(Tokenizer tok, Script script, int max_batch = 1)
      : tok_(std::move(tok)),
        script_(std::move(script)),
        max_batch_(max_batch),
        slots_(max_batch) {}

  const Tokenizer& tokenizer() const override { return tok_; }
  int n_mels() const override { return 80; }
  int n_text_ctx() const override { return 448; }
  int max_batch() const override { return max_batch_; }

  void encode(const float* mel, int count) override {
    if (count < 1 || count > max_batch_) throw Error("fake: bad encode count");
    for (int i = 0; i < count; ++i) {
      const float* row0 = mel + static_cast<size_t>(i) * 80 * kWindowFrames;  // band 0
      WindowSeen w;
      w.offset = static_cast<long long>(row0[0]) - 1;
      while (w.frames < kWindowFrames && row0[w.frames] >= 1.0f) ++w.frames;
      w.padded_with_floor = w.frames < kWindowFrames && row0[w.frames] == -0.5f;
      slots_[i] = w;
      encoded.push_back(w);
    }
    ++encode_calls;
    windows_encoded += count;
  }
  std::vector<LanguageProbability> detect_language(int slot) override {
    detected_on.push_back(slots_[slot]);
    return language_probs;
  }
  std::vector<DecodingResult> decode(std::span<const DecodingOptions> options,
                                     const FallbackOptions&) override {
    std::vector<DecodingResult> out;
    for (size_t i = 0; i < options.size(); ++i) {
      decoded.push_back(slots_[i]);
      prompts.push_back(options[i].prompt_tokens);
      languages.push_back(options[i].language);
      DecodingResult r = script_(static_cast<int>(decoded.size()) - 1, slots_[i], options[i]);
      if (std::isnan(r.temperature)) r.temperature = 0.0f;
      if (std::isnan(r.avg_logprob)) r.avg_logprob = -0.2;
      if (std::isnan(r.no_speech_prob)) r.no_speech_prob = 0.01;
      if (std::isnan(r.compression_ratio)) r.compression_ratio = 1.2;
      out.push_back(std::move(r));
    }
    ++decode_calls;
    return out;
  }

  std::vector<WindowSeen> encoded, decoded, detected_on;
  std::vector<std::vector<int>> prompts;
  std::vector<std::string> languages;
  std::vector<LanguageProbability> language_probs;
  int encode_calls = 0, decode_calls = 0;

 private:
  Tokenizer tok_;
  Script script_;
  int max_batch_;
  std::vector<WindowSeen> slots_;
};

// <|t * 0.02|> of a tokenizer.
inline int ts(const Tokenizer& tok, int steps) {
  return tok.timestamp_begin() + steps;
}

inline DecodingResult result_of(std::vector<int> tokens, float temperature = 0.0f) {
  DecodingResult r;
  r.tokens = std::move(tokens);
  r.temperature = temperature;
  return r;
}

}  // namespace tessera::test
