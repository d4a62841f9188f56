// Batched mode: the audio is cut into independent windows of at most 30 s at quiet points, and
// windows are encoded and decoded `batch_size` at a time (no conditioning on previous text).
// Every window's segments are clamped to its own time range, so segments from different windows
// never overlap and no text is decoded twice; audio the model left out at a window's end is
// decoded again from its last timestamp in a later batch.
#include <algorithm>
#include <cmath>
#include <deque>

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
                                const TranscribeOptions& options, LoopCounts* counts) {
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
  const std::vector<DecodingOptions> batch_options(batch, base);

  // Each planned window is its own little seek loop over [begin, end): when the model stops
  // before the end (its last segment closed by a timestamp pair), the rest is decoded again from
  // that timestamp, as the sequential loop does, in a later batch.
  struct Chain {
    long long begin = 0, end = 0, seek = 0;
    std::vector<Segment> segments;
  };
  std::vector<Chain> chains;
  std::deque<size_t> pending;
  long long done_frames = 0;
  for (const auto& [a, b] : plan_windows(mel, n_content)) {
    if (options.skip_digital_silence && is_digital_silence(mel, a, b - a)) {
      done_frames += b - a;  // what the no-speech skip would do, without running the model
      if (counts) ++counts->silent_windows;
      continue;
    }
    pending.push_back(chains.size());
    chains.push_back({a, b, a, {}});
  }

  std::vector<size_t> in_batch;
  while (!pending.empty()) {
    in_batch.clear();
    while (!pending.empty() && static_cast<int>(in_batch.size()) < batch) {
      in_batch.push_back(pending.front());
      pending.pop_front();
    }
    const int count = static_cast<int>(in_batch.size());
    for (int i = 0; i < count; ++i) {
      const Chain& c = chains[in_batch[i]];
      const long long size = std::min<long long>(kWindowFrames, c.end - c.seek);
      cut_segment(mel, c.seek, static_cast<int>(size), windows_mel.data() + i * window_floats);
    }
    engine.encode(windows_mel.data(), count);
    const std::vector<DecodingResult> results = engine.decode(
        std::span<const DecodingOptions>(batch_options.data(), count), options.fallback);

    for (int i = 0; i < count; ++i) {
      Chain& c = chains[in_batch[i]];
      const DecodingResult& r = results[i];
      const long long seek = c.seek;
      const long long size = std::min<long long>(kWindowFrames, c.end - seek);
      if (counts && !options.fallback.temperatures.empty() &&
          r.temperature != options.fallback.temperatures.front())
        ++counts->fallbacks;
      if (is_silent(r, options.fallback)) {
        c.seek = seek + size;
      } else {
        const WindowSplit split = split_window_tokens(r.tokens, tok.timestamp_begin(), seek, size);
        c.seek = split.next_seek > seek ? split.next_seek : seek + size;  // never stall
        const double lo = frames_to_seconds(seek), hi = frames_to_seconds(c.end);
        for (TimedTokens piece : split.pieces) {
          piece.start = std::clamp(piece.start, lo, hi);  // timestamps past the window's audio
          piece.end = std::clamp(piece.end, piece.start, hi);
          Segment s = make_segment(tok, piece, seek, r);
          clear_if_empty(s);
          c.segments.push_back(std::move(s));
        }
      }
      c.seek = std::min(c.seek, c.end);
      done_frames += c.seek - seek;
      if (c.seek < c.end) pending.push_back(in_batch[i]);
    }
    if (options.on_progress) options.on_progress(done_frames, n_content);
  }

  TranscriptionResult out;
  out.language = language.code;
  std::vector<int> all_tokens;
  for (Chain& c : chains) {
    const size_t first_new = out.segments.size();
    for (Segment& s : c.segments) {
      s.id = static_cast<int>(out.segments.size());
      all_tokens.insert(all_tokens.end(), s.tokens.begin(), s.tokens.end());
      out.segments.push_back(std::move(s));
    }
    if (options.on_segments)
      options.on_segments(std::span<const Segment>(out.segments).subspan(first_new));
  }
  out.text = tok.decode(all_tokens);
  return out;
}

}  // namespace tessera::pipeline
