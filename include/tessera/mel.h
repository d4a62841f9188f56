// Whisper's log-mel frontend, identical to openai-whisper's log_mel_spectrogram.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tessera {

constexpr int kNFft = 400;
constexpr int kHopLength = 160;
constexpr int kChunkSamples = 480000;  // 30 s at 16 kHz
constexpr int kWindowFrames = 3000;    // mel frames in one 30 s window

// Row-major (n_mels x n_frames) log-mel spectrogram.
struct LogMel {
  int n_mels = 0;
  int n_frames = 0;
  std::vector<float> data;
  float at(int mel, int frame) const { return data[static_cast<size_t>(mel) * n_frames + frame]; }
  // Copies frames [offset, offset + 3000) into `out` (n_mels x 3000), zero past the end: the window
  // openai-whisper's long-form loop cuts (mel_segment = pad_or_trim(mel[:, seek:seek+N], 3000)).
  void cut_window(int offset, float* out) const;
};

class MelFrontend {
 public:
  // n_mels: 80 or 128. Filters come from the bundled mel_filters.npz (compiled into the library).
  explicit MelFrontend(int n_mels);
  ~MelFrontend();
  MelFrontend(const MelFrontend&) = delete;
  MelFrontend& operator=(const MelFrontend&) = delete;

  int n_mels() const { return n_mels_; }
  // One 30 s window: audio padded or trimmed to 480,000 samples first -> (n_mels x 3000).
  LogMel window(const float* audio, size_t n) const;
  // Whole file: audio followed by 30 s of zeros, max-8 floor over the whole -> (n_mels x frames).
  LogMel whole(const float* audio, size_t n) const;

 private:
  LogMel compute(const float* audio, size_t n, size_t padded_len) const;
  int n_mels_;
  std::vector<float> filters_;  // n_mels x 201
  struct Fft;
  Fft* fft_;
};

}  // namespace tessera
