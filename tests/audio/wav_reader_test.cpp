#include "audio/wav_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include "audio/wav_builder.h"
#include "support/test_paths.h"
#include "tessera/audio.h"
#include "tessera/error.h"

namespace tessera {
namespace {

using test::WavBuilder;
using test::WavSpec;

AudioBuffer parse(const std::vector<uint8_t>& bytes) {
  return parse_wav(bytes.data(), bytes.size(), "test.wav");
}

// Expects parse to throw a tessera::Error that names the file and mentions `cause`.
void expect_error(const std::vector<uint8_t>& bytes, const std::string& cause) {
  try {
    parse(bytes);
    FAIL() << "expected an error mentioning '" << cause << "'";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("test.wav"), std::string::npos) << what;
    EXPECT_NE(what.find(cause), std::string::npos) << what;
  }
}

TEST(WavReader, Pcm16MonoValues) {
  auto wav = WavBuilder::build({}, WavBuilder::pcm16({0, 16384, -32768, 32767}));
  AudioBuffer a = parse(wav);
  EXPECT_EQ(a.sample_rate, 16000);
  EXPECT_EQ(a.channels, 1);
  ASSERT_EQ(a.samples.size(), 4u);
  EXPECT_FLOAT_EQ(a.samples[0], 0.0f);
  EXPECT_FLOAT_EQ(a.samples[1], 0.5f);
  EXPECT_FLOAT_EQ(a.samples[2], -1.0f);
  EXPECT_FLOAT_EQ(a.samples[3], 32767.0f / 32768.0f);
}

TEST(WavReader, Pcm8IsUnsigned) {
  WavSpec s;
  s.bits = 8;
  AudioBuffer a = parse(WavBuilder::build(s, {128, 0, 255}));  // odd size: padded data chunk
  ASSERT_EQ(a.samples.size(), 3u);
  EXPECT_FLOAT_EQ(a.samples[0], 0.0f);
  EXPECT_FLOAT_EQ(a.samples[1], -1.0f);
  EXPECT_FLOAT_EQ(a.samples[2], 127.0f / 128.0f);
}

TEST(WavReader, Pcm24SignExtends) {
  WavSpec s;
  s.bits = 24;
  // 0x400000 = 0.5, 0xC00000 = -0.5, 0x800000 = -1, 0x000001 = 1/2^23
  AudioBuffer a = parse(WavBuilder::build(
      s, {0x00, 0x00, 0x40, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00}));
  ASSERT_EQ(a.samples.size(), 4u);
  EXPECT_FLOAT_EQ(a.samples[0], 0.5f);
  EXPECT_FLOAT_EQ(a.samples[1], -0.5f);
  EXPECT_FLOAT_EQ(a.samples[2], -1.0f);
  EXPECT_FLOAT_EQ(a.samples[3], 1.0f / 8388608.0f);
}

TEST(WavReader, Pcm32) {
  WavSpec s;
  s.bits = 32;
  std::vector<int32_t> v = {INT32_MIN, 1 << 30, 0};
  std::vector<uint8_t> b(12);
  std::memcpy(b.data(), v.data(), 12);
  AudioBuffer a = parse(WavBuilder::build(s, b));
  EXPECT_FLOAT_EQ(a.samples[0], -1.0f);
  EXPECT_FLOAT_EQ(a.samples[1], 0.5f);
  EXPECT_FLOAT_EQ(a.samples[2], 0.0f);
}

TEST(WavReader, Float32And64AndNonFiniteBecomeSilence) {
  WavSpec s;
  s.format = 3;
  s.bits = 32;
  std::vector<float> f = {0.25f, -0.75f, NAN, INFINITY};
  std::vector<uint8_t> b(16);
  std::memcpy(b.data(), f.data(), 16);
  AudioBuffer a = parse(WavBuilder::build(s, b));
  EXPECT_EQ(a.samples, (std::vector<float>{0.25f, -0.75f, 0.0f, 0.0f}));

  s.bits = 64;
  std::vector<double> d = {0.125, -1.5};
  b.resize(16);
  std::memcpy(b.data(), d.data(), 16);
  a = parse(WavBuilder::build(s, b));
  EXPECT_EQ(a.samples, (std::vector<float>{0.125f, -1.5f}));
}

TEST(WavReader, ExtensiblePcmAndFloat) {
  WavSpec s;
  s.format = 0xFFFE;
  s.channels = 2;
  AudioBuffer a = parse(WavBuilder::build(s, WavBuilder::pcm16({16384, -16384})));
  EXPECT_EQ(a.channels, 2);
  EXPECT_EQ(a.samples, (std::vector<float>{0.5f, -0.5f}));

  s.sub_format = 3;
  s.bits = 32;
  std::vector<float> f = {0.5f, 0.25f};
  std::vector<uint8_t> b(8);
  std::memcpy(b.data(), f.data(), 8);
  a = parse(WavBuilder::build(s, b));
  EXPECT_EQ(a.samples, f);

  s.sub_format = 2;  // ADPCM inside EXTENSIBLE: not decoded natively
  expect_error(WavBuilder::build(s, b), "unsupported WAV encoding");
}

TEST(WavReader, SkipsOddListChunkAndAcceptsDataBeforeFmt) {
  WavSpec s;
  s.odd_list_before = true;
  EXPECT_EQ(parse(WavBuilder::build(s, WavBuilder::pcm16({100, 200}))).samples.size(), 2u);
  s.data_before_fmt = true;
  AudioBuffer a = parse(WavBuilder::build(s, WavBuilder::pcm16({16384, 200, 300})));
  ASSERT_EQ(a.samples.size(), 3u);
  EXPECT_FLOAT_EQ(a.samples[0], 0.5f);
}

TEST(WavReader, MultichannelInterleavedAndToMono) {
  WavSpec s;
  s.channels = 3;
  AudioBuffer a = parse(WavBuilder::build(s, WavBuilder::pcm16({3000, 6000, 9000, -300, 0, 300})));
  EXPECT_EQ(a.channels, 3);
  std::vector<float> mono = to_mono(a);
  ASSERT_EQ(mono.size(), 2u);
  EXPECT_NEAR(mono[0], 6000 / 32768.0f, 1e-7);
  EXPECT_NEAR(mono[1], 0.0f, 1e-7);
}

TEST(WavReader, StreamingDataSizeIsClampedToTheFile) {
  WavSpec s;
  s.data_size_field = 0xFFFFFFFF;
  AudioBuffer a = parse(WavBuilder::build(s, WavBuilder::pcm16({1, 2, 3, 4, 5})));
  EXPECT_EQ(a.samples.size(), 5u);
}

TEST(WavReader, TruncatedDataIsClampedAndPartialFrameDropped) {
  WavSpec s;
  s.channels = 2;
  auto wav = WavBuilder::build(s, WavBuilder::pcm16({1, 2, 3, 4, 5, 6}));
  wav.resize(wav.size() - 3);  // cuts into the last stereo frame
  AudioBuffer a = parse(wav);
  EXPECT_EQ(a.samples.size(), 4u);
}

TEST(WavReader, RejectsBrokenHeaders) {
  auto good = WavBuilder::build({}, WavBuilder::pcm16({1, 2}));
  expect_error({}, "empty");
  expect_error(std::vector<uint8_t>(good.begin(), good.begin() + 7), "truncated");
  expect_error(std::vector<uint8_t>(good.begin(), good.begin() + 30), "fmt chunk");
  auto not_riff = good;
  not_riff[0] = 'X';
  expect_error(not_riff, "not a RIFF file");
  auto not_wave = good;
  not_wave[8] = 'A';
  expect_error(not_wave, "not WAVE");

  WavSpec s;
  s.channels = 0;
  expect_error(WavBuilder::build(s, {}), "channels = 0");
  s = {};
  s.rate = 0;
  expect_error(WavBuilder::build(s, WavBuilder::pcm16({1})), "sample rate 0");
  s.rate = 50'000'000;
  expect_error(WavBuilder::build(s, WavBuilder::pcm16({1})), "sample rate 50000000");
  s = {};
  s.block_align = 3;
  expect_error(WavBuilder::build(s, WavBuilder::pcm16({1})), "block align");
  s = {};
  s.bits = 12;
  expect_error(WavBuilder::build(s, WavBuilder::pcm16({1})), "bits per sample 12");
  s = {};
  s.format = 2;  // MS ADPCM
  expect_error(WavBuilder::build(s, WavBuilder::pcm16({1})), "format tag 0x0002");
  s = {};
  s.format = 3;
  s.bits = 16;
  expect_error(WavBuilder::build(s, WavBuilder::pcm16({1})), "IEEE float");
}

TEST(WavReader, RejectsMissingChunks) {
  std::vector<uint8_t> only_fmt;
  WavBuilder::tag(only_fmt, "RIFF");
  WavBuilder::put32(only_fmt, 28);
  WavBuilder::tag(only_fmt, "WAVE");
  auto fmt = WavBuilder::fmt_chunk({});
  only_fmt.insert(only_fmt.end(), fmt.begin(), fmt.end());
  expect_error(only_fmt, "no data chunk");

  std::vector<uint8_t> only_data;
  WavBuilder::tag(only_data, "RIFF");
  WavBuilder::put32(only_data, 14);
  WavBuilder::tag(only_data, "WAVE");
  WavBuilder::tag(only_data, "data");
  WavBuilder::put32(only_data, 2);
  WavBuilder::put16(only_data, 7);
  expect_error(only_data, "no fmt chunk");
}

TEST(WavReader, NativeDetection) {
  auto good = WavBuilder::build({}, WavBuilder::pcm16({1, 2}));
  EXPECT_TRUE(audio::is_native_wav(good.data(), good.size()));
  WavSpec adpcm;
  adpcm.format = 2;
  auto other = WavBuilder::build(adpcm, WavBuilder::pcm16({1}));
  EXPECT_FALSE(audio::is_native_wav(other.data(), other.size()));
  const uint8_t junk[] = {'I', 'D', '3', 4, 0, 0};
  EXPECT_FALSE(audio::is_native_wav(junk, sizeof(junk)));
  EXPECT_FALSE(audio::is_native_wav(nullptr, 0));
}

// Random corruption of a valid file must end in a result or a tessera::Error, never a crash.
TEST(WavReader, SurvivesRandomCorruption) {
  WavSpec s;
  s.odd_list_before = true;
  s.channels = 2;
  std::vector<int16_t> pcm(64);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>(i * 997);
  const auto good = WavBuilder::build(s, WavBuilder::pcm16(pcm));
  std::mt19937 rng(7);
  int errors = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    auto bad = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) bad[rng() % 80] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0) bad.resize(rng() % bad.size());
    try {
      AudioBuffer a = parse(bad);
      EXPECT_LE(a.samples.size(), bad.size());  // never more samples than bytes
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 100);
}

