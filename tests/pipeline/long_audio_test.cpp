// Long and bad inputs through the whole pipeline on real weights (models/tiny.en): ten hours of
// audio in memory that does not grow with the length (the file is streamed, the log-mel is a
// ring), and files that are not audio at all. Durations are printed, never asserted.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "audio/media_writer.h"
#include "support/heap_counter.h"
#include "support/test_paths.h"
#include "tessera/audio.h"
#include "tessera/error.h"
#include "tessera/transcribe.h"

namespace tessera {
namespace {

namespace fs = std::filesystem;

std::string temp_file(const std::string& name) {
  return (fs::path(::testing::TempDir()) / (std::to_string(getpid()) + "_" + name)).string();
}

// A 16 kHz mono 16-bit WAV of `seconds` of digital silence, written as a header and a hole: the
// file is sparse, so ten hours take no disk space and no time to write.
void write_sparse_silent_wav(const std::string& path, long long seconds) {
  const uint32_t data_bytes = static_cast<uint32_t>(seconds * kSampleRate * 2);
  std::ofstream f(path, std::ios::binary);
  auto u32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  f.write("RIFF", 4);
  u32(36 + data_bytes);
  f.write("WAVEfmt ", 8);
  u32(16);
  u16(1);  // PCM
  u16(1);  // mono
  u32(kSampleRate);
  u32(kSampleRate * 2);
  u16(2);
  u16(16);
  f.write("data", 4);
  u32(data_bytes);
  f.close();
  fs::resize_file(path, 44 + static_cast<uintmax_t>(data_bytes));
}

// Resident-set figures of this process from /proc/self/status, in bytes (-1 if unreadable).
long long proc_status_kb(const std::string& key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;
  return -1;
}
// Resets VmHWM (the peak RSS) to the current RSS; false where the kernel does not allow it.
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.close();
  return static_cast<bool>(f);
}

class LongAudio : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = test::real_model("tiny.en");
    if (dir.empty()) return;
    transcriber_ = new Transcriber(
        Model::load(dir),
        {.compute_type = ComputeType::F32, .threads = 2, .max_batch = 4, .max_group = 5});
  }
  static void TearDownTestSuite() {
    delete transcriber_;
    transcriber_ = nullptr;
  }
  void SetUp() override {
    if (!transcriber_) GTEST_SKIP() << "models/tiny.en not fetched (scripts/fetch-model tiny.en)";
  }

  struct Run {
    TranscriptionResult result;
    TranscribeTimings timings;
    long long heap_peak = 0;  // C++ heap high-water mark above what was live before, bytes
    long long rss_peak = -1;  // peak RSS above the RSS before, bytes (-1: not measurable here)
    double seconds = 0;
  };
  static Run measure(const std::string& path, const TranscribeOptions& opt) {
    Run run;
    const bool rss_ok = reset_peak_rss();
    const long long rss_before = proc_status_kb("VmRSS");
    test::reset_heap_peak();
    const long long heap_before = test::heap_live_bytes();
    const auto t0 = std::chrono::steady_clock::now();
    run.result = transcriber_->transcribe_file(path, opt, &run.timings);
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    run.heap_peak = test::heap_peak_bytes() - heap_before;
    const long long hwm = proc_status_kb("VmHWM");
    if (rss_ok && rss_before > 0 && hwm > 0) run.rss_peak = hwm - rss_before;
    return run;
  }

  static inline Transcriber* transcriber_ = nullptr;
};

