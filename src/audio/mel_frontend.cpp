// Log-mel spectrogram exactly as openai-whisper's log_mel_spectrogram computes it:
//   torch.stft(audio, 400, 160, window=hann_window(400) [periodic], center=True,
//   pad_mode="reflect") power = |stft[..., :-1]|^2 ; mel = filters @ power ; log10(clamp(mel,
//   1e-10)) floor at (max - 8) ; (x + 4) / 4
#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>

#include "audio/mel_filters.h"
#include "tessera/error.h"
#include "tessera/mel.h"

namespace tessera {

namespace {

// FFTW's planner is not thread-safe; only fftwf_execute_* is. All planning and destruction go
// through this lock.
std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};
using FloatBuf = std::unique_ptr<float, FftwFree>;
using ComplexBuf = std::unique_ptr<fftwf_complex, FftwFree>;

FloatBuf alloc_real(size_t n) {
  auto* p = static_cast<float*>(fftwf_malloc(n * sizeof(float)));
  if (!p) throw std::bad_alloc();
  return FloatBuf(p);
}
ComplexBuf alloc_complex(size_t n) {
  auto* p = static_cast<fftwf_complex*>(fftwf_malloc(n * sizeof(fftwf_complex)));
  if (!p) throw std::bad_alloc();
  return ComplexBuf(p);
}

constexpr int kPad = kNFft / 2;  // reflect padding on each side (center=True)
constexpr float kLogFloor = 1e-10f;
constexpr float kInvLn10 = 0.43429448190325182f;

}  // namespace

struct MelFrontend::Fft {
  fftwf_plan plan = nullptr;
  float window[kNFft];
  // Nonzero bin range [first, last) of each filter: the bank is a set of narrow triangles.
  std::vector<int> first, last;
};

MelFrontend::MelFrontend(int n_mels) : n_mels_(n_mels), fft_(nullptr) {
  filters_ = audio::bundled_mel_filters(n_mels);  // throws for n_mels other than 80/128
  auto fft = std::make_unique<Fft>();
  for (int i = 0; i < kNFft; ++i)  // periodic Hann, as torch.hann_window(400)
    fft->window[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * M_PI * i / kNFft));
  fft->first.resize(n_mels);
  fft->last.resize(n_mels);
  for (int m = 0; m < n_mels; ++m) {
    const float* row = filters_.data() + static_cast<size_t>(m) * audio::kFftBins;
    int a = 0, b = audio::kFftBins;
    while (a < b && row[a] == 0.0f) ++a;
    while (b > a && row[b - 1] == 0.0f) --b;
    fft->first[m] = a;
    fft->last[m] = b;
  }
  {
    FloatBuf in = alloc_real(kNFft);
    ComplexBuf out = alloc_complex(audio::kFftBins);
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    fft->plan = fftwf_plan_dft_r2c_1d(kNFft, in.get(), out.get(), FFTW_ESTIMATE);
  }
  if (!fft->plan) throw Error("mel frontend: FFTW could not plan a 400-point real FFT");
  fft_ = fft.release();
}

MelFrontend::~MelFrontend() {
  {
    std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    fftwf_destroy_plan(fft_->plan);
  }
  delete fft_;
}

struct MelFrontend::FrameScratch::Buffers {
  FloatBuf frame = alloc_real(kNFft);
  ComplexBuf spec = alloc_complex(audio::kFftBins);
  float power[audio::kFftBins];
};

MelFrontend::FrameScratch::FrameScratch() : b_(std::make_unique<Buffers>()) {}
MelFrontend::FrameScratch::~FrameScratch() = default;

