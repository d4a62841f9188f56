// Streaming band-limited resampler: polyphase windowed sinc (Kaiser window) on the exact rational
// grid from/to = M/L. Used by resample() and by the FFmpeg decoder, so every input path gets the
// same filter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tessera::audio {

class Resampler {
 public:
  // Rates in Hz within [kMinSampleRate, kMaxSampleRate]; throws tessera::Error otherwise.
  Resampler(int from_rate, int to_rate);

  // Appends every output sample whose filter support is now fully known.
  void push(const float* in, size_t n, std::vector<float>& out);
  // Treats the input as ending here (zeros after it) and appends the rest, so that the total output
  // is round(n_in * to / from) samples. The resampler must not be pushed to afterwards.
  void finish(std::vector<float>& out);

  bool identity() const { return up_ == down_; }
  int half_taps() const { return half_; }
  // Output length for n input samples: round(n * to / from).
  static uint64_t output_length(uint64_t n, int from_rate, int to_rate);

 private:
  float filter_at(uint64_t k) const;
  void drain(uint64_t limit, std::vector<float>& out);

  int64_t up_ = 1, down_ = 1;  // output k sits at input position k * down_ / up_
  int half_ = 0;               // taps on each side of the output position
  int taps_ = 0;               // 2 * half_ rounded up to the dot() stride (extra taps are zero)
  int phases_ = 1;             // rows in the table; < up_ when phases are interpolated
  std::vector<float> table_;   // (phases_ + 1) x (2 * half_), kernel at tap t of phase p
  std::vector<float> hist_;    // input samples from index hist_start_ on
  int64_t hist_start_ = 0;
  uint64_t next_out_ = 0;  // index of the next output sample
  uint64_t in_count_ = 0;  // input samples pushed so far
};

}  // namespace tessera::audio
