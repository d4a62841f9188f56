// LogMelStream: MelFrontend::whole() over an AudioSource, frame by frame. Frame f of the whole-file
// mel covers samples [160 f - 200, 160 f + 200) of the audio followed by 480,000 zeros, reflected
// at index 0 (torch.stft's center=True with reflect padding); the far reflection never reaches
// the audio because the zero tail is longer than half a frame. So a frame needs only the samples
// around it, and the same frame kernel (MelFrontend::log_frame) gives bit-identical values.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>

#include "tessera/error.h"
#include "tessera/mel.h"

namespace tessera {

namespace {

using Clock = std::chrono::steady_clock;
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

constexpr int kPad = kNFft / 2;
constexpr size_t kReadBlock = 16384;

}  // namespace

// One pass over the source: un-normalized log-mel frames in order, from a sliding sample buffer.
class LogMelStream::Producer {
 public:
  Producer(const MelFrontend& frontend, std::unique_ptr<AudioSource> source)
      : frontend_(frontend), source_(std::move(source)) {}

  // Writes frame next_frame()'s n_mels values to column[m * stride], sets *max to their max and
  // advances; false once every frame of the whole-file mel (audio + 30 s of zeros) is out.
  bool next(float* column, size_t stride, float* max) {
    const long long f = next_frame_;
    const long long start = f * kHopLength - kPad, last = start + kNFft - 1;
    fill_until(last + 1);
    if (eof_ && f >= (n_ + kChunkSamples) / kHopLength) return false;
    ++next_frame_;
    if (eof_ && (n_ == 0 || start >= n_)) {  // only zeros: whole()'s shortcut, exactly
      for (int m = 0; m < frontend_.n_mels(); ++m) column[static_cast<size_t>(m) * stride] = -10.0f;
      *max = -10.0f;
      return true;
    }
    const float* x = nullptr;
    if (start >= 0 && last < n_) {
      x = buf_.data() + (start - buf_base_);
    } else {  // an edge: reflection at the start, zeros past the end
      const long long len = n_ + kChunkSamples;
      for (int i = 0; i < kNFft; ++i) {
        long long j = start + i;
        if (j < 0) j = -j;
        if (j >= len) j = 2 * (len - 1) - j;
        edge_[i] = j < n_ ? buf_[j - buf_base_] : 0.0f;
      }
      x = edge_;
    }
    *max = frontend_.log_frame(x, column, stride, scratch_);
    return true;
  }

  long long samples() const { return n_; }
  bool at_end() const { return eof_; }
  double source_ms = 0;

 private:
  // Reads until samples [.., end) are buffered or the source ends; drops samples no later frame
  // needs (frame next_frame_ starts at 160 f - 200; frames 0 and 1 reflect samples up to 200).
  void fill_until(long long end) {
    while (!eof_ && n_ < end) {
      const long long keep = std::max(0LL, next_frame_ * kHopLength - kPad);
      if (keep - buf_base_ >= static_cast<long long>(4 * kReadBlock)) {
        buf_.erase(buf_.begin(), buf_.begin() + (keep - buf_base_));
        buf_base_ = keep;
      }
      const size_t at = buf_.size();
      buf_.resize(at + kReadBlock);
      const auto t0 = Clock::now();
      const size_t got = source_->read(buf_.data() + at, kReadBlock);
      source_ms += ms_between(t0, Clock::now());
      buf_.resize(at + got);
      n_ += static_cast<long long>(got);
      if (got == 0) eof_ = true;
    }
  }

  const MelFrontend& frontend_;
  std::unique_ptr<AudioSource> source_;
  std::vector<float> buf_;  // samples [buf_base_, n_)
  long long buf_base_ = 0, n_ = 0, next_frame_ = 0;
  bool eof_ = false;
  float edge_[kNFft];
  MelFrontend::FrameScratch scratch_;
};

LogMelStream::LogMelStream(const MelFrontend& frontend, OpenSource open)
    : frontend_(frontend), open_(std::move(open)), n_mels_(frontend.n_mels()) {
  const auto t0 = Clock::now();
  Producer first(frontend_, open_());
  std::vector<float> column(n_mels_);
  float max_log = -std::numeric_limits<float>::infinity(), m = 0;
  while (first.next(column.data(), 1, &m)) max_log = std::max(max_log, m);
  samples_ = first.samples();
  if (total_frames() > (int64_t{1} << 31))
    throw Error("mel frontend: audio too long (" + std::to_string(samples_) + " samples)");
  floor_ = max_log - 8.0f;
  pass1_source_ms_ = first.source_ms;
  pass1_mel_ms_ = ms_between(t0, Clock::now()) - first.source_ms;
  producer_ = std::make_unique<Producer>(frontend_, open_());
}

LogMelStream::~LogMelStream() = default;

float LogMelStream::silence_value() const {
  return (std::max(-10.0f, floor_) + 4.0f) / 4.0f;
}

double LogMelStream::source_ms() const {
  return pass1_source_ms_ + producer_->source_ms;
}

double LogMelStream::mel_ms() const {
  return pass1_mel_ms_ + pass2_ms_ - producer_->source_ms;
}

void LogMelStream::release_before(long long frame) {
  released_ = std::max(released_, frame);
}

void LogMelStream::produce_until(long long end) {
  const auto t0 = Clock::now();
  const size_t col = static_cast<size_t>(n_mels_);
  while (base_ + held_ < end) {
    if (static_cast<size_t>(held_ + 1) * col > ring_.size()) {
      const long long drop = std::clamp(released_ - base_, 0LL, held_);
      if (drop > 0) {
        std::memmove(ring_.data(), ring_.data() + drop * col, (held_ - drop) * col * sizeof(float));
        base_ += drop;
        held_ -= drop;
      }
      if (static_cast<size_t>(held_ + 1) * col > ring_.size())
        ring_.resize(std::max(ring_.size() * 2, col * kWindowFrames));
    }
    float m = 0;
    if (!producer_->next(ring_.data() + held_ * col, 1, &m))
      throw Error("mel stream: the audio source ended early on its second read");
    ++held_;
    max_held_ = std::max(max_held_, held_);
  }
  if (producer_->at_end() && producer_->samples() != samples_)
    throw Error("mel stream: the audio source gave " + std::to_string(producer_->samples()) +
                " samples on its second read, " + std::to_string(samples_) + " on its first");
  pass2_ms_ += ms_between(t0, Clock::now());
}

void LogMelStream::copy(long long offset, int count, float* out, size_t stride) {
  if (offset < 0 || count < 0 || offset + count > total_frames())
    throw Error("mel stream: frames [" + std::to_string(offset) + ", " +
                std::to_string(offset + count) + ") outside the " + std::to_string(total_frames()) +
                " frames");
  if (count == 0) return;
  if (offset < released_ || offset < base_)
    throw Error("mel stream: frame " + std::to_string(offset) + " was already released");
  produce_until(offset + count);
  const size_t col = static_cast<size_t>(n_mels_);
  const float* first = ring_.data() + static_cast<size_t>(offset - base_) * col;
  for (int m = 0; m < n_mels_; ++m) {
    float* dst = out + static_cast<size_t>(m) * stride;
    const float* src = first + m;
    for (int j = 0; j < count; ++j) dst[j] = (std::max(src[j * col], floor_) + 4.0f) / 4.0f;
  }
}

}  // namespace tessera
