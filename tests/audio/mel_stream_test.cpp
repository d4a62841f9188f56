// LogMelStream against MelFrontend::whole: the same frames, bit for bit, from sources that hand
// out samples in awkward block sizes, with frames released behind the reader; memory bounded by
// what is held, not by the input's length.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "support/heap_counter.h"
#include "tessera/audio.h"
#include "tessera/error.h"
#include "tessera/mel.h"

namespace tessera {
namespace {

// Hands out the samples `step` at a time (cycling through a few sizes when step is 0).
class ChoppySource final : public AudioSource {
 public:
  ChoppySource(const std::vector<float>& x, size_t step) : x_(x), step_(step) {}
  size_t read(float* out, size_t max) override {
    static constexpr size_t kSizes[] = {1, 7, 160, 399, 4096, 3, 20000};
    const size_t want = step_ ? step_ : kSizes[calls_++ % std::size(kSizes)];
    const size_t n = std::min({max, want, x_.size() - pos_});
    std::copy_n(x_.data() + pos_, n, out);
    pos_ += n;
    return n;
  }

 private:
  const std::vector<float>& x_;
  size_t step_, pos_ = 0, calls_ = 0;
};

// Speech-like noise with a loud burst and a stretch of digital silence.
std::vector<float> test_audio(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = noise(rng) * (1.0f + std::sin(i * 3e-4f));
  for (size_t i = n / 3; i < std::min(n, n / 3 + 5000); ++i) x[i] *= 8.0f;
  for (size_t i = n / 2; i < std::min(n, n / 2 + 40000); ++i) x[i] = 0.0f;
  return x;
}

void expect_stream_equals_whole(const std::vector<float>& x, size_t step) {
  const MelFrontend fe(80);
  const LogMel whole = fe.whole(x.data(), x.size());
  LogMelStream stream(fe, [&] { return std::make_unique<ChoppySource>(x, step); });
  ASSERT_EQ(stream.samples(), static_cast<long long>(x.size()));
  ASSERT_EQ(stream.total_frames(), whole.n_frames);
  EXPECT_EQ(stream.content_frames(), whole.n_frames - kWindowFrames);
  EXPECT_EQ(stream.silence_value(), whole.data.back());
  // Read the whole mel in uneven pieces, releasing what is behind.
  std::vector<float> got(80 * static_cast<size_t>(whole.n_frames));
  long long at = 0;
  int piece = 1;
  while (at < whole.n_frames) {
    const int count = static_cast<int>(std::min<long long>(piece, whole.n_frames - at));
    stream.copy(at, count, got.data() + at, static_cast<size_t>(whole.n_frames));
    stream.release_before(at);
    at += count;
    piece = piece * 3 % 3001 + 1;
  }
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(got[i], whole.data[i]) << "frame " << i % whole.n_frames << " band "
                                     << i / whole.n_frames << " of " << x.size() << " samples";
}

TEST(LogMelStream, BitIdenticalToTheWholeFileMel) {
  for (size_t n : {0, 1, 150, 199, 200, 201, 399, 400, 401, 16000, 160 * 1000 + 37})
    expect_stream_equals_whole(test_audio(n, static_cast<unsigned>(n)), 0);
  const std::vector<float> minute = test_audio(60 * kSampleRate + 123, 7);
  for (size_t step : {0, 1, 160, 65536}) expect_stream_equals_whole(minute, step);
}

TEST(LogMelStream, OverlappingReadsAndReleasedFramesAreRejected) {
  const std::vector<float> x = test_audio(40 * kSampleRate, 3);
  const MelFrontend fe(80);
  const LogMel whole = fe.whole(x.data(), x.size());
  LogMelStream stream(fe, [&] { return span_source(x); });
  std::vector<float> a(80 * 3000), b(80 * 3000);
  stream.copy(1000, 3000, a.data(), 3000);
  stream.copy(2500, 3000, b.data(), 3000);  // overlaps: frames come from the ring again
  for (int m = 0; m < 80; ++m)
    for (int f = 0; f < 1500; ++f) ASSERT_EQ(a[m * 3000 + 1500 + f], b[m * 3000 + f]);
  EXPECT_EQ(b[0], whole.at(0, 2500));
  stream.release_before(2000);
  EXPECT_THROW(stream.copy(1999, 1, a.data(), 1), Error);
  EXPECT_THROW(stream.copy(whole.n_frames - 1, 2, a.data(), 2), Error);  // past the padding
  EXPECT_NO_THROW(stream.copy(whole.n_frames - 1, 1, a.data(), 1));
  EXPECT_EQ(a[0], whole.data.back());
}

TEST(LogMelStream, TwoReadsThatDisagreeAreAnError) {
  const std::vector<float> x = test_audio(20 * kSampleRate, 5);
  const std::vector<float> shorter(x.begin(), x.end() - 5000);
  int opened = 0;
  const MelFrontend fe(80);
  LogMelStream stream(fe, [&] { return span_source(opened++ == 0 ? x : shorter); });
  std::vector<float> out(80 * 3000);
  EXPECT_THROW(stream.copy(0, 3000, out.data(), 3000), Error);
}

// Twenty minutes read window by window: the ring never holds more than a few windows, and the C++
// heap's peak stays far below the size of the whole mel (96 MB here) or the audio (77 MB).
TEST(LogMelStream, MemoryIsBoundedByTheWindowNotTheLength) {
  const long long n = 20LL * 60 * kSampleRate;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-0.3f, 0.3f);
  std::vector<float> block(1 << 16);
  for (float& v : block) v = u(rng);
  // Generated on the fly: the test itself holds no 20-minute buffer either.
  class Generator final : public AudioSource {
   public:
    Generator(const std::vector<float>& b, long long n) : b_(b), left_(n) {}
    size_t read(float* out, size_t max) override {
      const size_t k = static_cast<size_t>(std::min<long long>({(long long)max, left_, 5000}));
      for (size_t i = 0; i < k; ++i) out[i] = b_[(pos_ + i) % b_.size()] * ((pos_ + i) % 7 + 1) / 7;
      pos_ += k;
      left_ -= static_cast<long long>(k);
      return k;
    }

   private:
    const std::vector<float>& b_;
    long long left_;
    size_t pos_ = 0;
  };
  const MelFrontend fe(80);
  test::reset_heap_peak();
  const long long before = test::heap_live_bytes();
  LogMelStream stream(fe, [&] { return std::make_unique<Generator>(block, n); });
  std::vector<float> window(80 * 3000);
  for (long long seek = 0; seek < stream.content_frames(); seek += 2800) {
    stream.release_before(seek);
    stream.copy(seek, static_cast<int>(std::min<long long>(3000, stream.total_frames() - seek)),
                window.data(), 3000);
  }
  EXPECT_EQ(stream.content_frames(), n / kHopLength);
  EXPECT_LE(stream.max_held_frames(), 4 * kWindowFrames);
  const long long peak = test::heap_peak_bytes() - before;
  EXPECT_LT(peak, 8LL << 20) << "heap peak " << peak << " bytes";
  std::printf("20 min streamed: ring high-water %lld frames, heap peak %.1f MB\n",
              stream.max_held_frames(), peak / 1e6);
}

}  // namespace
}  // namespace tessera