TEST(WavReader, ReadsRepoClips) {
  AudioBuffer jfk = read_wav(test::repo_path("data/audio/jfk.wav"));
  EXPECT_EQ(jfk.sample_rate, 16000);
  EXPECT_EQ(jfk.channels, 1);
  EXPECT_EQ(jfk.samples.size(), 176000u);
  AudioBuffer lj = read_wav(test::repo_path("data/audio/LJ002-0020.wav"));
  EXPECT_EQ(lj.sample_rate, 22050);
  EXPECT_EQ(lj.samples.size(), 33949u);
  AudioBuffer st = read_wav(test::repo_path("data/audio/stereo_diarization.wav"));
  EXPECT_EQ(st.channels, 2);
  EXPECT_EQ(st.samples.size(), 160000u);
}

TEST(WavReader, MissingFileIsAnErrorNamingIt) {
  try {
    read_wav("/nonexistent/dir/x.wav");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.wav"), std::string::npos);
  }
}

TEST(ToMono, RejectsInconsistentBuffers) {
  AudioBuffer b;
  b.channels = 0;
  EXPECT_THROW(to_mono(b), Error);
  b.channels = 2;
  b.samples = {1.0f, 2.0f, 3.0f};
  EXPECT_THROW(to_mono(b), Error);
}

}  // namespace
}  // namespace tessera
