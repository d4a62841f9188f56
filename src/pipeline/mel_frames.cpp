#include "pipeline/mel_frames.h"

#include <algorithm>
#include <cstring>

#include "tessera/error.h"

namespace tessera::pipeline {

namespace {

class WholeMelFrames final : public MelFrames {
 public:
  explicit WholeMelFrames(const LogMel& mel) : mel_(mel) {
    if (mel.n_frames < kWindowFrames || mel.n_mels <= 0 ||
        mel.data.size() != static_cast<size_t>(mel.n_mels) * mel.n_frames)
      throw Error("transcribe: the log-mel must be a whole-file mel with 30 s of padding (got " +
                  std::to_string(mel.n_mels) + " x " + std::to_string(mel.n_frames) + ")");
  }
  int n_mels() const override { return mel_.n_mels; }
  long long content_frames() const override { return mel_.n_frames - kWindowFrames; }
  long long total_frames() const override { return mel_.n_frames; }
  float silence_value() const override { return mel_.data.back(); }  // always in the padding
  void copy(long long offset, int count, float* out, size_t stride) override {
    if (offset < 0 || count < 0 || offset + count > mel_.n_frames)
      throw Error("transcribe: frames [" + std::to_string(offset) + ", " +
                  std::to_string(offset + count) + ") outside the mel's " +
                  std::to_string(mel_.n_frames) + " frames");
    for (int m = 0; m < mel_.n_mels; ++m)
      std::memcpy(out + static_cast<size_t>(m) * stride,
                  mel_.data.data() + static_cast<size_t>(m) * mel_.n_frames + offset,
                  static_cast<size_t>(count) * sizeof(float));
  }
  void release_before(long long) override {}

 private:
  const LogMel& mel_;
};

class StreamMelFrames final : public MelFrames {
 public:
  explicit StreamMelFrames(LogMelStream& s) : s_(s) {}
  int n_mels() const override { return s_.n_mels(); }
  long long content_frames() const override { return s_.content_frames(); }
  long long total_frames() const override { return s_.total_frames(); }
  float silence_value() const override { return s_.silence_value(); }
  void copy(long long offset, int count, float* out, size_t stride) override {
    s_.copy(offset, count, out, stride);
  }
  void release_before(long long frame) override { s_.release_before(frame); }

 private:
  LogMelStream& s_;
};

}  // namespace

std::unique_ptr<MelFrames> whole_mel_frames(const LogMel& mel) {
  return std::make_unique<WholeMelFrames>(mel);
}

std::unique_ptr<MelFrames> stream_mel_frames(LogMelStream& stream) {
  return std::make_unique<StreamMelFrames>(stream);
}

}  // namespace tessera::pipeline