float MelFrontend::log_frame(const float* x, float* column, size_t stride,
                             FrameScratch& scratch) const {
  float* fr = scratch.b_->frame.get();
  for (int i = 0; i < kNFft; ++i) fr[i] = x[i] * fft_->window[i];
  fftwf_execute_dft_r2c(fft_->plan, fr, scratch.b_->spec.get());
  const fftwf_complex* s = scratch.b_->spec.get();
  float* power = scratch.b_->power;
  for (int k = 0; k < audio::kFftBins; ++k) power[k] = s[k][0] * s[k][0] + s[k][1] * s[k][1];
  float max_log = -std::numeric_limits<float>::infinity();
  for (int m = 0; m < n_mels_; ++m) {
    const float* w = filters_.data() + static_cast<size_t>(m) * audio::kFftBins;
    double acc = 0.0;
    for (int k = fft_->first[m]; k < fft_->last[m]; ++k) acc += double(w[k]) * power[k];
    // log10 via logf: glibc's log10f is several times slower, and the two agree to ~1 ulp.
    const float v = std::log(std::max(static_cast<float>(acc), kLogFloor)) * kInvLn10;
    column[static_cast<size_t>(m) * stride] = v;
    max_log = std::max(max_log, v);
  }
  return max_log;
}

LogMel MelFrontend::compute(const float* audio, size_t n, size_t padded_len) const {
  // The signal is `audio` trimmed or zero-extended to padded_len samples, then reflect-padded.
  const size_t len = padded_len;
  const size_t used = std::min(n, len);
  const int64_t n_frames = static_cast<int64_t>(len / kHopLength);  // last STFT frame dropped
  if (n_frames > (int64_t{1} << 31) / std::max(n_mels_, 1))
    throw Error("mel frontend: audio too long (" + std::to_string(n) + " samples)");
  auto sample = [&](int64_t i) -> float {
    if (i < 0) i = -i;
    if (i >= static_cast<int64_t>(len)) i = 2 * (static_cast<int64_t>(len) - 1) - i;
    return i < static_cast<int64_t>(used) ? audio[i] : 0.0f;
  };

  LogMel mel;
  mel.n_mels = n_mels_;
  mel.n_frames = static_cast<int>(n_frames);
  mel.data.resize(static_cast<size_t>(n_mels_) * n_frames);

  FrameScratch scratch;
  float edge[kNFft];
  float max_log = -std::numeric_limits<float>::infinity();
  for (int64_t f = 0; f < n_frames; ++f) {
    const int64_t start = f * kHopLength - kPad;
    const int64_t last = start + kNFft - 1;
    const int64_t ilen = static_cast<int64_t>(len), iused = static_cast<int64_t>(used);
    // Every index of the frame (after reflection at the far end) lands in the zero tail.
    const bool silent =
        iused == 0 || (start >= iused && (last < ilen || 2 * (ilen - 1) - last >= iused));
    float* column = mel.data.data() + f;
    if (silent) {  // all-zero frame (e.g. the 30 s of padding): power is 0, log hits the floor
      for (int m = 0; m < n_mels_; ++m) column[static_cast<size_t>(m) * n_frames] = -10.0f;
      max_log = std::max(max_log, -10.0f);
      continue;
    }
    const float* x = audio + start;
    if (!(start >= 0 && last < iused)) {  // an edge: reflection or the zero tail
      for (int i = 0; i < kNFft; ++i) edge[i] = sample(start + i);
      x = edge;
    }
    max_log = std::max(max_log, log_frame(x, column, static_cast<size_t>(n_frames), scratch));
  }
  const float floor = max_log - 8.0f;
  for (float& v : mel.data) v = (std::max(v, floor) + 4.0f) / 4.0f;
  return mel;
}

LogMel MelFrontend::window(const float* audio, size_t n) const {
  return compute(audio, n, kChunkSamples);
}

LogMel MelFrontend::whole(const float* audio, size_t n) const {
  return compute(audio, n, n + kChunkSamples);
}

void LogMel::cut_window(int offset, float* out) const {
  if (offset < 0) throw Error("cut_window: negative frame offset " + std::to_string(offset));
  const int avail = std::clamp(n_frames - offset, 0, kWindowFrames);
  for (int m = 0; m < n_mels; ++m) {
    float* dst = out + static_cast<size_t>(m) * kWindowFrames;
    if (avail > 0)
      std::memcpy(dst, data.data() + static_cast<size_t>(m) * n_frames + offset,
                  avail * sizeof(float));
    std::fill(dst + avail, dst + kWindowFrames, 0.0f);
  }
}

}  // namespace tessera
