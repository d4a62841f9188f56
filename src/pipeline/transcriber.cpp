// Transcriber: model set-up once, then file -> audio -> whole-file log-mel -> one of the loops.
#include <algorithm>
#include <chrono>

#include "pipeline/loops.h"
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

  // Runs the chosen loop on a whole-file mel; fills the encoder/decoder parts of `t`.
  TranscriptionResult run(const LogMel& mel, const TranscribeOptions& opt, TranscribeTimings& t) {
    validate(opt, options);
    const double enc0 = engine->encoder_ms, dec0 = engine->decoder_ms;
    const int win0 = engine->windows_encoded;
    pipeline::LoopCounts counts;
    TranscriptionResult r = opt.batched ? pipeline::run_batched(*engine, mel, opt, &counts)
                                        : pipeline::run_sequential(*engine, mel, opt, &counts);
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
  validate(options, impl_->options);
  TranscribeTimings t;
  const auto t0 = std::chrono::steady_clock::now();
  LogMel mel;
  {
    auto ta = std::chrono::steady_clock::now();
    std::vector<float> audio = load_audio(path);
    t.audio_ms = ms_since(ta);
    t.audio_seconds = static_cast<double>(audio.size()) / kSampleRate;
    ta = std::chrono::steady_clock::now();
    mel = impl_->mel_frontend.whole(audio.data(), audio.size());
    t.mel_ms = ms_since(ta);
  }  // the samples are released here: only the mel is kept while decoding
  TranscriptionResult r = impl_->run(mel, options, t);
  t.total_ms = ms_since(t0);
  if (timings) *timings = t;
  return r;
}

TranscriptionResult Transcriber::transcribe(std::span<const float> audio,
                                            const TranscribeOptions& options,
                                            TranscribeTimings* timings) {
  TranscribeTimings t;
  const auto t0 = std::chrono::steady_clock::now();
  t.audio_seconds = static_cast<double>(audio.size()) / kSampleRate;
  const LogMel mel = impl_->mel_frontend.whole(audio.data(), audio.size());
  t.mel_ms = ms_since(t0);
  TranscriptionResult r = impl_->run(mel, options, t);
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
