// The sequential (openai-whisper) and batched loops on scripted decoding results.
#include "pipeline/loops.h"

#include <gtest/gtest.h>

#include "fake_engine.h"

namespace tessera::pipeline {
namespace {

using test::FakeEngine;
using test::marked_mel;
using test::result_of;
using test::ts;
using test::WindowSeen;

std::vector<int> cat(std::initializer_list<std::vector<int>> parts) {
  std::vector<int> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

DecodingResult silent_result() {
  DecodingResult r = result_of({});
  r.no_speech_prob = 0.9;
  r.avg_logprob = -1.5;
  return r;
}

TEST(SequentialLoop, SeeksSplitsPromptsAndSkipsSilence) {
  const Tokenizer& tok = test::english_tokenizer();
  const auto hello = tok.encode(" Hello"), world = tok.encode(" world"), foo = tok.encode(" Foo"),
             bar = tok.encode(" Bar");
  FakeEngine engine(tok, [&](int call, const WindowSeen&, const DecodingOptions&) {
    if (call == 0)
      return result_of(cat({{ts(tok, 0)}, hello, {ts(tok, 500), ts(tok, 500)}, world}));
    if (call == 1)
      return result_of(
          cat({{ts(tok, 0)}, foo, {ts(tok, 1000), ts(tok, 1000)}, bar, {ts(tok, 1500)}}));
    return silent_result();
  });
  const LogMel mel = marked_mel(6500);
  TranscribeOptions opt;
  const TranscriptionResult r = run_sequential(engine, mel, opt);

  ASSERT_EQ(engine.decoded.size(), 3u);
  EXPECT_EQ(engine.decoded[0].offset, 0);
  EXPECT_EQ(engine.decoded[1].offset, 1000);  // seek moved to the last complete timestamp (10 s)
  EXPECT_EQ(engine.decoded[2].offset, 4000);
  EXPECT_EQ(engine.decoded[2].frames, 2500);  // content_frames - seek, then zeros
  EXPECT_FALSE(engine.decoded[2].padded_with_floor);
  EXPECT_TRUE(engine.prompts[0].empty());
  EXPECT_EQ(engine.prompts[1], cat({{ts(tok, 0)}, hello, {ts(tok, 500)}}));
  EXPECT_EQ(engine.languages[0], "en");

  ASSERT_EQ(r.segments.size(), 3u);
  EXPECT_EQ(r.segments[0].text, " Hello");
  EXPECT_DOUBLE_EQ(r.segments[0].start, 0.0);
  EXPECT_DOUBLE_EQ(r.segments[0].end, 10.0);
  EXPECT_EQ(r.segments[1].text, " Foo");
  EXPECT_DOUBLE_EQ(r.segments[1].start, 10.0);
  EXPECT_DOUBLE_EQ(r.segments[1].end, 30.0);
  EXPECT_EQ(r.segments[1].seek, 1000);
  EXPECT_EQ(r.segments[2].text, " Bar");
  EXPECT_DOUBLE_EQ(r.segments[2].start, 30.0);
  EXPECT_DOUBLE_EQ(r.segments[2].end, 40.0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.segments[i].id, i);
  EXPECT_EQ(r.segments[2].tokens, cat({{ts(tok, 1000)}, bar, {ts(tok, 1500)}}));
  EXPECT_EQ(r.text, " Hello Foo Bar");
  EXPECT_EQ(r.language, "en");
}

TEST(SequentialLoop, HighTemperatureAndNoConditioningResetThePrompt) {
  const Tokenizer& tok = test::english_tokenizer();
  const auto a = tok.encode(" a"), b = tok.encode(" b");
  for (bool condition : {true, false}) {
    FakeEngine engine(tok, [&](int call, const WindowSeen&, const DecodingOptions&) {
      const auto& text = call == 1 ? b : a;
      return result_of(cat({{ts(tok, 0)}, text, {ts(tok, 1500)}}), call == 0 ? 0.8f : 0.0f);
    });
    TranscribeOptions opt;
    opt.condition_on_previous_text = condition;
    run_sequential(engine, marked_mel(9000), opt);
    ASSERT_EQ(engine.prompts.size(), 3u);
    EXPECT_TRUE(engine.prompts[0].empty());
    EXPECT_TRUE(engine.prompts[1].empty());  // window 0 was kept at temperature 0.8
    const std::vector<int> expected =
        condition ? cat({{ts(tok, 0)}, b, {ts(tok, 1500)}}) : std::vector<int>{};
    EXPECT_EQ(engine.prompts[2], expected);
  }
}

TEST(SequentialLoop, InitialPromptAndCarryInitialPrompt) {
  const Tokenizer& tok = test::english_tokenizer();
  const auto a = tok.encode(" a");
  const auto initial = tok.encode(" Glossary: tessera.");
  for (bool carry : {false, true}) {
    FakeEngine engine(tok, [&](int, const WindowSeen&, const DecodingOptions&) {
      return result_of(cat({{ts(tok, 0)}, a, {ts(tok, 1500)}}), 0.8f);  // resets the prompt
    });
    TranscribeOptions opt;
    opt.initial_prompt = "  Glossary: tessera.\n";
    opt.carry_initial_prompt = carry;
    const TranscriptionResult r = run_sequential(engine, marked_mel(6000), opt);
    ASSERT_EQ(engine.prompts.size(), 2u);
    EXPECT_EQ(engine.prompts[0], initial);
    EXPECT_EQ(engine.prompts[1], carry ? initial : std::vector<int>{});
    EXPECT_EQ(r.text, " a a");  // the initial prompt is not part of the transcript
  }
}

TEST(SequentialLoop, EmptySegmentIsClearedAndAZeroAdvanceDoesNotStall) {
  const Tokenizer& tok = test::english_tokenizer();
  const auto x = tok.encode(" x");
  FakeEngine engine(tok, [&](int, const WindowSeen&, const DecodingOptions&) {
    // <|0.00|><|0.00|> closes an instantaneous segment and the tail would restart at seek + 0.
    return result_of(cat({{ts(tok, 0), ts(tok, 0)}, x}));
  });
  const TranscriptionResult r = run_sequential(engine, marked_mel(4000), {});
  ASSERT_EQ(engine.decoded.size(), 2u);  // 0 and 3000: moved on by a whole window
  ASSERT_EQ(r.segments.size(), 2u);
  EXPECT_EQ(r.segments[0].text, "");
  EXPECT_TRUE(r.segments[0].tokens.empty());
  EXPECT_EQ(r.text, "");
}

TEST(SequentialLoop, SilentFileGivesNoSegments) {
  const Tokenizer& tok = test::english_tokenizer();
  FakeEngine engine(tok,
                    [](int, const WindowSeen&, const DecodingOptions&) { return silent_result(); });
  LoopCounts counts;
  const TranscriptionResult r = run_sequential(engine, marked_mel(30000), {}, &counts);
  EXPECT_EQ(engine.decoded.size(), 10u);
  EXPECT_TRUE(r.segments.empty());
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(counts.fallbacks, 0);
  EXPECT_EQ(counts.silent_windows, 0);
}

// Frames [from, to) set to the padding's value: what digital silence gives.
void silence_frames(LogMel& mel, int from, int to) {
  for (int m = 0; m < mel.n_mels; ++m)
    for (int f = from; f < to; ++f) mel.data[static_cast<size_t>(m) * mel.n_frames + f] = -0.5f;
}

TEST(SequentialLoop, DigitalSilenceIsSkippedWithoutTheModel) {
  const Tokenizer& tok = test::english_tokenizer();
  LogMel mel = marked_mel(9000);
  silence_frames(mel, 3000, 6000);  // the second window
  for (bool skip : {true, false}) {
    FakeEngine engine(tok, [&](int, const WindowSeen&, const DecodingOptions&) {
      return result_of(cat({{ts(tok, 0)}, tok.encode(" hi"), {ts(tok, 1500)}}));
    });
    TranscribeOptions opt;
    opt.skip_digital_silence = skip;
    LoopCounts counts;
    const TranscriptionResult r = run_sequential(engine, mel, opt, &counts);
    EXPECT_EQ(counts.silent_windows, skip ? 1 : 0);
    EXPECT_EQ(engine.decoded.size(), skip ? 2u : 3u);
    EXPECT_EQ(r.segments.size(), skip ? 2u : 3u);
    if (skip) {
      EXPECT_DOUBLE_EQ(r.segments[1].start, 60.0);
    }
  }
  // One silent frame short of a whole window: the model decides.
  LogMel almost = marked_mel(3000);
  silence_frames(almost, 1, 3000);
  FakeEngine engine(tok,
                    [](int, const WindowSeen&, const DecodingOptions&) { return silent_result(); });
  LoopCounts counts;
  run_sequential(engine, almost, {}, &counts);
  EXPECT_EQ(counts.silent_windows, 0);
  EXPECT_EQ(engine.decoded.size(), 1u);
}

TEST(BatchedLoop, DigitalSilenceIsSkippedWithoutTheModel) {
  const Tokenizer& tok = test::english_tokenizer();
  LogMel mel = marked_mel(36000);
  silence_frames(mel, 0, 36000);
  FakeEngine engine(
      tok, [](int, const WindowSeen&, const DecodingOptions&) { return result_of({}); }, 4);
  TranscribeOptions opt;
  opt.batched = true;
  opt.batch_size = 4;
  LoopCounts counts;
  const TranscriptionResult r = run_batched(engine, mel, opt, &counts);
  EXPECT_EQ(engine.encode_calls, 0);
  EXPECT_EQ(counts.silent_windows, 12);
  EXPECT_TRUE(r.segments.empty());
}

TEST(SequentialLoop, HighLogprobOverridesNoSpeech) {
  const Tokenizer& tok = test::english_tokenizer();
  FakeEngine engine(tok, [&](int, const WindowSeen&, const DecodingOptions&) {
    DecodingResult r = result_of(cat({{ts(tok, 0)}, tok.encode(" yes"), {ts(tok, 100)}}));
    r.no_speech_prob = 0.9;
    r.avg_logprob = -0.5;  // above logprob_threshold: not skipped
    return r;
  });
  const TranscriptionResult r = run_sequential(engine, marked_mel(1000), {});
  ASSERT_EQ(r.segments.size(), 1u);
  EXPECT_EQ(r.segments[0].text, " yes");
  EXPECT_DOUBLE_EQ(r.segments[0].no_speech_prob, 0.9);
}

TEST(SequentialLoop, LanguageIsDetectedOnceOnTheFirstWindow) {
  const Tokenizer& tok = test::multilingual_tokenizer();
  for (int content : {6500, 1000}) {
    FakeEngine engine(tok, [&](int, const WindowSeen&, const DecodingOptions&) {
      return result_of(cat({{ts(tok, 0)}, tok.encode(" Hallo"), {ts(tok, 1500)}}));
    });
    engine.language_probs = {{"en", 0.2f}, {"de", 0.7f}, {"fr", 0.1f}};
    const TranscriptionResult r = run_sequential(engine, marked_mel(content), {});
    EXPECT_EQ(r.language, "de");
    ASSERT_EQ(engine.detected_on.size(), 1u);
    EXPECT_EQ(engine.detected_on[0].offset, 0);
    for (const std::string& l : engine.languages) EXPECT_EQ(l, "de");
    if (content >= kWindowFrames) {
      // The first decode window is the detection window: encoded once.
      EXPECT_EQ(engine.encoded.size(), engine.decoded.size());
    } else {
      // Detection sees pad_or_trim(mel) (the padding's floor), decoding sees zeros.
      EXPECT_TRUE(engine.detected_on[0].padded_with_floor);
      EXPECT_FALSE(engine.decoded[0].padded_with_floor);
      EXPECT_EQ(engine.decoded[0].frames, content);
      EXPECT_EQ(engine.encoded.size(), engine.decoded.size() + 1);
    }
  }
}

TEST(SequentialLoop, GivenLanguageIsNormalisedAndChecked) {
  auto script = [](int, const WindowSeen&, const DecodingOptions&) { return result_of({}); };
  {
    FakeEngine engine(test::multilingual_tokenizer(), script);
    TranscribeOptions opt;
    opt.decode.language = "German";
    EXPECT_EQ(run_sequential(engine, marked_mel(100), opt).language, "de");
    EXPECT_TRUE(engine.detected_on.empty());
  }
  {
    FakeEngine engine(test::english_tokenizer(), script);
    TranscribeOptions opt;
    opt.decode.language = "de";
    EXPECT_THROW(run_sequential(engine, marked_mel(100), opt), Error);
    opt.decode.language = "klingon";
    EXPECT_THROW(run_sequential(engine, marked_mel(100), opt), Error);
  }
}

TEST(SequentialLoop, ClipTimestampsLimitTheWindows) {
  const Tokenizer& tok = test::english_tokenizer();
  FakeEngine engine(tok,
                    [](int, const WindowSeen&, const DecodingOptions&) { return result_of({}); });
  TranscribeOptions opt;
  opt.clip_timestamps = "5,10,40";  // 5-10 s, then 40 s to the end
  run_sequential(engine, marked_mel(5000), opt);
  ASSERT_EQ(engine.decoded.size(), 2u);
  EXPECT_EQ(engine.decoded[0].offset, 500);
  EXPECT_EQ(engine.decoded[0].frames, 500);
  EXPECT_EQ(engine.decoded[1].offset, 4000);
  EXPECT_EQ(engine.decoded[1].frames, 1000);
  opt.clip_timestamps = "1,x";
  EXPECT_THROW(run_sequential(engine, marked_mel(5000), opt), Error);
}

TEST(SequentialLoop, RejectsAMelThatIsNotAWholeFileMel) {
  FakeEngine engine(test::english_tokenizer(),
                    [](int, const WindowSeen&, const DecodingOptions&) { return result_of({}); });
  LogMel short_mel = marked_mel(0);
  short_mel.n_frames = 2999;
  short_mel.data.resize(80 * 2999);
  EXPECT_THROW(run_sequential(engine, short_mel, {}), Error);
  EXPECT_THROW(run_sequential(engine, marked_mel(100, 128), {}), Error);
  // An empty file: nothing to decode, no error.
  const TranscriptionResult r = run_sequential(engine, marked_mel(0), {});
  EXPECT_TRUE(r.segments.empty());
  EXPECT_TRUE(engine.decoded.empty());
}

// --- batched ---------------------------------------------------------------------------------

// A mel of constant loudness with quiet dips at the given frames. Band 0 keeps marked_mel's frame
// markers (the fake engine reads them); band 1 mirrors them so the mean over bands is unaffected.
LogMel mel_with_dips(int content, std::initializer_list<int> dips) {
  LogMel mel = marked_mel(content);
  auto at = [&](int m, int f) -> float& {
    return mel.data[static_cast<size_t>(m) * mel.n_frames + f];
  };
  for (int f = 0; f < content; ++f) {
    at(1, f) = -at(0, f);
    for (int m = 2; m < mel.n_mels; ++m) at(m, f) = 0.5f;
  }
  for (int d : dips)
    for (int m = 2; m < mel.n_mels; ++m)
      for (int f = d - 15; f <= d + 15; ++f) at(m, f) = -1.0f;
  return mel;
}

TEST(BatchedWindows, CutAtQuietPoints) {
  const auto w = plan_windows(mel_with_dips(8000, {2600, 5300}), 8000);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].first, 0);
  EXPECT_NEAR(w[0].second, 2600, 5);
  EXPECT_NEAR(w[1].second, 5300, 5);
  EXPECT_EQ(w[2].second, 8000);
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_LE(w[i].second - w[i].first, kWindowFrames);
    EXPECT_GT(w[i].second, w[i].first);
    if (i > 0) {
      EXPECT_EQ(w[i].first, w[i - 1].second);
    }
  }
}

