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

}  // namespace

WindowPlanner::WindowPlanner(long long content_frames, int search_frames)
    : content_(content_frames), search_(std::clamp(search_frames, 1, kWindowFrames - 1)) {
  if (content_frames < 0)
    throw Error("transcribe: " + std::to_string(content_frames) + " content frames");
}

long long WindowPlanner::needs_from() const {
  return start_;  // the next window starts here
}

bool WindowPlanner::next(MelFrames& mel, std::pair<long long, long long>* window) {
  if (start_ >= content_) return false;
  if (content_ - start_ <= kWindowFrames) {
    *window = {start_, content_};
    start_ = content_;
    return true;
  }
  const long long limit = start_ + kWindowFrames;  // the cut may be at most here
  // Mean log-mel of frames [lo, hi): the candidates [limit - search, limit] and their neighbours.
  const long long lo = std::max(0LL, limit - search_ - kSmoothRadius);
  const long long hi = std::min(content_, limit + kSmoothRadius + 1);
  const int n = static_cast<int>(hi - lo);
  const int n_mels = mel.n_mels();
  frames_.resize(static_cast<size_t>(n_mels) * n);
  mel.copy(lo, n, frames_.data(), static_cast<size_t>(n));
  loud_.assign(static_cast<size_t>(n), 0.0);
  for (int m = 0; m < n_mels; ++m) {
    const float* row = frames_.data() + static_cast<size_t>(m) * n;
    for (int f = 0; f < n; ++f) loud_[f] += row[f];
  }
  // Smoothed over +-kSmoothRadius frames (fewer at the start of the audio).
  auto smoothed = [&](long long f) {
    const long long a = std::max(0LL, f - kSmoothRadius),
                    b = std::min(content_, f + kSmoothRadius + 1);
    double sum = 0;
    for (long long g = a; g < b; ++g) sum += loud_[g - lo];
    return sum / static_cast<double>(b - a);
  };
  long long cut = limit - search_;
  double quietest = smoothed(cut);
  for (long long f = cut + 1; f <= limit; ++f) {
    const double l = smoothed(f);
    if (l <= quietest) {  // the latest of equally quiet points: longer windows
      cut = f;
      quietest = l;
    }
  }
  *window = {start_, cut};
  start_ = cut;
  return true;
}

std::vector<std::pair<long long, long long>> plan_windows(const LogMel& mel,
                                                          long long content_frames,
                                                          int search_frames) {
  if (content_frames < 0 || content_frames > mel.n_frames)
    throw Error("transcribe: " + std::to_string(content_frames) + " content frames for a mel of " +
                std::to_string(mel.n_frames));
  const std::unique_ptr<MelFrames> frames = whole_mel_frames(mel);
  WindowPlanner planner(content_frames, search_frames);
  std::vector<std::pair<long long, long long>> windows;
  std::pair<long long, long long> w;
  while (planner.next(*frames, &w)) windows.push_back(w);
  return windows;
}

TranscriptionResult run_batched(WindowEngine& engine, const LogMel& mel,
                                const TranscribeOptions& options, LoopCounts* counts) {
  return run_batched(engine, *whole_mel_frames(mel), options, counts);
}

