// Internal helpers of the dependency-free WAV reader (the public API is in tessera/audio.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tessera::audio {

constexpr int kMinSampleRate = 1000;
constexpr int kMaxSampleRate = 768000;
constexpr int kMaxChannels = 64;

// True when the bytes start a RIFF/WAVE (or RF64) file whose fmt chunk is an encoding parse_wav
// decodes itself (integer PCM or IEEE float, plain or WAVE_FORMAT_EXTENSIBLE). Never throws.
bool is_native_wav(const uint8_t* data, size_t size);

}  // namespace tessera::audio