TEST(BatchedWindows, WithoutPausesWindowsAreFull) {
  const auto w = plan_windows(mel_with_dips(7000, {}), 7000);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0], (std::pair<long long, long long>{0, 3000}));
  EXPECT_EQ(w[1], (std::pair<long long, long long>{3000, 6000}));
  EXPECT_EQ(w[2], (std::pair<long long, long long>{6000, 7000}));
  EXPECT_EQ(plan_windows(marked_mel(3000), 3000).size(), 1u);
  EXPECT_TRUE(plan_windows(marked_mel(0), 0).empty());
  EXPECT_THROW(plan_windows(marked_mel(10), 5000), Error);
}

TEST(BatchedLoop, DecodesWindowsTogetherAndFinishesWhatTheModelLeftOut) {
  const Tokenizer& tok = test::english_tokenizer();
  const auto one = tok.encode(" one"), two = tok.encode(" two"), three = tok.encode(" three");
  const LogMel mel = mel_with_dips(9000, {2200, 4400, 6600});
  const auto windows = plan_windows(mel, 9000);
  ASSERT_EQ(windows.size(), 4u);
  FakeEngine engine(
      tok,
      [&](int, const WindowSeen& w, const DecodingOptions&) {
        if (w.offset == windows[2].first) return silent_result();
        if (w.offset == windows[3].first)  // a timestamp past the window's audio (28 s)
          return result_of(cat({{ts(tok, 0)}, one, {ts(tok, 1400), ts(tok, 1400)}}));
        if (w.offset == windows[0].first || w.offset == windows[1].first)
          // 0-2 s closed by a pair, then unfinished: the rest is decoded again from 2 s.
          return result_of(cat({{ts(tok, 0)}, one, {ts(tok, 100), ts(tok, 100)}, two}));
        return result_of(cat({{ts(tok, 0)}, three, {ts(tok, 50)}}));
      },
      2);
  TranscribeOptions opt;
  opt.batched = true;
  opt.batch_size = 2;
  opt.condition_on_previous_text = true;  // ignored: windows are independent
  long long progress = 0;
  opt.on_progress = [&](long long done, long long total) {
    EXPECT_GE(done, progress);
    EXPECT_EQ(total, 9000);
    progress = done;
  };
  const TranscriptionResult r = run_batched(engine, mel, opt);

  // Windows 0+1, then the rests of 0 and 1 (unfinished windows go first, so the frames held stay
  // near the front), then 2+3.
  EXPECT_EQ(engine.encode_calls, 3);
  EXPECT_EQ(engine.decode_calls, 3);
  EXPECT_EQ(progress, 9000);
  for (const auto& p : engine.prompts) EXPECT_TRUE(p.empty());
  ASSERT_EQ(engine.decoded.size(), 6u);
  EXPECT_EQ(engine.decoded[2].offset, windows[0].first + 200);
  EXPECT_EQ(engine.decoded[2].frames, windows[0].second - windows[0].first - 200);
  EXPECT_EQ(engine.decoded[3].offset, windows[1].first + 200);
  EXPECT_EQ(engine.decoded[3].frames, windows[1].second - windows[1].first - 200);
  EXPECT_EQ(engine.decoded[4].offset, windows[2].first);

  ASSERT_EQ(r.segments.size(), 5u);
  double last_end = 0;
  for (size_t i = 0; i < r.segments.size(); ++i) {
    const Segment& s = r.segments[i];
    EXPECT_EQ(s.id, static_cast<int>(i));
    EXPECT_GE(s.start, last_end);
    EXPECT_GE(s.end, s.start);
    last_end = s.end;
  }
  const double w1 = windows[1].first / 100.0;
  EXPECT_EQ(r.segments[2].text, " one");
  EXPECT_DOUBLE_EQ(r.segments[2].start, w1);
  EXPECT_DOUBLE_EQ(r.segments[2].end, w1 + 2.0);
  EXPECT_EQ(r.segments[3].text, " three");
  EXPECT_EQ(r.segments[3].seek, windows[1].first + 200);
  EXPECT_DOUBLE_EQ(r.segments[3].start, w1 + 2.0);
  EXPECT_DOUBLE_EQ(r.segments[3].end, w1 + 3.0);
  EXPECT_EQ(r.segments[4].seek, windows[3].first);
  EXPECT_DOUBLE_EQ(r.segments[4].start, windows[3].first / 100.0);
  EXPECT_DOUBLE_EQ(r.segments[4].end, 90.0);  // <|28.00|> clamped to the 23.95 s window
  EXPECT_EQ(r.text, " one three one three one");
}