// Ten hours (576 M samples): the old whole-file path held 2.3 GB of samples and a 1.15 GB mel.
// Every window is digital silence, so the model is not run and the test stays quick, but every
// sample is read, every mel frame computed (twice) and every window cut from the stream.
TEST_F(LongAudio, TenHoursInBoundedMemory) {
  const std::string path = temp_file("ten_hours_silence.wav");
  write_sparse_silent_wav(path, 36000);
  const Run run = measure(path, {});
  fs::remove(path);
  EXPECT_EQ(run.result.text, "");
  EXPECT_TRUE(run.result.segments.empty());
  EXPECT_DOUBLE_EQ(run.timings.audio_seconds, 36000.0);
  EXPECT_EQ(run.timings.windows, 0);
  EXPECT_EQ(run.timings.silent_windows, 1200);
  // A few windows' worth (a 30 s mel window is 0.96 MB): far below any buffer of the file's size.
  EXPECT_LT(run.heap_peak, 64LL << 20) << "C++ heap grew by " << run.heap_peak << " bytes";
  if (run.rss_peak >= 0) {
    EXPECT_LT(run.rss_peak, 256LL << 20) << "peak RSS grew by " << run.rss_peak << " bytes";
  }
  std::printf(
      "10 h of silence (sparse WAV), sequential: %.1f s (audio %.1f s, mel %.1f s), "
      "heap peak +%.1f MB, RSS peak +%.1f MB\n",
      run.seconds, run.timings.audio_ms / 1000, run.timings.mel_ms / 1000, run.heap_peak / 1e6,
      run.rss_peak / 1e6);
}

// The FFmpeg path and batched mode on a shorter file: two hours of FLAC (the whole-file path
// held 0.7 GB for it); memory the same as for the ten hours above, not a fifth of it.
TEST_F(LongAudio, FlacThroughFfmpegBatchedInBoundedMemory) {
  const std::string path = temp_file("two_hours_silence.flac");
  {
    const std::vector<float> silence(static_cast<size_t>(7200) * kSampleRate, 0.0f);
    const test::MediaResult r = test::write_media(path, {"flac", kSampleRate, 1, "", ""}, silence);
    if (r == test::MediaResult::kNoEncoder) GTEST_SKIP() << "no FLAC encoder in this FFmpeg build";
    ASSERT_EQ(r, test::MediaResult::kWritten);
  }
  TranscribeOptions opt;
  opt.batched = true;
  opt.batch_size = 4;
  const Run run = measure(path, opt);
  fs::remove(path);
  EXPECT_EQ(run.result.text, "");
  EXPECT_NEAR(run.timings.audio_seconds, 7200.0, 0.1);
  EXPECT_EQ(run.timings.windows, 0);
  EXPECT_EQ(run.timings.silent_windows, 240);
  EXPECT_LT(run.heap_peak, 64LL << 20) << "C++ heap grew by " << run.heap_peak << " bytes";
  if (run.rss_peak >= 0) {
    EXPECT_LT(run.rss_peak, 256LL << 20) << "peak RSS grew by " << run.rss_peak << " bytes";
  }
  std::printf("2 h of silence (FLAC), batched: %.1f s, heap peak +%.1f MB, RSS peak +%.1f MB\n",
              run.seconds, run.heap_peak / 1e6, run.rss_peak / 1e6);
}

void expect_error_naming(Transcriber& t, const std::string& path, const std::string& cause) {
  try {
    t.transcribe_file(path, {});
    ADD_FAILURE() << "no error for " << path;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(fs::path(path).filename().string()), std::string::npos) << what;
    EXPECT_NE(what.find(cause), std::string::npos) << what;
  }
}

TEST_F(LongAudio, FilesWithoutAudioAreErrorsNamingThem) {
  const std::string empty = temp_file("zero_length.mp3");
  std::ofstream(empty, std::ios::binary).close();
  expect_error_naming(*transcriber_, empty, "empty file");
  fs::remove(empty);

  const std::string corrupt = temp_file("corrupt.flac");
  {
    std::ofstream f(corrupt, std::ios::binary);
    f << "fLaC";  // a FLAC signature and nothing that decodes after it
    for (int i = 0; i < 3000; ++i) f.put(static_cast<char>((i * 2654435761u) >> 11));
  }
  expect_error_naming(*transcriber_, corrupt, "");
  fs::remove(corrupt);

  const std::string film = temp_file("silent_film.mp4");
  test::MediaSpec spec;
  spec.video_codec = "mpeg4";
  const test::MediaResult r = test::write_media(film, spec, {});
  if (r == test::MediaResult::kNoEncoder) {
    std::printf("note: no mpeg4 encoder in this FFmpeg build; video without audio not checked\n");
  } else {
    ASSERT_EQ(r, test::MediaResult::kWritten);
    expect_error_naming(*transcriber_, film, "has no audio stream");
  }
  fs::remove(film);
}

}  // namespace
}  // namespace tessera
