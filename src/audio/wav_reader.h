// Internal helpers of the dependency-free WAV reader (the public API is in tessera/audio.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tessera::audio {

constexpr int kMinSampleRate = 1000;
constexpr int kMaxSampleRate = 768000;
constexpr int kMaxChannels = 64;

// True when the bytes start a RIFF/WAVE (or RF64) file whose fmt chunk is an encoding parse_wav
// decodes itself (integer PCM or IEEE float, plain or WAVE_FORMAT_EXTENSIBLE). Never throws.
bool is_native_wav(const uint8_t* data, size_t size);

// A validated WAV file's sample layout; `data` points into the caller's bytes.
struct WavData {
  int sample_rate = 0;
  int channels = 0;
  size_t frames = 0;  // whole sample frames present (the data chunk clamped to the file)
  bool is_float = false;
  int bits = 0;
  const uint8_t* data = nullptr;
};

// Parses and validates; throws tessera::Error naming `name` (see wav_reader.cpp for the policy).
WavData inspect_wav(const uint8_t* data, size_t size, const std::string& name);
// Decodes frames [first_frame, first_frame + n_frames) to interleaved float in [-1, 1].
void decode_wav(const WavData& d, size_t first_frame, size_t n_frames, float* out);
// mono[i] = mean of the channels of frame i, summed in channel order (to_mono uses the same).
void average_channels(const float* interleaved, size_t frames, int channels, float* mono);

}  // namespace tessera::audio