TEST(BatchedLoop, InitialPromptGoesToEveryWindowAndBadBatchIsRejected) {
  const Tokenizer& tok = test::english_tokenizer();
  FakeEngine engine(
      tok, [](int, const WindowSeen&, const DecodingOptions&) { return result_of({}); }, 4);
  TranscribeOptions opt;
  opt.batched = true;
  opt.batch_size = 16;  // more than the engine holds: runs 4 at a time
  opt.initial_prompt = "Names: Tessera.";
  run_batched(engine, marked_mel(20000), opt);
  EXPECT_EQ(engine.encode_calls, 3);  // 9 windows of 22 s (the mel gets louder: cut early)
  for (const auto& p : engine.prompts) EXPECT_EQ(p, tok.encode(" Names: Tessera."));
  opt.batch_size = 0;
  EXPECT_THROW(run_batched(engine, marked_mel(100), opt), Error);
}

// --- streaming -------------------------------------------------------------------------------

namespace streaming {

// A whole mel that behaves like the stream: frames before the release mark are gone (asking for
// them throws), and it records how far ahead of the mark the loops ever reach.
class ForgetfulFrames final : public MelFrames {
 public:
  explicit ForgetfulFrames(const LogMel& mel) : whole_(whole_mel_frames(mel)) {}
  int n_mels() const override { return whole_->n_mels(); }
  long long content_frames() const override { return whole_->content_frames(); }
  long long total_frames() const override { return whole_->total_frames(); }
  float silence_value() const override { return whole_->silence_value(); }
  void copy(long long offset, int count, float* out, size_t stride) override {
    if (offset < released_) throw Error("frame " + std::to_string(offset) + " was released");
    max_span = std::max(max_span, offset + count - released_);
    whole_->copy(offset, count, out, stride);
  }
  void release_before(long long frame) override {
    EXPECT_GE(frame, released_) << "the release mark went back";
    released_ = std::max(released_, frame);
  }
  long long max_span = 0;

