// load_audio: WAV files in integer PCM or IEEE float are read by the dependency-free reader,
// streamed block by block from the memory-mapped file; everything else (other containers and
// codecs, and WAVs in encodings like ADPCM or A-law) goes through FFmpeg. Both paths downmix by
// averaging the channels and resample with the same audio::Resampler, so a 16 kHz PCM WAV gives
// bit-identical samples either way.
#include <algorithm>

#include "audio/ffmpeg_decoder.h"
#include "audio/resampler.h"
#include "audio/wav_reader.h"
#include "runtime/mapped_file.h"
#include "tessera/audio.h"
#include "tessera/error.h"

namespace tessera {

namespace {

std::vector<float> load_native_wav(const audio::WavData& wav) {
  constexpr size_t kBlockFrames = 16384;
  audio::Resampler resampler(wav.sample_rate, kSampleRate);
  std::vector<float> out;
  out.reserve(audio::Resampler::output_length(wav.frames, wav.sample_rate, kSampleRate));
  std::vector<float> interleaved(kBlockFrames * wav.channels), mono(kBlockFrames);
  for (size_t first = 0; first < wav.frames; first += kBlockFrames) {
    const size_t n = std::min(kBlockFrames, wav.frames - first);
    audio::decode_wav(wav, first, n, interleaved.data());
    audio::average_channels(interleaved.data(), n, wav.channels, mono.data());
    resampler.push(mono.data(), n, out);
  }
  resampler.finish(out);
  return out;
}

}  // namespace

std::vector<float> load_audio(const std::string& path) {
  {
    auto file = MappedFile::open(path);
    if (file->size() == 0) throw Error(path + ": empty file (0 bytes)");
    if (audio::is_native_wav(file->data(), file->size())) {
      audio::WavData wav = audio::inspect_wav(file->data(), file->size(), path);
      if (wav.frames == 0) throw Error(path + ": WAV file contains no audio samples");
      return load_native_wav(wav);
    }
  }
  return audio::decode_audio_ffmpeg(path);  // throws when nothing decodes
}

}  // namespace tessera
