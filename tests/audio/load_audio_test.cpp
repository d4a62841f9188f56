// load_audio and the FFmpeg decoder: real clips, files encoded at test time with FFmpeg's own
// encoders (FLAC, MP3, Ogg Vorbis/Opus, M4A/AAC, a video with sound), and broken input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "audio/ffmpeg_decoder.h"
#include "audio/media_writer.h"
#include "audio/wav_builder.h"
#include "support/test_paths.h"
#include "tessera/audio.h"
#include "tessera/error.h"

namespace tessera {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::path(::testing::TempDir()) / ("tessera_audio_" + std::to_string(getpid()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Speech-like test signal: two tones with a slow envelope, interleaved for `channels`.
std::vector<float> test_signal(int rate, int channels, double seconds) {
  const size_t n = static_cast<size_t>(rate * seconds);
  std::vector<float> v(n * channels);
  for (size_t i = 0; i < n; ++i) {
    double t = double(i) / rate;
    double env = 0.5 + 0.4 * std::sin(2 * M_PI * 1.3 * t);
    for (int c = 0; c < channels; ++c)
      v[i * channels + c] =
          static_cast<float>(env * (0.3 * std::sin(2 * M_PI * (440.0 + 110 * c) * t) +
                                    0.1 * std::sin(2 * M_PI * 1700.0 * t)));
  }
  return v;
}

// What load_audio should return for `signal`: channel average, then the 16 kHz resampler.
std::vector<float> expected_16k(const std::vector<float>& signal, int rate, int channels) {
  AudioBuffer b;
  b.sample_rate = rate;
  b.channels = channels;
  b.samples = signal;
  return resample(to_mono(b), rate, kSampleRate);
}

double snr_db(const std::vector<float>& got, const std::vector<float>& want, size_t skip_edges) {
  const size_t n = std::min(got.size(), want.size());
  double sig = 0, err = 0;
  for (size_t i = skip_edges; i + skip_edges < n; ++i) {
    sig += double(want[i]) * want[i];
    err += double(got[i] - want[i]) * (got[i] - want[i]);
  }
  return 10 * std::log10(sig / std::max(err, 1e-30));
}

void expect_error_naming(const std::string& path, const std::string& cause) {
  try {
    load_audio(path);
    ADD_FAILURE() << path << ": expected an error mentioning '" << cause << "'";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(cause), std::string::npos) << what;
  }
}

TEST(LoadAudio, NativeWavPathMatchesReaderExactly) {
  for (const char* clip : {"jfk.wav", "LJ002-0020.wav", "stereo_diarization.wav"}) {
    const std::string path = test::repo_path(std::string("data/audio/") + clip);
    AudioBuffer raw = read_wav(path);
    std::vector<float> want = raw.sample_rate == kSampleRate
                                  ? to_mono(raw)
                                  : resample(to_mono(raw), raw.sample_rate, kSampleRate);
    EXPECT_EQ(load_audio(path), want) << clip;
  }
}

TEST(LoadAudio, FfmpegPathAgreesWithNativeWav) {
  // The same files through FFmpeg: same downmix, same resampler, so the same samples.
  for (const char* clip : {"jfk.wav", "LJ002-0020.wav", "stereo_diarization.wav"}) {
    const std::string path = test::repo_path(std::string("data/audio/") + clip);
    std::vector<float> native = load_audio(path);
    std::vector<float> ff = audio::decode_audio_ffmpeg(path);
    ASSERT_EQ(ff.size(), native.size()) << clip;
    float worst = 0;
    for (size_t i = 0; i < ff.size(); ++i) worst = std::max(worst, std::abs(ff[i] - native[i]));
    EXPECT_LE(worst, 1e-6f) << clip;
  }
}

struct CodecCase {
  const char* file;
  test::MediaSpec spec;
  double min_snr_db;  // vs the resampled source; lossless formats must be (nearly) exact
};

TEST(LoadAudio, DecodesContainersAndCodecs) {
  TempDir dir;
  const CodecCase cases[] = {
      {"a.flac", {"flac", 44100, 2, "", ""}, 80.0},
      {"a.wav", {"pcm_s24le", 22050, 1, "", ""}, 100.0},
      {"a.mp3", {"libmp3lame", 44100, 1, "", ""}, 15.0},
      {"a.ogg", {"libvorbis", 22050, 2, "", ""}, 15.0},
      {"a.opus", {"libopus", 48000, 1, "", "ogg"}, 10.0},
      {"a.m4a", {"aac", 44100, 2, "", "ipod"}, 15.0},
      {"a.mkv", {"flac", 16000, 1, "mpeg4", ""}, 80.0},  // the audio track of a video
      {"a.mp4", {"aac", 48000, 1, "mpeg4", ""}, 15.0},
  };
  for (const auto& c : cases) {
    const std::vector<float> signal = test_signal(c.spec.rate, c.spec.channels, 2.0);
    const std::string path = dir.file(c.file);
    test::MediaResult r = test::write_media(path, c.spec, signal);
    if (r == test::MediaResult::kNoEncoder) {
      std::printf("note: encoder %s not in this FFmpeg build; %s not checked\n",
                  c.spec.audio_codec.c_str(), c.file);
      continue;
    }
    ASSERT_EQ(r, test::MediaResult::kWritten) << c.file;
    std::vector<float> got = load_audio(path);
    std::vector<float> want = expected_16k(signal, c.spec.rate, c.spec.channels);
    // Lossy codecs may pad a frame at the end; nothing may go missing beyond a codec frame.
    EXPECT_NEAR(double(got.size()), double(want.size()), 1200.0) << c.file;
    const double snr = snr_db(got, want, 800);
    EXPECT_GE(snr, c.min_snr_db) << c.file;
    std::printf("%-7s %-10s %5d Hz x%d: %zu samples (want %zu), SNR %.1f dB\n", c.file,
                c.spec.audio_codec.c_str(), c.spec.rate, c.spec.channels, got.size(), want.size(),
                snr);
  }
}

TEST(LoadAudio, VideoWithoutAudioIsAnError) {
  TempDir dir;
  const std::string path = dir.file("silent_film.mp4");
  test::MediaSpec spec;
  spec.video_codec = "mpeg4";
  test::MediaResult r = test::write_media(path, spec, {});
  if (r == test::MediaResult::kNoEncoder) GTEST_SKIP() << "no mpeg4 encoder in this FFmpeg build";
  ASSERT_EQ(r, test::MediaResult::kWritten);
  expect_error_naming(path, "has no audio stream");
}

TEST(LoadAudio, BrokenInputIsAnErrorNamingTheFile) {
  TempDir dir;
  const std::string empty = dir.file("empty.mp3");
  write_bytes(empty, {});
  expect_error_naming(empty, "empty file");

  const std::string text = dir.file("notes.ogg");
  const std::string words = "this is not audio at all, just some words in a text file\n";
  write_bytes(text, std::vector<uint8_t>(words.begin(), words.end()));
  expect_error_naming(text, "");

  const std::string noise = dir.file("noise.m4a");
  std::vector<uint8_t> junk(4096);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  write_bytes(noise, junk);
  expect_error_naming(noise, "");

  expect_error_naming(dir.file("missing.flac"), "cannot open");
  expect_error_naming(test::repo_path("data/audio"), "not a regular file");

  // A native WAV with a broken header is reported by the WAV reader, not handed to FFmpeg.
  test::WavSpec bad;
  bad.block_align = 7;
  const std::string wav = dir.file("bad.wav");
  write_bytes(wav, test::WavBuilder::build(bad, test::WavBuilder::pcm16({1, 2, 3})));
  expect_error_naming(wav, "block align");
  const std::string no_samples = dir.file("zero.wav");
  write_bytes(no_samples, test::WavBuilder::build({}, {}));
  expect_error_naming(no_samples, "no audio samples");
}

TEST(LoadAudio, TruncatedFilesDecodeWhatIsThereOrFail) {
  TempDir dir;
  const std::vector<float> signal = test_signal(44100, 1, 3.0);
  for (auto [name, codec] : {std::pair{"t.flac", "flac"}, {"t.mp3", "libmp3lame"}}) {
    const std::string path = dir.file(name);
    test::MediaSpec spec{codec, 44100, 1, "", ""};
    test::MediaResult r = test::write_media(path, spec, signal);
    if (r == test::MediaResult::kNoEncoder) continue;
    ASSERT_EQ(r, test::MediaResult::kWritten);
    std::vector<uint8_t> bytes = read_bytes(path);
    const size_t full = load_audio(path).size();
    // Half the file: the first half of the audio, as the ffmpeg tool would give.
    const std::string half = dir.file(std::string("half_") + name);
    write_bytes(half, std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2));
    const size_t got = load_audio(half).size();
    EXPECT_GT(got, full / 4) << name;
    EXPECT_LT(got, full * 3 / 4) << name;
    // Only the first few bytes: nothing decodable.
    const std::string stub = dir.file(std::string("stub_") + name);
    write_bytes(stub, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 20));
    expect_error_naming(stub, "");
  }
}

TEST(LoadAudio, NonPcmWavGoesThroughFfmpeg) {
  // A-law WAV: not decoded natively (format tag 6), so load_audio hands it to FFmpeg.
  TempDir dir;
  const std::string path = dir.file("alaw.wav");
  const std::vector<float> signal = test_signal(8000, 1, 1.0);
  test::MediaResult r = test::write_media(path, {"pcm_alaw", 8000, 1, "", "wav"}, signal);
  if (r == test::MediaResult::kNoEncoder) GTEST_SKIP() << "no pcm_alaw encoder";
  ASSERT_EQ(r, test::MediaResult::kWritten);
  EXPECT_THROW(read_wav(path), Error);
  std::vector<float> got = load_audio(path);
  EXPECT_GE(snr_db(got, expected_16k(signal, 8000, 1), 400), 25.0);
}

}  // namespace
}  // namespace tessera
