#include "audio/ffmpeg_decoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>

#include "audio/block_source.h"
#include "audio/resampler.h"
#include "audio/wav_reader.h"
#include "tessera/audio.h"
#include "tessera/error.h"

namespace tessera::audio {

namespace {

std::string av_error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

// FFmpeg logs to stderr by default; tessera reports failures itself through tessera::Error.
void quiet_ffmpeg_logging() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

struct FormatCloser {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct CodecFreer {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct SwrFreer {
  void operator()(SwrContext* s) const { swr_free(&s); }
};

// Converts decoded frames of one (format, layout, rate) to mono float and feeds the resampler.
// Rebuilt when a stream changes its parameters mid-way (some streams do).
class MonoConverter {
 public:
  MonoConverter(const std::string& path, const AVFrame* f) : path_(path) {
    format_ = f->format;
    rate_ = f->sample_rate;
    if (av_channel_layout_copy(&layout_, &f->ch_layout) < 0) throw std::bad_alloc();
    const int channels = layout_.nb_channels;
    if (channels <= 0 || channels > kMaxChannels)
      throw Error(path + ": audio stream has " + std::to_string(channels) + " channels");
    if (rate_ < kMinSampleRate || rate_ > kMaxSampleRate)
      throw Error(path + ": audio stream sample rate " + std::to_string(rate_) + " Hz is outside " +
                  std::to_string(kMinSampleRate) + ".." + std::to_string(kMaxSampleRate));
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    SwrContext* raw = nullptr;
    int err = swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, rate_, &layout_,
                                  static_cast<AVSampleFormat>(format_), rate_, 0, nullptr);
    swr_.reset(raw);
    if (err < 0) fail("cannot set up sample conversion", err);
    // Plain channel average, the same downmix as to_mono() for WAV input.
    std::vector<double> matrix(channels, 1.0 / channels);
    if ((err = swr_set_matrix(swr_.get(), matrix.data(), channels)) < 0)
      fail("cannot set the downmix matrix", err);
    if ((err = swr_init(swr_.get())) < 0) fail("cannot start sample conversion", err);
    resampler_.emplace(rate_, kSampleRate);
  }
  ~MonoConverter() { av_channel_layout_uninit(&layout_); }
  MonoConverter(const MonoConverter&) = delete;
  MonoConverter& operator=(const MonoConverter&) = delete;

  bool matches(const AVFrame* f) const {
    return f->format == format_ && f->sample_rate == rate_ &&
           av_channel_layout_compare(&f->ch_layout, &layout_) == 0;
  }

  void convert(const AVFrame* f, std::vector<float>& out) {
    run(const_cast<const uint8_t**>(f->extended_data), f->nb_samples, out);
  }

  // Drains the converter's and the resampler's delay lines.
  void finish(std::vector<float>& out) {
    run(nullptr, 0, out);
    resampler_->finish(out);
  }

 private:
  [[noreturn]] void fail(const std::string& what, int err) const {
    throw Error(path_ + ": " + what + ": " + av_error_text(err));
  }

  void run(const uint8_t** in, int n, std::vector<float>& out) {
    const int cap = swr_get_out_samples(swr_.get(), n);
    if (cap < 0) fail("sample conversion failed", cap);
    if (static_cast<size_t>(cap) > mono_.size()) mono_.resize(cap);
    uint8_t* dst = reinterpret_cast<uint8_t*>(mono_.data());
    const int got = swr_convert(swr_.get(), &dst, cap, in, n);
    if (got < 0) fail("sample conversion failed", got);
    resampler_->push(mono_.data(), static_cast<size_t>(got), out);
  }