 private:
  std::unique_ptr<MelFrames> whole_;
  long long released_ = 0;
};

}  // namespace streaming

TEST(StreamingLoops, HoldOnlyTheWindowsInFlightAndGiveTheSameResult) {
  const Tokenizer& tok = test::english_tokenizer();
  const auto word = tok.encode(" word");
  // 10 minutes; every other window stops at 12 s with a closed segment, so its rest is decoded
  // again (sequential: seek moves to 12 s; batched: a continuation of the chain).
  const LogMel mel = mel_with_dips(60000, {});
  auto script = [&](int, const WindowSeen& w, const DecodingOptions&) {
    if ((w.offset / 100) % 2 == 0)
      return result_of(cat({{ts(tok, 0)},
                            word,
                            {ts(tok, 600), ts(tok, 600)},
                            word,
                            {ts(tok, 1200), ts(tok, 1200)}}));
    return result_of(cat({{ts(tok, 0)}, word, {ts(tok, 1000)}}));
  };
  for (bool batched : {false, true}) {
    TranscribeOptions opt;
    opt.batched = batched;
    opt.batch_size = 4;
    FakeEngine plain_engine(tok, script, 4), streamed_engine(tok, script, 4);
    const TranscriptionResult plain =
        batched ? run_batched(plain_engine, mel, opt) : run_sequential(plain_engine, mel, opt);
    streaming::ForgetfulFrames frames(mel);
    const TranscriptionResult streamed = batched ? run_batched(streamed_engine, frames, opt)
                                                 : run_sequential(streamed_engine, frames, opt);
    const char* mode = batched ? "batched" : "sequential";
    EXPECT_EQ(streamed.text, plain.text) << mode;
    ASSERT_EQ(streamed.segments.size(), plain.segments.size()) << mode;
    for (size_t i = 0; i < plain.segments.size(); ++i) {
      EXPECT_EQ(streamed.segments[i].start, plain.segments[i].start) << mode;
      EXPECT_EQ(streamed.segments[i].end, plain.segments[i].end) << mode;
    }
    EXPECT_GT(plain.segments.size(), 20u) << mode;
    // Sequential: one window. Batched: a batch of windows plus the continuations before them.
    EXPECT_LE(frames.max_span, batched ? 3 * 4 * kWindowFrames : kWindowFrames) << mode;
    std::printf("%s: frames held at most %lld (%lld in the file)\n", mode, frames.max_span,
                mel.n_frames + 0LL);
  }
}

