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

}  // namespace

std::vector<float> decode_audio_ffmpeg(const std::string& path) {
  quiet_ffmpeg_logging();
  AVFormatContext* raw_fmt = nullptr;
  int err = avformat_open_input(&raw_fmt, path.c_str(), nullptr, nullptr);
  if (err < 0) throw Error(path + ": cannot open as audio: " + av_error_text(err));
  std::unique_ptr<AVFormatContext, FormatCloser> fmt(raw_fmt);
  if ((err = avformat_find_stream_info(fmt.get(), nullptr)) < 0)
    throw Error(path + ": cannot read stream information: " + av_error_text(err));

  const AVCodec* codec = nullptr;
  const int stream = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (stream == AVERROR_STREAM_NOT_FOUND)
    throw Error(path + ": has no audio stream (" + std::to_string(fmt->nb_streams) +
                " other stream(s))");
  if (stream < 0 || codec == nullptr) {
    const AVCodecParameters* par = stream >= 0 ? fmt->streams[stream]->codecpar : nullptr;
    throw Error(path + ": no decoder for its audio codec" +
                (par ? std::string(" '") + avcodec_get_name(par->codec_id) + "'" : std::string()));
  }
  for (unsigned i = 0; i < fmt->nb_streams; ++i)
    if (static_cast<int>(i) != stream) fmt->streams[i]->discard = AVDISCARD_ALL;

  std::unique_ptr<AVCodecContext, CodecFreer> dec(avcodec_alloc_context3(codec));
  if (!dec) throw std::bad_alloc();
  if ((err = avcodec_parameters_to_context(dec.get(), fmt->streams[stream]->codecpar)) < 0 ||
      (err = avcodec_open2(dec.get(), codec, nullptr)) < 0)
    throw Error(path + ": cannot open the " + codec->name + " decoder: " + av_error_text(err));

  std::vector<float> out;
  // Reserve from the container's duration when it is plausible, to avoid regrowth copies.
  const AVStream* st = fmt->streams[stream];
  double seconds = st->duration > 0    ? st->duration * av_q2d(st->time_base)
                   : fmt->duration > 0 ? fmt->duration / double(AV_TIME_BASE)
                                       : 0;
  if (seconds > 0 && seconds < 24 * 3600.0)
    out.reserve(static_cast<size_t>(seconds * kSampleRate) + 1024);

  std::unique_ptr<AVPacket, PacketFreer> pkt(av_packet_alloc());
  std::unique_ptr<AVFrame, FrameFreer> frame(av_frame_alloc());
  if (!pkt || !frame) throw std::bad_alloc();
  std::unique_ptr<MonoConverter> conv;
  int rejected = 0, last_decode_error = 0;

  auto receive_all = [&] {
    for (;;) {
      int r = avcodec_receive_frame(dec.get(), frame.get());
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
      if (r < 0) {  // a frame the decoder could not reconstruct: skip it
        ++rejected;
        last_decode_error = r;
        return;
      }
      if (frame->nb_samples > 0) {
        if (!conv || !conv->matches(frame.get())) {
          if (conv) conv->finish(out);
          conv = std::make_unique<MonoConverter>(path, frame.get());
        }
        conv->convert(frame.get(), out);
      }
      av_frame_unref(frame.get());
    }
  };

  for (;;) {
    err = av_read_frame(fmt.get(), pkt.get());
    if (err == AVERROR_EOF) break;
    if (err < 0) {
      if (fmt->pb && fmt->pb->error < 0)  // an I/O error, not just the end of a truncated stream
        throw Error(path + ": read error: " + av_error_text(err));
      break;
    }
    if (pkt->stream_index == stream) {
      int r = avcodec_send_packet(dec.get(), pkt.get());
      if (r < 0 && r != AVERROR(EAGAIN)) {
        ++rejected;
        last_decode_error = r;
      }
      receive_all();
    }
    av_packet_unref(pkt.get());
  }
  avcodec_send_packet(dec.get(), nullptr);  // flush the decoder's delayed frames
  receive_all();
  if (conv) conv->finish(out);

  if (out.empty())
    throw Error(path + ": no audio could be decoded" +
                (rejected ? " (" + std::to_string(rejected) +
                                " packet(s) rejected: " + av_error_text(last_decode_error) + ")"
                          : std::string(" (empty audio stream)")));
  return out;
}

}  // namespace tessera::audio
