// Transcriber: model set-up once, then file -> audio stream -> log-mel stream -> one of the loops.
// Nothing is held for the whole file: the audio is decoded block by block (twice: the log-mel's
// normalization needs the file's peak first, see LogMelStream) and the loops pull mel windows
// from a ring that forgets the frames they are done with.
#include <algorithm>
#include <chrono>

#include "pipeline/loops.h"
#include "pipeline/mel_frames.h"
#include "pipeline/window_engine.h"
#include "tessera/audio.h"
#include "tessera/error.h"
#include "tessera/mel.h"
#include "tessera/transcribe.h"

namespace tessera {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Rejects options the loops would only trip over later (or never, on silent audio).
void validate(const TranscribeOptions& o, const TranscriberOptions& t) {
  if (o.fallback.temperatures.empty()) throw Error("transcribe: no temperatures given");
  for (float temp : o.fallback.temperatures)
    if (!(temp >= 0.0f)) throw Error("transcribe: temperatures must be >= 0");
  const int group = std::max(o.decode.beam_size.value_or(1), o.decode.best_of.value_or(1));
  if (group > t.max_group)
    throw Error("transcribe: " + std::to_string(group) +
                " beams/samples per window, but the transcriber was set up for at most " +
                std::to_string(t.max_group) + " (TranscriberOptions::max_group)");
  if (o.decode.beam_size && *o.decode.beam_size < 1) throw Error("transcribe: beam size < 1");
  if (o.decode.best_of && *o.decode.best_of < 1) throw Error("transcribe: best_of < 1");
  if (o.batched && o.batch_size < 1)
    throw Error("transcribe: batch size must be at least 1, got " + std::to_string(o.batch_size));
}

}  // namespace

struct Transcriber::Impl {
  std::shared_ptr<const Model> model;
  TranscriberOptions options;
  std::unique_ptr<pipeline::WindowEngine> engine;
  MelFrontend mel_frontend;

  Impl(std::shared_ptr<const Model> m, TranscriberOptions o)
      : model(m),
        options(o),
        engine(pipeline::make_model_engine(m, o.compute_type, o.threads, o.max_batch, o.max_group,
                                           o.decoder_compute_type.value_or(o.compute_type))),
        mel_frontend(m->config.n_mels) {}

  // Streams the source through the log-mel and the chosen loop; fills `t` except total_ms.
  TranscriptionResult run(const LogMelStream::OpenSource& open, const TranscribeOptions& opt,
                          TranscribeTimings& t) {
    validate(opt, options);
    LogMelStream stream(mel_frontend, open);
    t.audio_seconds = static_cast<double>(stream.samples()) / kSampleRate;
    const std::unique_ptr<pipeline::MelFrames> mel = pipeline::stream_mel_frames(stream);
    const double enc0 = engine->encoder_ms, dec0 = engine->decoder_ms;
    const int win0 = engine->windows_encoded;
    pipeline::LoopCounts counts;
    TranscriptionResult r = opt.batched ? pipeline::run_batched(*engine, *mel, opt, &counts)
                                        : pipeline::run_sequential(*engine, *mel, opt, &counts);
    t.audio_ms += stream.source_ms();
    t.mel_ms += stream.mel_ms();
    t.fallbacks += counts.fallbacks;
    t.silent_windows += counts.silent_windows;
    t.encoder_ms += engine->encoder_ms - enc0;
    t.decoder_ms += engine->decoder_ms - dec0;
    t.windows += engine->windows_encoded - win0;
    return r;
  }
};

Transcriber::Transcriber(std::shared_ptr<const Model> model, TranscriberOptions options) {
  if (!model) throw Error("Transcriber: no model");
  impl_ = std::make_unique<Impl>(std::move(model), options);
}

Transcriber::~Transcriber() = default;

const Model& Transcriber::model() const {
  return *impl_->model;
}
const Tokenizer& Transcriber::tokenizer() const {
  return impl_->engine->tokenizer();
}
const TranscriberOptions& Transcriber::options() const {
  return impl_->options;
}

TranscriptionResult Transcriber::transcribe_file(const std::string& path,
                                                 const TranscribeOptions& options,
                                                 TranscribeTimings* timings) {
  return transcribe_source([&path] { return open_audio(path); }, options, timings);
}

TranscriptionResult Transcriber::transcribe(std::span<const float> audio,
                                            const TranscribeOptions& options,
                                            TranscribeTimings* timings) {
  return transcribe_source([audio] { return span_source(audio); }, options, timings);
}

TranscriptionResult Transcriber::transcribe_source(
    const std::function<std::unique_ptr<AudioSource>()>& open, const TranscribeOptions& options,
    TranscribeTimings* timings) {
  TranscribeTimings t;
  const auto t0 = std::chrono::steady_clock::now();
  TranscriptionResult r = impl_->run(open, options, t);
  t.total_ms = ms_since(t0);
  if (timings) *timings = t;
  return r;
}

TranscriptionResult transcribe(const std::string& model_dir, const std::string& audio_path,
                               const TranscribeOptions& options,
                               TranscriberOptions transcriber_options) {
  if (options.batched) transcriber_options.max_batch = std::max(1, options.batch_size);
  transcriber_options.max_group =
      std::max({transcriber_options.max_group, options.decode.beam_size.value_or(1),
                options.decode.best_of.value_or(1)});
  Transcriber transcriber(Model::load(model_dir), transcriber_options);
  return transcriber.transcribe_file(audio_path, options);
}

}  // namespace tessera
