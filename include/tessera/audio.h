// Audio input: everything is turned into 16 kHz mono float32 in [-1, 1].
#pragma once

#include <cstdint>
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

}  // namespace tessera
