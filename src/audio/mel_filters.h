// The mel filter banks of openai-whisper (assets/mel_filters.npz, compiled into the library).
#pragma once

#include <vector>

namespace tessera::audio {

constexpr int kFftBins = 201;  // n_fft / 2 + 1

// Returns the (n_mels x 201) row-major float32 bank for n_mels 80 or 128; parsed once per process.
// Throws tessera::Error for any other n_mels.
const std::vector<float>& bundled_mel_filters(int n_mels);

}  // namespace tessera::audio
