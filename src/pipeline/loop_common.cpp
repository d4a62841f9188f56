#include "pipeline/loop_common.h"

#include <algorithm>
#include <cstring>

#include "pipeline/python_text.h"
#include "tessera/error.h"

namespace tessera::pipeline {

void cut_segment(MelFrames& mel, long long offset, int size, float* out) {
  if (offset < 0 || size < 0 || size > kWindowFrames || offset + size > mel.total_frames())
    throw Error("transcribe: window [" + std::to_string(offset) + ", " +
                std::to_string(offset + size) + ") outside the mel's " +
                std::to_string(mel.total_frames()) + " frames");
  mel.copy(offset, size, out, kWindowFrames);
  for (int m = 0; m < mel.n_mels(); ++m) {
    float* row = out + static_cast<size_t>(m) * kWindowFrames;
    std::fill(row + size, row + kWindowFrames, 0.0f);
  }
}

bool is_digital_silence(const float* window, int n_mels, long long size, float silence) {
  if (size <= 0 || size > kWindowFrames) return false;
  for (int m = 0; m < n_mels; ++m) {
    const float* row = window + static_cast<size_t>(m) * kWindowFrames;
    for (long long f = 0; f < size; ++f)
      if (row[f] != silence) return false;
  }
  return true;
}

LanguageChoice choose_language(WindowEngine& engine, MelFrames& mel, const std::string& language,
                               std::vector<float>& window_buffer) {
  const Tokenizer& tok = engine.tokenizer();
  LanguageChoice choice;
  if (!language.empty()) {
    std::string code = to_language_code(language);
    if (code.empty()) throw Error("transcribe: unknown language '" + language + "'");
    if (!tok.is_multilingual() && code != "en")
      throw Error("transcribe: this model is English-only; it cannot transcribe language '" +
                  language + "'");
    if (tok.is_multilingual()) tok.language_token(code);  // throws if this model lacks it
    choice.code = code;
    return choice;
  }
  if (!tok.is_multilingual()) {
    choice.code = "en";
    return choice;
  }
  // pad_or_trim(mel, N_FRAMES): the first 3000 frames, padding included.
  window_buffer.resize(static_cast<size_t>(mel.n_mels()) * kWindowFrames);
  cut_segment(mel, 0, static_cast<int>(std::min<long long>(kWindowFrames, mel.total_frames())),
              window_buffer.data());
  engine.encode(window_buffer.data(), 1);
  const std::vector<LanguageProbability> probs = engine.detect_language(0);
  if (probs.empty()) throw Error("transcribe: language detection returned no languages");
  size_t best = 0;  // max(probs, key=probs.get): the first of equal maxima
  for (size_t i = 1; i < probs.size(); ++i)
    if (probs[i].probability > probs[best].probability) best = i;
  choice.code = probs[best].code;
  choice.slot0_holds_first_window = true;
  return choice;
}

bool is_silent(const DecodingResult& r, const FallbackOptions& fallback) {
  if (!fallback.no_speech_threshold) return false;
  bool skip = r.no_speech_prob > *fallback.no_speech_threshold;
  if (fallback.logprob_threshold && r.avg_logprob > *fallback.logprob_threshold)
    skip = false;  // don't skip if the log-probability is high enough, despite no_speech_prob
  return skip;
}

Segment make_segment(const Tokenizer& tok, const TimedTokens& piece, long long seek,
                     const DecodingResult& r) {
  Segment s;
  s.seek = static_cast<int>(seek);
  s.start = piece.start;
  s.end = piece.end;
  std::vector<int> text_tokens;
  for (int t : piece.tokens)
    if (t < tok.eot()) text_tokens.push_back(t);
  s.text = tok.decode(text_tokens);
  s.tokens = piece.tokens;
  s.temperature = r.temperature;
  s.avg_logprob = r.avg_logprob;
  s.compression_ratio = r.compression_ratio;
  s.no_speech_prob = r.no_speech_prob;
  return s;
}

void clear_if_empty(Segment& s) {
  if (s.start == s.end || py_strip(s.text).empty()) {
    s.text.clear();
    s.tokens.clear();
  }
}

DecodingOptions window_options(const TranscribeOptions& opt, const std::string& language) {
  DecodingOptions d = opt.decode;
  d.language = language;
  d.prompt.clear();
  d.prompt_tokens.clear();
  return d;
}

}  // namespace tessera::pipeline