// Speech, then ten minutes of digital silence: the silent windows are skipped without the model
// while the first window still has a rest to decode, and the frames held stay a few windows.
TEST(StreamingLoops, BatchedSkipsALongSilenceWithoutHoldingIt) {
  const Tokenizer& tok = test::english_tokenizer();
  const auto word = tok.encode(" word");
  LogMel mel = mel_with_dips(63000, {});
  for (int m = 0; m < mel.n_mels; ++m)
    for (int f = 3000; f < 63000; ++f) mel.data[static_cast<size_t>(m) * mel.n_frames + f] = -0.5f;
  FakeEngine engine(
      tok,
      [&](int, const WindowSeen& w, const DecodingOptions&) {
        if (w.offset == 0)  // stops at 12 s: the rest of the window is decoded again
          return result_of(cat({{ts(tok, 0)}, word, {ts(tok, 600), ts(tok, 600)}}));
        return result_of(cat({{ts(tok, 0)}, word, {ts(tok, 500)}}));
      },
      4);
  TranscribeOptions opt;
  opt.batched = true;
  opt.batch_size = 4;
  streaming::ForgetfulFrames frames(mel);
  LoopCounts counts;
  const TranscriptionResult r = run_batched(engine, frames, opt, &counts);
  EXPECT_EQ(counts.silent_windows, 20);
  ASSERT_EQ(engine.decoded.size(), 2u);       // the first window and its rest
  EXPECT_EQ(engine.decoded[1].offset, 1200);  // 12 s
  EXPECT_EQ(r.text, " word word");
  // At most batch + 1 windows planned past the oldest in flight, one more being planned, and the
  // planner's look-ahead: bounded by the batch, not by the 63,000 frames.
  EXPECT_LE(frames.max_span, (opt.batch_size + 3) * kWindowFrames);
}

}  // namespace
}  // namespace tessera::pipeline
