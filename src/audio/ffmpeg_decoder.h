// Audio decoding through FFmpeg's libraries: any container and codec FFmpeg reads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tessera/audio.h"

namespace tessera::audio {

// Decodes the best audio stream of `path`, frame by frame, to 16 kHz mono float: FFmpeg converts
// each frame to float and averages its channels, and the streaming Resampler (resampler.h) brings
// it to 16 kHz, so only the output vector grows with the file's length. Packets the decoder rejects
// are skipped, as the ffmpeg tool does; a file that cannot be opened, has no audio stream, no
// decoder, or yields no samples at all throws tessera::Error naming it.
std::vector<float> decode_audio_ffmpeg(const std::string& path);

// The same decoding as a stream: packets are read and decoded as samples are asked for, so only a
// packet's worth of audio (plus the resampler's delay line) is held at a time. Opening throws what
// decode_audio_ffmpeg throws before its first packet; read() throws the rest.
std::unique_ptr<AudioSource> open_audio_ffmpeg(const std::string& path);

}  // namespace tessera::audio
