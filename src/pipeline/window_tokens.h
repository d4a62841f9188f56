// How transcribe.py turns one window's decoded tokens into timed segments and the next seek.
#pragma once

#include <span>
#include <vector>

namespace tessera::pipeline {

constexpr int kInputStride = 2;  // mel frames per encoder output frame (= per timestamp step)

// Seconds of `frames` mel frames, computed as Python does (frames * 160 / 16000).
double frames_to_seconds(long long frames);

struct TimedTokens {
  double start = 0;
  double end = 0;
  std::vector<int> tokens;  // timestamps included
};

struct WindowSplit {
  std::vector<TimedTokens> pieces;
  long long next_seek = 0;
  bool single_timestamp_ending = false;
};

// transcribe.py's segment splitting for a window decoded at `seek` (mel frames) whose content is
// `segment_size` frames:
//  - consecutive timestamp tokens close a segment; each piece runs from its first to its last
//    token's time. A lone timestamp at the very end also closes the last piece, and the window is
//    then done (seek += segment_size); otherwise the unfinished tail is dropped and seek moves to
//    the last closing timestamp.
//  - without consecutive timestamps the whole window is one piece, ending at its last timestamp
//    when there is one other than <|0.00|>, else at the end of the content; seek += segment_size.
WindowSplit split_window_tokens(std::span<const int> tokens, int timestamp_begin, long long seek,
                                long long segment_size);

}  // namespace tessera::pipeline
