#include "pipeline/window_tokens.h"

#include "tessera/audio.h"
#include "tessera/mel.h"

namespace tessera::pipeline {

double frames_to_seconds(long long frames) {
  return static_cast<double>(frames * kHopLength) / static_cast<double>(kSampleRate);
}

WindowSplit split_window_tokens(std::span<const int> tokens, int timestamp_begin, long long seek,
                                long long segment_size) {
  // time_precision = input_stride * HOP_LENGTH / SAMPLE_RATE, as a Python float (0.02).
  const double time_precision = frames_to_seconds(kInputStride);
  const double time_offset = frames_to_seconds(seek);
  const size_t n = tokens.size();
  auto is_ts = [&](size_t i) { return tokens[i] >= timestamp_begin; };

  WindowSplit out;
  out.single_timestamp_ending = n >= 2 && !is_ts(n - 2) && is_ts(n - 1);

  std::vector<size_t> slices;  // ends of the closed pieces
  for (size_t i = 0; i + 1 < n; ++i)
    if (is_ts(i) && is_ts(i + 1)) slices.push_back(i + 1);

  if (!slices.empty()) {
    if (out.single_timestamp_ending) slices.push_back(n);
    size_t last_slice = 0;
    for (size_t current : slices) {
      const int start_pos = tokens[last_slice] - timestamp_begin;
      const int end_pos = tokens[current - 1] - timestamp_begin;
      out.pieces.push_back(
          {time_offset + start_pos * time_precision, time_offset + end_pos * time_precision,
           std::vector<int>(tokens.begin() + last_slice, tokens.begin() + current)});
      last_slice = current;
    }
    if (out.single_timestamp_ending) {
      out.next_seek = seek + segment_size;  // no speech after the last timestamp
    } else {
      // The unfinished tail is decoded again from the last complete timestamp.
      const int last_pos = tokens[last_slice - 1] - timestamp_begin;
      out.next_seek = seek + static_cast<long long>(last_pos) * kInputStride;
    }
    return out;
  }

  double duration = frames_to_seconds(segment_size);
  for (size_t i = n; i-- > 0;) {
    if (!is_ts(i)) continue;
    if (tokens[i] != timestamp_begin) duration = (tokens[i] - timestamp_begin) * time_precision;
    break;
  }
  out.pieces.push_back(
      {time_offset, time_offset + duration, std::vector<int>(tokens.begin(), tokens.end())});
  out.next_seek = seek + segment_size;
  return out;
}

}  // namespace tessera::pipeline
