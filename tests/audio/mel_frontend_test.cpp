#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "audio/mel_filters.h"
#include "tessera/audio.h"
#include "tessera/error.h"
#include "tessera/mel.h"

namespace tessera {
namespace {

// Direct O(N^2) float64 DFT log-mel of one frame set: an independent check of framing, window,
// reflection and the FFT (the full-clip comparison against NumPy is
// tests/integration/test_logmel.py).
std::vector<double> reference_log10_mel(const std::vector<float>& x, size_t len, int n_mels,
                                        int frame) {
  const auto& filt = audio::bundled_mel_filters(n_mels);
  auto sample = [&](long i) -> double {
    if (i < 0) i = -i;
    if (i >= long(len)) i = 2 * (long(len) - 1) - i;
    return i < long(x.size()) ? x[i] : 0.0;
  };
  std::vector<double> power(201);
  for (int k = 0; k <= 200; ++k) {
    double re = 0, im = 0;
    for (int n = 0; n < kNFft; ++n) {
      double w = 0.5 - 0.5 * std::cos(2 * M_PI * n / kNFft);
      double v = sample(long(frame) * kHopLength - kNFft / 2 + n) * w;
      re += v * std::cos(2 * M_PI * k * n / kNFft);
      im -= v * std::sin(2 * M_PI * k * n / kNFft);
    }
    power[k] = re * re + im * im;
  }
  std::vector<double> out(n_mels);
  for (int m = 0; m < n_mels; ++m) {
    double acc = 0;
    for (int k = 0; k <= 200; ++k) acc += double(filt[m * 201 + k]) * power[k];
    out[m] = std::log10(std::max(acc, 1e-10));
  }
  return out;
}

std::vector<float> noise_bursts(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 0.1f);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = g(rng) * (0.2f + std::abs(std::sin(i * 0.0003f))) + 0.3f * std::sin(i * 0.07f);
  return x;
}

TEST(MelFilters, BundledBanksMatchWhisperAssets) {
  const auto& f80 = audio::bundled_mel_filters(80);
  const auto& f128 = audio::bundled_mel_filters(128);
  ASSERT_EQ(f80.size(), 80u * 201);
  ASSERT_EQ(f128.size(), 128u * 201);
  // Values read from assets/mel_filters.npz with NumPy.
  EXPECT_FLOAT_EQ(f80[1], 0.024862595f);
  EXPECT_FLOAT_EQ(f128[1], 0.012373987f);
  double s80 = 0, s128 = 0;
  for (float v : f80) s80 += v;
  for (float v : f128) s128 += v;
  EXPECT_NEAR(s80, 1.9990242, 1e-5);
  EXPECT_NEAR(s128, 3.1909854, 1e-5);
  EXPECT_FLOAT_EQ(f80[79 * 201 + 185], 0.0f);
  EXPECT_GT(f80[79 * 201 + 186], 0.0f);
  EXPECT_THROW(audio::bundled_mel_filters(64), Error);
}

TEST(MelFrontend, RejectsUnsupportedMelCounts) {
  EXPECT_THROW(MelFrontend(0), Error);
  EXPECT_THROW(MelFrontend(81), Error);
  EXPECT_NO_THROW(MelFrontend(128));
}

TEST(MelFrontend, WindowMatchesDirectDft) {
  const std::vector<float> x = noise_bursts(40000, 1);
  for (int n_mels : {80, 128}) {
    MelFrontend fe(n_mels);
    LogMel mel = fe.window(x.data(), x.size());
    ASSERT_EQ(mel.n_mels, n_mels);
    ASSERT_EQ(mel.n_frames, kWindowFrames);
    // Frames at the reflected start, the interior, across the end of the audio, and silence.
    std::vector<std::vector<double>> ref;
    const int frames[] = {0, 1, 2, 137, 249, 250, 251, 252, 2999};
    for (int f : frames) ref.push_back(reference_log10_mel(x, kChunkSamples, n_mels, f));
    // The floor depends on the max over all 3000 frames: take that one number from the output.
    float out_max = -1e9f;
    for (float v : mel.data) out_max = std::max(out_max, v);
    const double max_log = 4.0 * out_max - 4.0;
    double worst = 0;
    for (size_t i = 0; i < std::size(frames); ++i)
      for (int m = 0; m < n_mels; ++m) {
        double want = (std::max(ref[i][m], max_log - 8.0) + 4.0) / 4.0;
        worst = std::max(worst, std::abs(want - mel.at(m, frames[i])));
      }
    EXPECT_LT(worst, 1e-4) << n_mels;
  }
}

TEST(MelFrontend, WindowTrimsToThirtySeconds) {
  std::vector<float> x = noise_bursts(kChunkSamples + 16000, 2);
  MelFrontend fe(80);
  LogMel a = fe.window(x.data(), x.size());
  LogMel b = fe.window(x.data(), kChunkSamples);
  EXPECT_EQ(a.n_frames, kWindowFrames);
  EXPECT_EQ(a.data, b.data);
}

TEST(MelFrontend, WholeHasThirtySecondsOfPaddingFrames) {
  MelFrontend fe(80);
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{159}, size_t{160}, size_t{176000}, size_t{700001}}) {
    std::vector<float> x = noise_bursts(n, 3);
    LogMel mel = fe.whole(x.data(), n);
    EXPECT_EQ(mel.n_frames, static_cast<int>((n + kChunkSamples) / kHopLength)) << n;
    EXPECT_EQ(mel.data.size(), size_t(80) * mel.n_frames);
  }
}

