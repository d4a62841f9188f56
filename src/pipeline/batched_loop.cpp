// Batched mode: the audio is cut into independent windows of at most 30 s at quiet points, and
// windows are encoded and decoded `batch_size` at a time (no conditioning on previous text).
// Every window's segments are clamped to its own time range, so segments from different windows
// never overlap and no text is decoded twice.
#include <algorithm>
#include <cmath>

#include "pipeline/loop_common.h"
#include "pipeline/loops.h"
#include "pipeline/python_text.h"
#include "tessera/error.h"

namespace tessera::pipeline {

namespace {

constexpr int kSmoothRadius = 10;  // frames each side: ~0.2 s of loudness averaged

// Mean log-mel of each content frame, averaged over +-kSmoothRadius frames.
std::vector<float> smoothed_loudness(const LogMel& mel, long long n) {
  std::vector<double> loud(static_cast<size_t>(n), 0.0);
  for (int m = 0; m < mel.n_mels; ++m) {
    const float* row = mel.data.data() + static_cast<size_t>(m) * mel.n_frames;
    for (long long f = 0; f < n; ++f) loud[f] += row[f];
  }
  std::vector<double> prefix(static_cast<size_t>(n) + 1, 0.0);
  for (long long f = 0; f < n; ++f) prefix[f + 1] = prefix[f] + loud[f];
  std::vector<float> out(static_cast<size_t>(n));
  for (long long f = 0; f < n; ++f) {
    const long long a = std::max(0LL, f - kSmoothRadius), b = std::min(n, f + kSmoothRadius + 1);
    out[f] = static_cast<float>((prefix[b] - prefix[a]) / static_cast<double>(b - a));
  }
  return out;
}

}  // namespace

std::vector<std::pair<long long, long long>> plan_windows(const LogMel& mel,
                                                          long long content_frames,
                                                          int search_frames) {
  if (content_frames < 0 || content_frames > mel.n_frames)
    throw Error("transcribe: " + std::to_string(content_frames) + " content frames for a mel of " +
                std::to_string(mel.n_frames));
  search_frames = std::clamp(search_frames, 1, kWindowFrames - 1);
  std::vector<std::pair<long long, long long>> windows;
  if (content_frames == 0) return windows;
  const std::vector<float> loud = smoothed_loudness(mel, content_frames);
  long long start = 0;
  while (content_frames - start > kWindowFrames) {
    const long long limit = start + kWindowFrames;  // the cut may be at most here
    long long cut = limit - search_frames;
    for (long long f = cut + 1; f <= limit; ++f)
      if (loud[f] <= loud[cut]) cut = f;  // the latest of equally quiet points: longer windows
    windows.emplace_back(start, cut);
    start = cut;
  }
  windows.emplace_back(start, content_frames);
  return windows;
}

TranscriptionResult run_batched(WindowEngine& engine, const LogMel& mel,
                                const TranscribeOptions& options, int* fallbacks) {
  if (mel.n_mels != engine.n_mels())
    throw Error("transcribe: the mel has " + std::to_string(mel.n_mels) +
                " bands but the model expects " + std::to_string(engine.n_mels()));
  if (options.batch_size < 1)
    throw Error("transcribe: batch size must be at least 1, got " +
                std::to_string(options.batch_size));
  const long long n_content = content_frames(mel);
  const Tokenizer& tok = engine.tokenizer();
  const int batch = std::min(options.batch_size, engine.max_batch());
  const size_t window_floats = static_cast<size_t>(mel.n_mels) * kWindowFrames;
  std::vector<float> windows_mel(window_floats * batch);

  const LanguageChoice language =
      choose_language(engine, mel, options.decode.language, windows_mel);
  windows_mel.resize(window_floats * batch);
  DecodingOptions base = window_options(options, language.code);
  if (options.initial_prompt)  // every window is a first window: each gets the initial prompt
    base.prompt_tokens = tok.encode(space_then_stripped(*options.initial_prompt));

  const auto windows = plan_windows(mel, n_content);
  TranscriptionResult out;
  out.language = language.code;
  std::vector<int> all_tokens;
  const std::vector<DecodingOptions> batch_options(batch, base);

  for (size_t first = 0; first < windows.size(); first += batch) {
    const int count = static_cast<int>(std::min<size_t>(batch, windows.size() - first));
    for (int i = 0; i < count; ++i) {
      const auto [a, b] = windows[first + i];
      cut_segment(mel, a, static_cast<int>(b - a), windows_mel.data() + i * window_floats);
    }
    engine.encode(windows_mel.data(), count);
    const std::vector<DecodingResult> results = engine.decode(
        std::span<const DecodingOptions>(batch_options.data(), count), options.fallback);

    const size_t first_new = out.segments.size();
    for (int i = 0; i < count; ++i) {
      const DecodingResult& r = results[i];
      if (fallbacks && !options.fallback.temperatures.empty() &&
          r.temperature != options.fallback.temperatures.front())
        ++*fallbacks;
      if (is_silent(r, options.fallback)) continue;
      const auto [a, b] = windows[first + i];
      WindowSplit split = split_window_tokens(r.tokens, tok.timestamp_begin(), a, b - a);
      // The window is final: text after the last complete timestamp pair (which the sequential
      // loop would decode again from there) becomes one more piece, running to the window's end.
      size_t used = 0;
      for (const TimedTokens& p : split.pieces) used += p.tokens.size();
      const bool tail_has_text = std::any_of(r.tokens.begin() + used, r.tokens.end(),
                                             [&](int t) { return t < tok.eot(); });
      if (tail_has_text) {
        TimedTokens tail;
        tail.tokens.assign(r.tokens.begin() + used, r.tokens.end());
        const int first_tok = tail.tokens.front();
        tail.start = frames_to_seconds(a) + (tok.is_timestamp(first_tok)
                                                 ? (first_tok - tok.timestamp_begin()) *
                                                       frames_to_seconds(kInputStride)
                                                 : 0.0);
        tail.end = frames_to_seconds(b);
        split.pieces.push_back(std::move(tail));
      }
      const double lo = frames_to_seconds(a), hi = frames_to_seconds(b);
      for (TimedTokens& piece : split.pieces) {
        piece.start = std::clamp(piece.start, lo, hi);
        piece.end = std::clamp(piece.end, piece.start, hi);
        Segment s = make_segment(tok, piece, a, r);
        clear_if_empty(s);
        s.id = static_cast<int>(out.segments.size());
        all_tokens.insert(all_tokens.end(), s.tokens.begin(), s.tokens.end());
        out.segments.push_back(std::move(s));
      }
    }
    if (options.on_segments)
      options.on_segments(std::span<const Segment>(out.segments).subspan(first_new));
    if (options.on_progress) options.on_progress(windows[first + count - 1].second, n_content);
  }
  out.text = tok.decode(all_tokens);
  return out;
}

}  // namespace tessera::pipeline
