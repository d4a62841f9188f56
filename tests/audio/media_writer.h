// Writes small media files with FFmpeg's encoders and muxers, so the decoder tests can cover many
// containers and codecs without committing binary fixtures. Header-only (tests/ globs *_test.cpp).
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <string>
#include <vector>

namespace tessera::test {

struct MediaSpec {
  std::string audio_codec;  // encoder name, e.g. "flac", "libmp3lame"; empty: no audio stream
  int rate = 16000;
  int channels = 1;
  std::string video_codec;  // e.g. "mpeg4"; empty: no video stream
  std::string format;       // muxer name; empty: guessed from the file extension
};

namespace media_detail {

struct Stream {
  AVStream* st = nullptr;
  AVCodecContext* ctx = nullptr;
};

inline bool drain(AVFormatContext* oc, Stream& s, AVFrame* frame) {
  if (avcodec_send_frame(s.ctx, frame) < 0) return false;
  AVPacket* pkt = av_packet_alloc();
  bool ok = true;
  for (;;) {
    int r = avcodec_receive_packet(s.ctx, pkt);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) break;
    if (r < 0) {
      ok = false;
      break;
    }
    av_packet_rescale_ts(pkt, s.ctx->time_base, s.st->time_base);
    pkt->stream_index = s.st->index;
    if (av_interleaved_write_frame(oc, pkt) < 0) ok = false;
  }
  av_packet_free(&pkt);
  return ok;
}

}  // namespace media_detail

enum class MediaResult { kWritten, kNoEncoder, kFailed };

// Encodes `interleaved` (float, spec.channels channels at spec.rate) into `path`. kNoEncoder when
// this FFmpeg build lacks the encoder or muxer (the caller skips), kFailed on any other failure.
inline MediaResult write_media(const std::string& path, const MediaSpec& spec,
                               const std::vector<float>& interleaved) {
  using media_detail::Stream;
  const AVCodec* acodec =
      spec.audio_codec.empty() ? nullptr : avcodec_find_encoder_by_name(spec.audio_codec.c_str());
  const AVCodec* vcodec =
      spec.video_codec.empty() ? nullptr : avcodec_find_encoder_by_name(spec.video_codec.c_str());
  if ((!spec.audio_codec.empty() && !acodec) || (!spec.video_codec.empty() && !vcodec))
    return MediaResult::kNoEncoder;
  AVFormatContext* oc = nullptr;
  avformat_alloc_output_context2(&oc, nullptr, spec.format.empty() ? nullptr : spec.format.c_str(),
                                 path.c_str());
  if (!oc) return MediaResult::kNoEncoder;
  bool ok = true;
  Stream a, v;
  auto open_stream = [&](Stream& s, const AVCodec* codec, auto configure) {
    s.st = avformat_new_stream(oc, nullptr);
    s.ctx = avcodec_alloc_context3(codec);
    configure(s.ctx);
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) s.ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    ok = ok && avcodec_open2(s.ctx, codec, nullptr) >= 0 &&
         avcodec_parameters_from_context(s.st->codecpar, s.ctx) >= 0;
    s.st->time_base = s.ctx->time_base;
  };
  if (vcodec)
    open_stream(v, vcodec, [](AVCodecContext* c) {
      c->width = 64;
      c->height = 48;
      c->pix_fmt = AV_PIX_FMT_YUV420P;
      c->time_base = {1, 10};
      c->framerate = {10, 1};
      c->bit_rate = 100000;
    });
  if (acodec)
    open_stream(a, acodec, [&](AVCodecContext* c) {
      c->sample_fmt = acodec->sample_fmts ? acodec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
      c->sample_rate = spec.rate;
      av_channel_layout_default(&c->ch_layout, spec.channels);
      c->time_base = {1, spec.rate};
      c->bit_rate = 96000;
      c->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;
    });
  ok = ok && avio_open(&oc->pb, path.c_str(), AVIO_FLAG_WRITE) >= 0;
  ok = ok && avformat_write_header(oc, nullptr) >= 0;

  AVFrame* frame = av_frame_alloc();
  if (ok && vcodec) {
    for (int i = 0; ok && i < 10; ++i) {
      av_frame_unref(frame);
      frame->format = v.ctx->pix_fmt;
      frame->width = v.ctx->width;
      frame->height = v.ctx->height;
      ok = av_frame_get_buffer(frame, 0) >= 0;
      for (int p = 0; ok && p < 3; ++p)
        for (int y = 0; y < (p ? 24 : 48); ++y)
          std::fill_n(frame->data[p] + y * frame->linesize[p], p ? 32 : 64,
                      static_cast<uint8_t>(p ? 128 : 16 + 20 * i));
      frame->pts = i;
      ok = ok && media_detail::drain(oc, v, frame);
    }
    ok = ok && media_detail::drain(oc, v, nullptr);
  }
  if (ok && acodec) {
    SwrContext* swr = nullptr;
    AVChannelLayout in_layout;
    av_channel_layout_default(&in_layout, spec.channels);
    ok = swr_alloc_set_opts2(&swr, &a.ctx->ch_layout, a.ctx->sample_fmt, spec.rate, &in_layout,
                             AV_SAMPLE_FMT_FLT, spec.rate, 0, nullptr) >= 0 &&
         swr_init(swr) >= 0;
    const int frame_size = a.ctx->frame_size > 0 ? a.ctx->frame_size : 1024;
    const size_t total = interleaved.size() / spec.channels;
    for (size_t pos = 0; ok && pos < total; pos += frame_size) {
      const int n = static_cast<int>(std::min<size_t>(frame_size, total - pos));
      av_frame_unref(frame);
      frame->format = a.ctx->sample_fmt;
      frame->nb_samples = n;
      frame->sample_rate = spec.rate;
      ok = av_channel_layout_copy(&frame->ch_layout, &a.ctx->ch_layout) >= 0 &&
           av_frame_get_buffer(frame, 0) >= 0;
      const uint8_t* in =
          reinterpret_cast<const uint8_t*>(interleaved.data() + pos * spec.channels);
      ok = ok && swr_convert(swr, frame->data, n, &in, n) == n;
      frame->pts = static_cast<int64_t>(pos);
      ok = ok && media_detail::drain(oc, a, frame);
    }
    ok = ok && media_detail::drain(oc, a, nullptr);
    swr_free(&swr);
  }
  av_frame_free(&frame);
  if (ok) ok = av_write_trailer(oc) >= 0;
  avcodec_free_context(&a.ctx);
  avcodec_free_context(&v.ctx);
  if (oc->pb) avio_closep(&oc->pb);
  avformat_free_context(oc);
  return ok ? MediaResult::kWritten : MediaResult::kFailed;
}

}  // namespace tessera::test
