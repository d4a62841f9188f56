#include "audio/resampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tessera/audio.h"
#include "tessera/error.h"

namespace tessera {
namespace {

std::vector<float> sine(double freq, int rate, size_t n, double amp = 0.5) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(amp * std::sin(2 * M_PI * freq * i / rate));
  return v;
}

double rms(const std::vector<float>& v, size_t from, size_t to) {
  double s = 0;
  for (size_t i = from; i < to; ++i) s += double(v[i]) * v[i];
  return std::sqrt(s / double(to - from));
}

class ResampleRates : public ::testing::TestWithParam<int> {};

// A tone well inside the passband comes out as the analytic tone on the 16 kHz grid.
TEST_P(ResampleRates, SineMatchesAnalytic) {
  const int from = GetParam();
  const size_t n = static_cast<size_t>(from);  // 1 s
  for (double freq : {440.0, 1000.0, 3100.0}) {
    if (freq > 0.4 * std::min(from, kSampleRate)) continue;
    std::vector<float> out = resample(sine(freq, from, n), from, kSampleRate);
    ASSERT_EQ(out.size(), audio::Resampler::output_length(n, from, kSampleRate));
    const size_t edge = 800;  // 50 ms: the filter's start-up and tail
    double max_err = 0;
    for (size_t k = edge; k + edge < out.size(); ++k) {
      double want = 0.5 * std::sin(2 * M_PI * freq * k / kSampleRate);
      max_err = std::max(max_err, std::abs(out[k] - want));
    }
    EXPECT_LT(max_err, 1e-3) << from << " Hz, tone " << freq;
  }
}

class DownsampleRates : public ::testing::TestWithParam<int> {};

// A tone above the new Nyquist must not fold back into the output.
TEST_P(DownsampleRates, AliasingIsSuppressed) {
  const int from = GetParam();
  for (double freq : {8200.0, 9000.0, 12000.0, 0.45 * from}) {
    std::vector<float> out = resample(sine(freq, from, from), from, kSampleRate);
    double attenuation_db = 20 * std::log10(0.5 / std::sqrt(2.0) / rms(out, 800, out.size() - 800));
    EXPECT_GT(attenuation_db, 60.0) << from << " Hz, tone " << freq;
  }
}

// Upsampling must not create images above the old Nyquist.
TEST(Resample, UpsamplingCreatesNoImages) {
  std::vector<float> in = sine(3000.0, 8000, 8000);
  std::vector<float> out = resample(in, 8000, 16000);
  // An image of 3 kHz would appear at 5 kHz: project onto it.
  double re = 0, im = 0;
  for (size_t k = 800; k + 800 < out.size(); ++k) {
    re += out[k] * std::cos(2 * M_PI * 5000.0 * k / 16000);
    im += out[k] * std::sin(2 * M_PI * 5000.0 * k / 16000);
  }
  double amp = 2 * std::hypot(re, im) / double(out.size() - 1600);
  EXPECT_LT(amp, 0.5 * 1e-3);  // > 60 dB below the tone
}

INSTANTIATE_TEST_SUITE_P(Rates, ResampleRates,
                         ::testing::Values(8000, 11025, 22050, 24000, 44100, 48000, 96000));
INSTANTIATE_TEST_SUITE_P(Rates, DownsampleRates,
                         ::testing::Values(22050, 24000, 44100, 48000, 96000));

TEST(Resample, SameRateIsIdentity) {
  std::vector<float> x = sine(1234.0, 16000, 999);
  EXPECT_EQ(resample(x, 16000, 16000), x);
}

TEST(Resample, LengthIsRoundedRatio) {
  for (auto [from, n] : {std::pair{44100, size_t{1}},
                         {44100, size_t{12345}},
                         {22050, size_t{33949}},
                         {8000, size_t{7}},
                         {48000, size_t{4}},
                         {11025, size_t{0}}}) {
    std::vector<float> x(n, 0.25f);
    const size_t want = static_cast<size_t>(std::llround(double(n) * kSampleRate / from));
    EXPECT_EQ(resample(x, from, kSampleRate).size(), want) << from << " " << n;
  }
}

TEST(Resample, StreamingInChunksEqualsOneShot) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x(20000);
  for (float& v : x) v = u(rng);
  for (int from : {44100, 8000, 48000}) {
    std::vector<float> whole = resample(x, from, kSampleRate);
    audio::Resampler r(from, kSampleRate);
    std::vector<float> streamed;
    size_t pos = 0;
    while (pos < x.size()) {
      size_t n = std::min<size_t>(1 + rng() % 3000, x.size() - pos);
      r.push(x.data() + pos, n, streamed);
      pos += n;
    }
    r.finish(streamed);
    EXPECT_EQ(streamed, whole) << from;
  }
}

// Rates whose reduced ratio has more than 4096 phases use interpolated phases; still accurate.
TEST(Resample, OddRateWithInterpolatedPhases) {
  const int from = 44055;  // 16000/44055 reduces to 3200/8811
  std::vector<float> out = resample(sine(1000.0, from, from), from, kSampleRate);
  double max_err = 0;
  for (size_t k = 800; k + 800 < out.size(); ++k)
    max_err = std::max(max_err, std::abs(out[k] - 0.5 * std::sin(2 * M_PI * 1000.0 * k / 16000)));
  EXPECT_LT(max_err, 1e-3);
  const int odd = 16001;  // 16000/16001: 16000 phases
  out = resample(sine(1000.0, odd, odd), odd, kSampleRate);
  max_err = 0;
  for (size_t k = 800; k + 800 < out.size(); ++k)
    max_err = std::max(max_err, std::abs(out[k] - 0.5 * std::sin(2 * M_PI * 1000.0 * k / 16000)));
  EXPECT_LT(max_err, 1e-3);
}

TEST(Resample, RejectsAbsurdRates) {
  std::vector<float> x(10);
  EXPECT_THROW(resample(x, 0, 16000), Error);
  EXPECT_THROW(resample(x, -44100, 16000), Error);
  EXPECT_THROW(resample(x, 100'000'000, 16000), Error);
  EXPECT_THROW(resample(x, 44100, 0), Error);
}

}  // namespace
}  // namespace tessera