  const std::string& path_;
  int format_ = -1;
  int rate_ = 0;
  AVChannelLayout layout_{};
  std::unique_ptr<SwrContext, SwrFreer> swr_;
  std::optional<Resampler> resampler_;
  std::vector<float> mono_;  // grows to the largest frame, then reused
};

// Demuxes and decodes on demand: read() decodes packets until it has samples to hand out.
class FfmpegSource final : public audio::BlockSource {
 public:
  explicit FfmpegSource(const std::string& path) : path_(path) {
    quiet_ffmpeg_logging();
    AVFormatContext* raw_fmt = nullptr;
    int err = avformat_open_input(&raw_fmt, path.c_str(), nullptr, nullptr);
    if (err < 0) throw Error(path + ": cannot open as audio: " + av_error_text(err));
    fmt_.reset(raw_fmt);
    if ((err = avformat_find_stream_info(fmt_.get(), nullptr)) < 0)
      throw Error(path + ": cannot read stream information: " + av_error_text(err));

    const AVCodec* codec = nullptr;
    stream_ = av_find_best_stream(fmt_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (stream_ == AVERROR_STREAM_NOT_FOUND)
      throw Error(path + ": has no audio stream (" + std::to_string(fmt_->nb_streams) +
                  " other stream(s))");
    if (stream_ < 0 || codec == nullptr) {
      const AVCodecParameters* par = stream_ >= 0 ? fmt_->streams[stream_]->codecpar : nullptr;
      throw Error(
          path + ": no decoder for its audio codec" +
          (par ? std::string(" '") + avcodec_get_name(par->codec_id) + "'" : std::string()));
    }
    for (unsigned i = 0; i < fmt_->nb_streams; ++i)
      if (static_cast<int>(i) != stream_) fmt_->streams[i]->discard = AVDISCARD_ALL;

    dec_.reset(avcodec_alloc_context3(codec));
    if (!dec_) throw std::bad_alloc();
    if ((err = avcodec_parameters_to_context(dec_.get(), fmt_->streams[stream_]->codecpar)) < 0 ||
        (err = avcodec_open2(dec_.get(), codec, nullptr)) < 0)
      throw Error(path + ": cannot open the " + codec->name + " decoder: " + av_error_text(err));
    pkt_.reset(av_packet_alloc());
    frame_.reset(av_frame_alloc());
    if (!pkt_ || !frame_) throw std::bad_alloc();
  }

 private:
  // Reads one packet (or, at the end, flushes everything) into pending_.
  void next_block() override {
    int err = av_read_frame(fmt_.get(), pkt_.get());
    if (err >= 0) {
      if (pkt_->stream_index == stream_) {
        int r = avcodec_send_packet(dec_.get(), pkt_.get());
        if (r < 0 && r != AVERROR(EAGAIN)) {
          ++rejected_;
          last_decode_error_ = r;
        }
        receive_all();
      }
      av_packet_unref(pkt_.get());
      return;
    }
    // The end, or an error: an I/O error throws, anything else ends a truncated stream.
    if (err != AVERROR_EOF && fmt_->pb && fmt_->pb->error < 0)
      throw Error(path_ + ": read error: " + av_error_text(err));
    avcodec_send_packet(dec_.get(), nullptr);  // flush the decoder's delayed frames
    receive_all();
    if (conv_) conv_->finish(pending_);
    finished_ = true;
    if (delivered_ + pending_.size() == 0)
      throw Error(path_ + ": no audio could be decoded" +
                  (rejected_ ? " (" + std::to_string(rejected_) +
                                   " packet(s) rejected: " + av_error_text(last_decode_error_) + ")"
                             : std::string(" (empty audio stream)")));
  }

  void receive_all() {
    for (;;) {
      int r = avcodec_receive_frame(dec_.get(), frame_.get());
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
      if (r < 0) {  // a frame the decoder could not reconstruct: skip it
        ++rejected_;
        last_decode_error_ = r;
        return;
      }
      if (frame_->nb_samples > 0) {
        if (!conv_ || !conv_->matches(frame_.get())) {
          if (conv_) conv_->finish(pending_);
          conv_ = std::make_unique<MonoConverter>(path_, frame_.get());
        }
        conv_->convert(frame_.get(), pending_);
      }
      av_frame_unref(frame_.get());
    }
  }

  std::string path_;
  std::unique_ptr<AVFormatContext, FormatCloser> fmt_;
  std::unique_ptr<AVCodecContext, CodecFreer> dec_;
  std::unique_ptr<AVPacket, PacketFreer> pkt_;
  std::unique_ptr<AVFrame, FrameFreer> frame_;
  std::unique_ptr<MonoConverter> conv_;
  int stream_ = -1;
  int rejected_ = 0, last_decode_error_ = 0;
};

}  // namespace

std::unique_ptr<AudioSource> open_audio_ffmpeg(const std::string& path) {
  return std::make_unique<FfmpegSource>(path);
}

std::vector<float> decode_audio_ffmpeg(const std::string& path) {
  FfmpegSource source(path);
  std::vector<float> out;
  constexpr size_t kBlock = 65536;
  for (;;) {
    const size_t at = out.size();
    out.resize(at + kBlock);
    const size_t n = source.read(out.data() + at, kBlock);
    out.resize(at + n);
    if (n == 0) break;
  }
  return out;
}

}  // namespace tessera::audio