TranscriptionResult run_batched(WindowEngine& engine, MelFrames& mel,
                                const TranscribeOptions& options, LoopCounts* counts) {
  if (mel.n_mels() != engine.n_mels())
    throw Error("transcribe: the mel has " + std::to_string(mel.n_mels()) +
                " bands but the model expects " + std::to_string(engine.n_mels()));
  if (options.batch_size < 1)
    throw Error("transcribe: batch size must be at least 1, got " +
                std::to_string(options.batch_size));
  const long long n_content = mel.content_frames();
  const Tokenizer& tok = engine.tokenizer();
  const int batch = std::min(options.batch_size, engine.max_batch());
  const size_t window_floats = static_cast<size_t>(mel.n_mels()) * kWindowFrames;
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
  // that timestamp, as the sequential loop does, in the next batch. Windows are planned as the
  // batches need them and finished ones are handed out in order, so only the frames of the
  // windows in flight are held.
  struct Chain {
    long long begin = 0, end = 0, seek = 0;
    std::vector<Segment> segments;
  };
  std::deque<Chain> chains;  // chains[i] is chain number first_chain + i
  long long first_chain = 0;
  std::deque<long long> pending;  // chains with audio left to decode, oldest first
  WindowPlanner planner(n_content);
  long long done_frames = 0;

  TranscriptionResult out;
  out.language = language.code;
  std::vector<int> all_tokens;
  auto emit_finished = [&] {
    while (!chains.empty() && chains.front().seek >= chains.front().end) {
      const size_t first_new = out.segments.size();
      for (Segment& s : chains.front().segments) {
        s.id = static_cast<int>(out.segments.size());
        all_tokens.insert(all_tokens.end(), s.tokens.begin(), s.tokens.end());
        out.segments.push_back(std::move(s));
      }
      chains.pop_front();
      ++first_chain;
      if (options.on_segments && out.segments.size() > first_new)
        options.on_segments(std::span<const Segment>(out.segments).subspan(first_new));
    }
  };

  std::vector<long long> in_batch;
  // Frames before every unfinished chain (in this batch or waiting) and the planner's next cut are
  // not needed again.
  auto release_behind = [&] {
    long long needed_from = planner.needs_from();
    for (long long id : pending) needed_from = std::min(needed_from, chains[id - first_chain].seek);
    for (long long id : in_batch)
      needed_from = std::min(needed_from, chains[id - first_chain].seek);
    mel.release_before(needed_from);
  };
  for (;;) {
    in_batch.clear();
    auto slot = [&](size_t i) { return windows_mel.data() + i * window_floats; };
    while (!pending.empty() && static_cast<int>(in_batch.size()) < batch) {
      const Chain& c = chains[pending.front() - first_chain];
      const long long size = std::min<long long>(kWindowFrames, c.end - c.seek);
      cut_segment(mel, c.seek, static_cast<int>(size), slot(in_batch.size()));
      in_batch.push_back(pending.front());
      pending.pop_front();
    }
    std::pair<long long, long long> w;
    // Fill the batch with new windows, but not so far past the oldest window in flight that a long
    // silence after it would pile up frames: then the batch goes out less than full.
    auto room_ahead = [&] {
      long long oldest = planner.needs_from();
      for (long long id : in_batch) oldest = std::min(oldest, chains[id - first_chain].seek);
      return planner.needs_from() - oldest < static_cast<long long>(batch + 1) * kWindowFrames;
    };
    while (static_cast<int>(in_batch.size()) < batch && room_ahead() && planner.next(mel, &w)) {
      const long long size = w.second - w.first;
      cut_segment(mel, w.first, static_cast<int>(size), slot(in_batch.size()));
      const bool silent =
          options.skip_digital_silence &&
          is_digital_silence(slot(in_batch.size()), mel.n_mels(), size, mel.silence_value());
      chains.push_back({w.first, w.second, silent ? w.second : w.first, {}});
      if (silent) {  // what the no-speech skip would do, without running the model
        done_frames += size;
        if (counts) ++counts->silent_windows;
        release_behind();  // a long silence must not pile up frames while the batch fills
        emit_finished();
        continue;
      }
      in_batch.push_back(first_chain + static_cast<long long>(chains.size()) - 1);
    }
    if (in_batch.empty()) {
      emit_finished();
      if (options.on_progress) options.on_progress(done_frames, n_content);
      break;
    }
    const int count = static_cast<int>(in_batch.size());
    engine.encode(windows_mel.data(), count);
    const std::vector<DecodingResult> results = engine.decode(
        std::span<const DecodingOptions>(batch_options.data(), count), options.fallback);

    for (int i = 0; i < count; ++i) {
      Chain& c = chains[in_batch[i] - first_chain];
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
    release_behind();
    emit_finished();
    if (options.on_progress) options.on_progress(done_frames, n_content);
  }
  out.text = tok.decode(all_tokens);
  return out;
}

}  // namespace tessera::pipeline
