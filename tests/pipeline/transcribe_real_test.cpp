// The whole pipeline on real weights (models/tiny.en): the known jfk.wav sentence in both modes,
// long silence skipped quickly, unreadable files named in the error.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "support/test_paths.h"
#include "tessera/audio.h"
#include "tessera/error.h"
#include "tessera/transcribe.h"

namespace tessera {
namespace {

constexpr const char* kJfk =
    " And so my fellow Americans ask not what your country can do for you ask what you can do "
    "for your country";

class TinyEn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = test::real_model("tiny.en");
    if (dir.empty()) return;
    model_ = Model::load(dir);
    transcriber_ = new Transcriber(
        model_, {.compute_type = ComputeType::F32, .threads = 2, .max_batch = 4, .max_group = 5});
  }
  static void TearDownTestSuite() {
    delete transcriber_;
    transcriber_ = nullptr;
    model_.reset();
  }
  void SetUp() override {
    if (!transcriber_) GTEST_SKIP() << "models/tiny.en not fetched (scripts/fetch-model tiny.en)";
  }
  static inline std::shared_ptr<const Model> model_;
  static inline Transcriber* transcriber_ = nullptr;
};

TEST_F(TinyEn, JfkSequentialMatchesOpenaiWhisper) {
  TranscribeTimings t;
  const TranscriptionResult r =
      transcriber_->transcribe_file(test::repo_path("data/audio/jfk.wav"), {}, &t);
  EXPECT_EQ(r.text, kJfk);
  EXPECT_EQ(r.language, "en");
  // openai-whisper 20250625 on the same weights: [0.00 --> 7.74] [7.74 --> 10.74].
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_DOUBLE_EQ(r.segments[0].start, 0.0);
  EXPECT_DOUBLE_EQ(r.segments[0].end, 7.74);
  EXPECT_DOUBLE_EQ(r.segments[1].start, 7.74);
  EXPECT_DOUBLE_EQ(r.segments[1].end, 10.74);
  EXPECT_EQ(r.segments[1].text, " ask what you can do for your country");
  EXPECT_EQ(r.segments[0].temperature, 0.0);
  EXPECT_GT(r.segments[0].avg_logprob, -1.0);
  EXPECT_LT(r.segments[0].no_speech_prob, 0.6);
  EXPECT_GT(r.segments[0].compression_ratio, 0.5);
  EXPECT_NEAR(t.audio_seconds, 11.0, 0.01);
  EXPECT_EQ(t.windows, 1);
  EXPECT_GT(t.encoder_ms, 0);
  EXPECT_GT(t.decoder_ms, 0);
  EXPECT_GE(t.total_ms, t.audio_ms + t.mel_ms + t.encoder_ms + t.decoder_ms);
}

TEST_F(TinyEn, JfkBatchedGivesTheSameText) {
  TranscribeOptions opt;
  opt.batched = true;
  opt.batch_size = 4;
  const TranscriptionResult r =
      transcriber_->transcribe_file(test::repo_path("data/audio/jfk.wav"), opt);
  EXPECT_EQ(r.text, kJfk);
  ASSERT_FALSE(r.segments.empty());
  EXPECT_LE(r.segments.back().end, 11.0);
}

// An hour of digital silence: no text, in both modes, quickly (the time is printed, not asserted).
// Every window is skipped as digital silence without running the model
// (TranscribeOptions::skip_digital_silence).
TEST_F(TinyEn, HourOfSilenceGivesNoTextQuickly) {
  const std::vector<float> silence(static_cast<size_t>(3600) * kSampleRate, 0.0f);
  for (bool batched : {false, true}) {
    TranscribeOptions opt;
    opt.batched = batched;
    opt.batch_size = 4;
    TranscribeTimings t;
    const auto t0 = std::chrono::steady_clock::now();
    const TranscriptionResult r = transcriber_->transcribe(silence, opt, &t);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const char* mode = batched ? "batched" : "sequential";
    EXPECT_EQ(r.text, "") << mode;
    EXPECT_TRUE(r.segments.empty()) << mode;
    EXPECT_EQ(t.windows, 0) << mode;
    EXPECT_EQ(t.silent_windows, 120) << mode;
    std::printf("1 h of silence, %s: %.1f s (mel %.1f s)\n", mode, s, t.mel_ms / 1000);
  }
}

// With the model run on silent windows, the no-speech check decides, exactly as in openai-whisper:
// on 60 s of digital silence tiny.en hallucinates " you" in each window (openai-whisper 20250625
// on the same weights: [0.00 --> 2.06] " you", [30.00 --> 32.00] " you").
TEST_F(TinyEn, SilenceThroughTheModelMatchesOpenaiWhisper) {
  const std::vector<float> silence(static_cast<size_t>(60) * kSampleRate, 0.0f);
  TranscribeOptions opt;
  opt.skip_digital_silence = false;
  TranscribeTimings t;
  const TranscriptionResult r = transcriber_->transcribe(silence, opt, &t);
  EXPECT_EQ(t.windows, 2);
  EXPECT_EQ(r.text, " you you");
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_DOUBLE_EQ(r.segments[0].start, 0.0);
  EXPECT_DOUBLE_EQ(r.segments[0].end, 2.06);
  EXPECT_DOUBLE_EQ(r.segments[1].start, 30.0);
  EXPECT_DOUBLE_EQ(r.segments[1].end, 32.0);
}

TEST_F(TinyEn, UnreadableFilesAreNamed) {
  const std::string missing = test::repo_path("data/audio/no-such-file.wav");
  try {
    transcriber_->transcribe_file(missing, {});
    FAIL() << "no error for a missing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-file.wav"), std::string::npos) << e.what();
  }
  const std::string corrupt = ::testing::TempDir() + "tessera_corrupt_audio.mp3";
  {
    std::ofstream f(corrupt, std::ios::binary);
    f << "this is not audio at all, just text pretending to be an mp3 file";
  }
  try {
    transcriber_->transcribe_file(corrupt, {});
    FAIL() << "no error for a corrupt file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tessera_corrupt_audio.mp3"), std::string::npos)
        << e.what();
  }
  std::remove(corrupt.c_str());
}

TEST_F(TinyEn, BadOptionsAreRejected) {
  TranscribeOptions opt;
  opt.decode.language = "fr";                   // English-only model
  const std::vector<float> audio(16000, 0.0f);  // (silent: the options are checked up front)
  EXPECT_THROW(transcriber_->transcribe(audio, opt), Error);
  opt = {};
  opt.decode.beam_size = 9;  // more beams than the transcriber was set up for
  EXPECT_THROW(transcriber_->transcribe(audio, opt), Error);
  opt = {};
  opt.fallback.temperatures.clear();
  EXPECT_THROW(transcriber_->transcribe(audio, opt), Error);
}

}  // namespace
}  // namespace tessera
