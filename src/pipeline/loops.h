// The two long-form loops over a whole-file log-mel (MelFrontend::whole: audio + 30 s of zeros),
// held (LogMel) or streamed (MelFrames over a LogMelStream).
#pragma once

#include <utility>
#include <vector>

#include "pipeline/mel_frames.h"
#include "pipeline/window_engine.h"
#include "tessera/mel.h"
#include "tessera/transcribe.h"

namespace tessera::pipeline {

// openai-whisper's transcribe() seek loop (see tessera/transcribe.h).
// Counts of windows that took a temperature fallback or were skipped as digital silence.
struct LoopCounts {
  int fallbacks = 0;
  int silent_windows = 0;
};

TranscriptionResult run_sequential(WindowEngine& engine, MelFrames& mel,
                                   const TranscribeOptions& options, LoopCounts* counts = nullptr);
TranscriptionResult run_sequential(WindowEngine& engine, const LogMel& mel,
                                   const TranscribeOptions& options, LoopCounts* counts = nullptr);

// Independent windows decoded `options.batch_size` at a time (see tessera/transcribe.h).
TranscriptionResult run_batched(WindowEngine& engine, MelFrames& mel,
                                const TranscribeOptions& options, LoopCounts* counts = nullptr);
TranscriptionResult run_batched(WindowEngine& engine, const LogMel& mel,
                                const TranscribeOptions& options, LoopCounts* counts = nullptr);

// Batched mode's windows: [start, end) mel frame ranges covering [0, content_frames), each at most
// 3000 frames. Each boundary is the quietest point (lowest mean log-mel, smoothed over ~0.2 s) in
// the last `search_frames` frames before the 3000-frame limit, the latest of equally quiet points.
std::vector<std::pair<long long, long long>> plan_windows(const LogMel& mel,
                                                          long long content_frames,
                                                          int search_frames = 800);

// The same plan one window at a time, reading only the frames near each cut.
class WindowPlanner {
 public:
  explicit WindowPlanner(long long content_frames, int search_frames = 800);
  // The next window, or false when [0, content_frames) is covered.
  bool next(MelFrames& mel, std::pair<long long, long long>* window);
  // The first frame a later next() or the windows it plans read.
  long long needs_from() const;

 private:
  long long content_, start_ = 0;
  int search_;
  std::vector<float> frames_;  // scratch: the frames around a cut
  std::vector<double> loud_;
};

}  // namespace tessera::pipeline
