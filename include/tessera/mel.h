// Whisper's log-mel frontend, identical to openai-whisper's log_mel_spectrogram.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tessera/audio.h"

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

  // FFT buffers for computing one frame at a time (one per thread).
  class FrameScratch {
   public:
    FrameScratch();
    ~FrameScratch();
    FrameScratch(const FrameScratch&) = delete;
    FrameScratch& operator=(const FrameScratch&) = delete;

   private:
    friend class MelFrontend;
    struct Buffers;
    std::unique_ptr<Buffers> b_;
  };
  // One STFT frame before normalization: the 400 samples at `x` (not yet windowed) -> n_mels
  // values of log10(max(mel power, 1e-10)) at column[m * stride]; returns their max. window() and
  // whole() are built on this, so a frame computed here is bit-identical to theirs.
  float log_frame(const float* x, float* column, size_t stride, FrameScratch& scratch) const;

 private:
  LogMel compute(const float* audio, size_t n, size_t padded_len) const;
  int n_mels_;
  std::vector<float> filters_;  // n_mels x 201
  struct Fft;
  Fft* fft_;
};

// MelFrontend::whole computed from a stream, holding a bounded run of frames instead of the whole
// file. openai-whisper floors the log-mel at (max - 8) with the max over the *whole* file, so the
// stream is read twice: the first pass computes every frame only to find that max (and the
// length), the second produces frames on demand into a ring, normalized as they are copied out.
// Frames are bit-identical to whole()'s. Memory: a block of samples plus the frames between the
// release mark and the furthest frame asked for.
class LogMelStream {
 public:
  using OpenSource = std::function<std::unique_ptr<AudioSource>()>;
  // Runs the first pass; `open` is called once per pass and must give the same samples each time.
  LogMelStream(const MelFrontend& frontend, OpenSource open);
  ~LogMelStream();
  LogMelStream(const LogMelStream&) = delete;
  LogMelStream& operator=(const LogMelStream&) = delete;

  int n_mels() const { return n_mels_; }
  long long samples() const { return samples_; }
  long long content_frames() const { return samples_ / kHopLength; }
  // whole()'s frame count: the content and 30 s of zero padding.
  long long total_frames() const { return (samples_ + kChunkSamples) / kHopLength; }
  // The normalized value of digital silence (a frame of the zero padding).
  float silence_value() const;
  // Copies normalized frames [offset, offset + count) to out: n_mels rows of `count` values,
  // `stride` floats apart. Frames before the release mark are gone (Error); later ones are
  // computed as needed.
  void copy(long long offset, int count, float* out, size_t stride);
  // The caller will not ask for frames before `frame` again: their memory can be reused.
  void release_before(long long frame);
  // Most frames held at once so far (the ring's high-water mark), for memory tests.
  long long max_held_frames() const { return max_held_; }
  double source_ms() const;  // time spent reading the source (both passes)
  double mel_ms() const;     // time spent computing frames (both passes)

 private:
  class Producer;
  void produce_until(long long end);

  const MelFrontend& frontend_;
  OpenSource open_;
  int n_mels_;
  long long samples_ = 0;
  float floor_ = 0;  // max - 8
  std::unique_ptr<Producer> producer_;
  std::vector<float> ring_;  // frames [base_, base_ + held_) as columns of n_mels values
  long long base_ = 0, held_ = 0, released_ = 0, max_held_ = 0;
  double pass1_source_ms_ = 0, pass1_mel_ms_ = 0, pass2_ms_ = 0;
};

}  // namespace tessera
