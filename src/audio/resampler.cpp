#include "audio/resampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "audio/wav_reader.h"
#include "tessera/audio.h"
#include "tessera/error.h"

namespace tessera::audio {

namespace {

// Filter design: passband to 91% of the lower Nyquist, stopband from the lower Nyquist on, 90 dB
// stopband (so anything that would alias is attenuated by more than 60 dB with margin).
constexpr double kPassEdge = 0.91;
constexpr double kStopAttenuationDb = 90.0;
// Above this many phases the table holds a fixed grid and phases in between are interpolated.
constexpr int64_t kMaxExactPhases = 4096;

double bessel_i0(double x) {
  double sum = 1.0, term = 1.0, q = x * x / 4.0;
  for (int k = 1; k < 64; ++k) {
    term *= q / (double(k) * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

// 32 independent accumulators (4 AVX registers): lets the compiler vectorize without reassociating
// a single sum, and hides FMA latency. Cloned for AVX2+FMA and picked at load time (ifunc), as the
// library's baseline is plain x86-64.
constexpr int kDotStride = 32;
__attribute__((target_clones("arch=x86-64-v3", "default"))) float dot(const float* a,
                                                                      const float* b, int n) {
  float acc[kDotStride] = {};
  for (int i = 0; i < n; i += kDotStride)
    for (int j = 0; j < kDotStride; ++j) acc[j] += a[i + j] * b[i + j];
  for (int w = kDotStride / 2; w > 0; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
}

void check_rate(int rate, const char* what) {
  if (rate < kMinSampleRate || rate > kMaxSampleRate)
    throw Error(std::string("resample: ") + what + " rate " + std::to_string(rate) +
                " Hz is outside " + std::to_string(kMinSampleRate) + ".." +
                std::to_string(kMaxSampleRate));
}

}  // namespace

uint64_t Resampler::output_length(uint64_t n, int from_rate, int to_rate) {
  const uint64_t g = std::gcd(from_rate, to_rate);
  const uint64_t up = to_rate / g, down = from_rate / g;
  return (2 * n * up + down) / (2 * down);
}

Resampler::Resampler(int from_rate, int to_rate) {
  check_rate(from_rate, "input");
  check_rate(to_rate, "output");
  const int64_t g = std::gcd(from_rate, to_rate);
  up_ = to_rate / g;
  down_ = from_rate / g;
  if (identity()) return;

  // Frequencies in cycles per input sample.
  const double ratio = std::min(1.0, double(up_) / double(down_));
  const double nyquist = 0.5 * ratio;
  const double cutoff = 0.5 * (1.0 + kPassEdge) * nyquist;
  const double transition = (1.0 - kPassEdge) * nyquist;
  const double beta = 0.1102 * (kStopAttenuationDb - 8.7);
  const int taps_needed =
      static_cast<int>(std::ceil((kStopAttenuationDb - 7.95) / (14.36 * transition)));
  half_ = (taps_needed + 1) / 2;
  taps_ =
      (2 * half_ + kDotStride - 1) / kDotStride * kDotStride;  // zero taps pad to the dot() stride
  phases_ = static_cast<int>(std::min(up_, kMaxExactPhases));

  table_.assign(static_cast<size_t>(phases_ + 1) * taps_, 0.0f);
  const double i0_beta = bessel_i0(beta);
  std::vector<double> row(2 * half_);
  for (int p = 0; p <= phases_; ++p) {
    const double frac = double(p) / phases_;
    double sum = 0.0;
    for (int t = 0; t < 2 * half_; ++t) {
      const double tau = t - half_ + 1 - frac;  // distance from the output position, input samples
      const double u = tau / half_;
      double w = u * u < 1.0 ? bessel_i0(beta * std::sqrt(1.0 - u * u)) / i0_beta : 0.0;
      const double x = 2.0 * cutoff * tau;
      const double sinc = std::abs(x) < 1e-12 ? 1.0 : std::sin(M_PI * x) / (M_PI * x);
      row[t] = 2.0 * cutoff * sinc * w;
      sum += row[t];
    }
    // Unit DC gain for every phase: no ripple pattern from phase-dependent gain.
    for (int t = 0; t < 2 * half_; ++t)
      table_[static_cast<size_t>(p) * taps_ + t] = static_cast<float>(row[t] / sum);
  }
  hist_.assign(half_ - 1, 0.0f);  // input before the start is silence
  hist_start_ = -(half_ - 1);
}

float Resampler::filter_at(uint64_t k) const {
  const uint64_t pos = k * static_cast<uint64_t>(down_);
  const int64_t i = static_cast<int64_t>(pos / up_);
  const int64_t p = static_cast<int64_t>(pos % up_);
  const float* x = hist_.data() + (i - half_ + 1 - hist_start_);
  if (phases_ == up_) return dot(x, table_.data() + p * taps_, taps_);
  const double grid = double(p) * phases_ / double(up_);
  const int p0 = static_cast<int>(grid);
  const float a = static_cast<float>(grid - p0);
  const float y0 = dot(x, table_.data() + static_cast<size_t>(p0) * taps_, taps_);
  const float y1 = dot(x, table_.data() + static_cast<size_t>(p0 + 1) * taps_, taps_);
  return y0 + a * (y1 - y0);
}

void Resampler::drain(uint64_t limit, std::vector<float>& out) {
  const int64_t available_end = hist_start_ + static_cast<int64_t>(hist_.size());
  while (next_out_ < limit) {
    const int64_t i = static_cast<int64_t>(next_out_ * down_ / up_);
    if (i - half_ + 1 + taps_ > available_end) break;
    out.push_back(filter_at(next_out_));
    ++next_out_;
  }
  // Keep only what the next output still needs.
  const int64_t keep_from = static_cast<int64_t>(next_out_ * down_ / up_) - half_ + 1;
  const int64_t drop = std::clamp<int64_t>(keep_from - hist_start_, 0, hist_.size());
  if (drop > 0) {
    hist_.erase(hist_.begin(), hist_.begin() + drop);
    hist_start_ += drop;
  }
}

void Resampler::push(const float* in, size_t n, std::vector<float>& out) {
  in_count_ += n;
  if (identity()) {
    out.insert(out.end(), in, in + n);
    return;
  }
  hist_.insert(hist_.end(), in, in + n);
  drain(UINT64_MAX, out);
}

void Resampler::finish(std::vector<float>& out) {
  if (identity()) return;
  const uint64_t total = output_length(in_count_, static_cast<int>(down_), static_cast<int>(up_));
  if (next_out_ >= total) return;
  // Pad with silence far enough for the last output's support.
  const int64_t last_i = static_cast<int64_t>((total - 1) * down_ / up_);
  const int64_t need_end = last_i - half_ + 1 + taps_;
  const int64_t have_end = hist_start_ + static_cast<int64_t>(hist_.size());
  if (need_end > have_end) hist_.resize(hist_.size() + (need_end - have_end), 0.0f);
  drain(total, out);
}

}  // namespace tessera::audio

namespace tessera {

std::vector<float> resample(const std::vector<float>& mono, int from_rate, int to_rate) {
  audio::Resampler r(from_rate, to_rate);
  std::vector<float> out;
  out.reserve(audio::Resampler::output_length(mono.size(), from_rate, to_rate));
  r.push(mono.data(), mono.size(), out);
  r.finish(out);
  return out;
}

}  // namespace tessera