TEST(MelFrontend, SilenceIsTheFloor) {
  MelFrontend fe(80);
  LogMel mel = fe.window(nullptr, 0);
  for (float v : mel.data) ASSERT_FLOAT_EQ(v, (-10.0f + 4.0f) / 4.0f);
}

TEST(MelFrontend, FloorIsMaxMinusEight) {
  std::vector<float> x = noise_bursts(48000, 4);
  MelFrontend fe(80);
  LogMel mel = fe.whole(x.data(), x.size());
  float hi = -1e9f, lo = 1e9f;
  for (float v : mel.data) hi = std::max(hi, v), lo = std::min(lo, v);
  EXPECT_NEAR(lo, hi - 2.0f, 1e-6);  // 8 in log10 units is 2 after (x + 4) / 4
}

TEST(MelFrontend, WholeAgreesWithWindowWhenFloorsMatch) {
  // For 30 s of audio the whole-file mel's first 3000 frames see the same samples as window(),
  // except near the end where window() reflects real audio and whole() sees the zero padding.
  std::vector<float> x = noise_bursts(kChunkSamples, 5);
  MelFrontend fe(80);
  LogMel w = fe.window(x.data(), x.size());
  LogMel h = fe.whole(x.data(), x.size());
  double worst = 0;
  for (int m = 0; m < 80; ++m)
    for (int f = 0; f < kWindowFrames - 2; ++f)
      worst = std::max(worst, double(std::abs(w.at(m, f) - h.at(m, f))));
  EXPECT_LT(worst, 1e-6);
}

TEST(LogMel, CutWindowCopiesAndZeroFills) {
  LogMel mel;
  mel.n_mels = 2;
  mel.n_frames = 3100;
  mel.data.resize(2 * 3100);
  for (size_t i = 0; i < mel.data.size(); ++i)
    mel.data[i] = float(i % 3100) + (i >= 3100 ? 0.5f : 0);
  std::vector<float> out(2 * kWindowFrames, -7.0f);
  mel.cut_window(50, out.data());
  EXPECT_EQ(out[0], 50.0f);
  EXPECT_EQ(out[2999], 3049.0f);
  EXPECT_EQ(out[kWindowFrames], 50.5f);
  EXPECT_EQ(out[2 * kWindowFrames - 1], 3049.5f);
  mel.cut_window(200, out.data());  // 2900 frames left: the last 100 are zero
  EXPECT_EQ(out[2899], 3099.0f);
  EXPECT_EQ(out[2900], 0.0f);
  EXPECT_EQ(out[kWindowFrames + 2899], 3099.5f);
  EXPECT_EQ(out[kWindowFrames + 2900], 0.0f);
  EXPECT_EQ(out[2 * kWindowFrames - 1], 0.0f);
  mel.cut_window(5000, out.data());  // entirely past the end: all zeros
  for (float v : out) ASSERT_EQ(v, 0.0f);
  EXPECT_THROW(mel.cut_window(-1, out.data()), Error);
}

TEST(MelFrontend, ConcurrentUseFromManyThreads) {
  std::vector<float> x = noise_bursts(64000, 6);
  MelFrontend shared(80);
  const LogMel want = shared.window(x.data(), x.size());
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      MelFrontend own(t % 2 ? 80 : 128);  // plans created concurrently
      for (int i = 0; i < 3; ++i) ok[t] += shared.window(x.data(), x.size()).data == want.data;
      (void)own.window(x.data(), 1000);
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 3);
}

TEST(MelFrontend, JfkWindowIsFastAndFinite) {
  // 11 s of speech; the whole path includes 30 s of padding. Just shape and sanity here.
  std::vector<float> x = noise_bursts(176000, 7);
  MelFrontend fe(80);
  LogMel mel = fe.whole(x.data(), x.size());
  for (float v : mel.data) ASSERT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace tessera
