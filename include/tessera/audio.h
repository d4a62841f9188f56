// Audio input: everything is turned into 16 kHz mono float32 in [-1, 1].
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tessera {

constexpr int kSampleRate = 16000;

struct AudioBuffer {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;  // interleaved when channels > 1
};

// Reads a RIFF/WAVE file: PCM 8/16/24/32-bit integer, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE.
// Throws tessera::Error naming the file on anything malformed.
AudioBuffer read_wav(const std::string& path);
AudioBuffer parse_wav(const uint8_t* data, size_t size, const std::string& name);

// Channel average to mono, then band-limited resampling to `rate`.
std::vector<float> to_mono(const AudioBuffer& in);
std::vector<float> resample(const std::vector<float>& mono, int from_rate, int to_rate);

// Loads any supported audio file as 16 kHz mono float.
std::vector<float> load_audio(const std::string& path);

// 16 kHz mono float samples produced a block at a time, so a long file is never held whole.
class AudioSource {
 public:
  virtual ~AudioSource() = default;
  // Writes up to `max` samples to `out` and returns how many; 0 only at the end of the stream.
  // Throws tessera::Error naming the file on undecodable input (a file that yields no samples at
  // all throws here, at its end).
  virtual size_t read(float* out, size_t max) = 0;
};

// Opens any file load_audio reads as a stream (load_audio drains one of these): the same samples,
// with memory bounded by a block of decoded audio, not by the file's length. Throws tessera::Error
// naming the file when it cannot be opened, is empty or has no audio stream.
std::unique_ptr<AudioSource> open_audio(const std::string& path);
// A stream over samples the caller holds (they must outlive the source).
std::unique_ptr<AudioSource> span_source(std::span<const float> samples);

}  // namespace tessera
