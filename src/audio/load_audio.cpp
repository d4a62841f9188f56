// load_audio / open_audio: WAV files in integer PCM or IEEE float are read by the dependency-free
// reader, streamed block by block from the memory-mapped file (pages behind the read position are
// dropped, so a 10-hour WAV does not become resident); everything else (other containers and
// codecs, and WAVs in encodings like ADPCM or A-law) goes through FFmpeg. Both paths downmix by
// averaging the channels and resample with the same audio::Resampler, so a 16 kHz PCM WAV gives
// bit-identical samples either way.
#include <algorithm>

#include "audio/block_source.h"
#include "audio/ffmpeg_decoder.h"
#include "audio/resampler.h"
#include "audio/wav_reader.h"
#include "runtime/mapped_file.h"
#include "tessera/audio.h"
#include "tessera/error.h"

namespace tessera {

namespace {

// Reads a parsed WAV in blocks: decode, downmix, resample into `pending_`, hand out.
class WavSource final : public audio::BlockSource {
 public:
  WavSource(std::shared_ptr<const MappedFile> file, const audio::WavData& wav)
      : file_(std::move(file)),
        wav_(wav),
        resampler_(wav.sample_rate, kSampleRate),
        interleaved_(kBlockFrames * wav.channels),
        mono_(kBlockFrames) {}

 private:
  static constexpr size_t kBlockFrames = 16384;
  static constexpr size_t kReleaseBytes = size_t{8} << 20;  // drop read pages every 8 MiB

  void next_block() override {
    if (next_ >= wav_.frames) {
      resampler_.finish(pending_);
      finished_ = true;
      file_->release_before(file_->size());
      return;
    }
    const size_t n = std::min(kBlockFrames, wav_.frames - next_);
    audio::decode_wav(wav_, next_, n, interleaved_.data());
    audio::average_channels(interleaved_.data(), n, wav_.channels, mono_.data());
    resampler_.push(mono_.data(), n, pending_);
    next_ += n;
    const size_t read_to =
        static_cast<size_t>(wav_.data - file_->data()) + next_ * wav_.channels * (wav_.bits / 8);
    if (read_to >= released_ + kReleaseBytes) {
      file_->release_before(read_to);
      released_ = read_to;
    }
  }

  std::shared_ptr<const MappedFile> file_;
  audio::WavData wav_;
  audio::Resampler resampler_;
  std::vector<float> interleaved_, mono_;
  size_t next_ = 0;      // next WAV frame to decode
  size_t released_ = 0;  // file bytes already dropped from memory
};

class SpanSource final : public AudioSource {
 public:
  explicit SpanSource(std::span<const float> s) : samples_(s) {}
  size_t read(float* out, size_t max) override {
    const size_t n = std::min(max, samples_.size() - pos_);
    std::copy_n(samples_.data() + pos_, n, out);
    pos_ += n;
    return n;
  }

 private:
  std::span<const float> samples_;
  size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<AudioSource> open_audio(const std::string& path) {
  {
    auto file = MappedFile::open(path);
    if (file->size() == 0) throw Error(path + ": empty file (0 bytes)");
    if (audio::is_native_wav(file->data(), file->size())) {
      audio::WavData wav = audio::inspect_wav(file->data(), file->size(), path);
      if (wav.frames == 0) throw Error(path + ": WAV file contains no audio samples");
      return std::make_unique<WavSource>(std::move(file), wav);
    }
  }
  return audio::open_audio_ffmpeg(path);
}

std::unique_ptr<AudioSource> span_source(std::span<const float> samples) {
  return std::make_unique<SpanSource>(samples);
}

std::vector<float> load_audio(const std::string& path) {
  std::unique_ptr<AudioSource> source = open_audio(path);
  std::vector<float> out;
  constexpr size_t kBlock = 65536;
  for (;;) {
    const size_t at = out.size();
    out.resize(at + kBlock);
    const size_t n = source->read(out.data() + at, kBlock);
    out.resize(at + n);
    if (n == 0) break;
  }
  return out;
}

}  // namespace tessera
