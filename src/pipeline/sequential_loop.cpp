// openai-whisper's transcribe() loop (whisper/transcribe.py), line for line where it matters:
// clip_timestamps, prompts (condition_on_previous_text, initial_prompt, carry_initial_prompt),
// temperature fallback, the no-speech skip, segment splitting and seek advance.
#include <algorithm>

#include "pipeline/loop_common.h"
#include "pipeline/loops.h"
#include "pipeline/python_text.h"
#include "tessera/error.h"

namespace tessera::pipeline {

namespace {

constexpr double kFramesPerSecond = 100.0;  // SAMPLE_RATE / HOP_LENGTH

std::vector<std::pair<long long, long long>> seek_clips(const std::string& clip_timestamps,
                                                        long long content_frames) {
  std::vector<long long> points;
  for (double ts : parse_clip_timestamps(clip_timestamps))
    points.push_back(py_round(ts * kFramesPerSecond));
  if (points.empty()) points.push_back(0);
  if (points.size() % 2 == 1) points.push_back(content_frames);
  std::vector<std::pair<long long, long long>> clips;
  for (size_t i = 0; i + 1 < points.size(); i += 2) clips.emplace_back(points[i], points[i + 1]);
  return clips;
}

}  // namespace

TranscriptionResult run_sequential(WindowEngine& engine, const LogMel& mel,
                                   const TranscribeOptions& options, LoopCounts* counts) {
  return run_sequential(engine, *whole_mel_frames(mel), options, counts);
}

TranscriptionResult run_sequential(WindowEngine& engine, MelFrames& mel,
                                   const TranscribeOptions& options, LoopCounts* counts) {
  if (mel.n_mels() != engine.n_mels())
    throw Error("transcribe: the mel has " + std::to_string(mel.n_mels()) +
                " bands but the model expects " + std::to_string(engine.n_mels()));
  const long long n_content = mel.content_frames();
  const Tokenizer& tok = engine.tokenizer();
  std::vector<float> window(static_cast<size_t>(mel.n_mels()) * kWindowFrames);

  const LanguageChoice language = choose_language(engine, mel, options.decode.language, window);
  const DecodingOptions base = window_options(options, language.code);
  const auto clips = seek_clips(options.clip_timestamps, n_content);

  std::vector<int> all_tokens;
  std::vector<Segment> all_segments;
  size_t prompt_reset_since = 0;
  long long remaining_prompt_length = engine.n_text_ctx() / 2 - 1;
  std::vector<int> initial_prompt_tokens;
  if (options.initial_prompt) {
    initial_prompt_tokens = tok.encode(space_then_stripped(*options.initial_prompt));
    all_tokens = initial_prompt_tokens;
    remaining_prompt_length -= static_cast<long long>(initial_prompt_tokens.size());
  }

  size_t clip_idx = 0;
  long long seek = clips[0].first;
  bool first_window_encoded = language.slot0_holds_first_window;
  while (clip_idx < clips.size()) {
    const auto [clip_start, clip_end] = clips[clip_idx];
    if (seek < clip_start) seek = clip_start;
    if (seek >= clip_end) {
      if (++clip_idx < clips.size()) seek = clips[clip_idx].first;
      continue;
    }
    const long long segment_size =
        std::min({static_cast<long long>(kWindowFrames), n_content - seek, clip_end - seek});
    if (segment_size <= 0) {  // a clip past the end of the audio
      seek = clip_end;
      continue;
    }
    // The stream may forget frames no window will need again (seek only moves forward within a
    // clip; a later clip may start earlier).
    long long needed_from = seek;
    for (size_t c = clip_idx + 1; c < clips.size(); ++c)
      needed_from = std::min(needed_from, clips[c].first);
    mel.release_before(needed_from);
    cut_segment(mel, seek, static_cast<int>(segment_size), window.data());
    if (options.skip_digital_silence &&
        is_digital_silence(window.data(), mel.n_mels(), segment_size, mel.silence_value())) {
      first_window_encoded = false;
      seek += segment_size;  // what the no-speech skip would do, without running the model
      if (counts) ++counts->silent_windows;
      if (options.on_progress) options.on_progress(std::min(n_content, seek), n_content);
      continue;
    }
    // Language detection already encoded frames [0, 3000); reuse it when this is that window.
    if (!(first_window_encoded && seek == 0 && segment_size == kWindowFrames))
      engine.encode(window.data(), 1);
    first_window_encoded = false;

    DecodingOptions decode = base;
    if (options.carry_initial_prompt) {
      const size_t ignored = std::max(initial_prompt_tokens.size(), prompt_reset_since);
      const std::span<const int> rest(all_tokens.data() + std::min(ignored, all_tokens.size()),
                                      all_tokens.size() - std::min(ignored, all_tokens.size()));
      decode.prompt_tokens = initial_prompt_tokens;
      const std::vector<int> tail = py_tail(rest, remaining_prompt_length);
      decode.prompt_tokens.insert(decode.prompt_tokens.end(), tail.begin(), tail.end());
    } else {
      decode.prompt_tokens.assign(all_tokens.begin() + prompt_reset_since, all_tokens.end());
    }

    const DecodingResult result = std::move(
        engine.decode(std::span<const DecodingOptions>(&decode, 1), options.fallback).front());
    if (counts && !options.fallback.temperatures.empty() &&
        result.temperature != options.fallback.temperatures.front())
      ++counts->fallbacks;

    if (is_silent(result, options.fallback)) {
      seek += segment_size;  // fast-forward to the next segment boundary
      if (options.on_progress) options.on_progress(std::min(n_content, seek), n_content);
      continue;
    }

    const long long previous_seek = seek;
    WindowSplit split =
        split_window_tokens(result.tokens, tok.timestamp_begin(), seek, segment_size);
    // Never stall: openai-whisper would decode the same window again forever if the last complete
    // timestamp were <|0.00|>.
    seek = split.next_seek > seek ? split.next_seek : seek + segment_size;

    const size_t first_new = all_segments.size();
    for (const TimedTokens& piece : split.pieces) {
      Segment s = make_segment(tok, piece, previous_seek, result);
      clear_if_empty(s);
      s.id = static_cast<int>(all_segments.size());
      all_tokens.insert(all_tokens.end(), s.tokens.begin(), s.tokens.end());
      all_segments.push_back(std::move(s));
    }
    if (options.on_segments)
      options.on_segments(std::span<const Segment>(all_segments).subspan(first_new));

    if (!options.condition_on_previous_text || result.temperature > 0.5)
      prompt_reset_since = all_tokens.size();  // no prompt after a high-temperature window
    if (options.on_progress) options.on_progress(std::min(n_content, seek), n_content);
  }

  // The last window's timestamps can run past the end of the audio (the model sees the zero
  // padding): openai-whisper reports them as they are, tessera clamps them to the audio.
  const double duration = frames_to_seconds(n_content);
  for (Segment& s : all_segments) {
    s.start = std::min(s.start, duration);
    s.end = std::min(s.end, duration);
  }

  TranscriptionResult out;
  out.text = tok.decode(std::span<const int>(all_tokens).subspan(initial_prompt_tokens.size()));
  out.segments = std::move(all_segments);
  out.language = language.code;
  return out;
}

}  // namespace tessera::pipeline
