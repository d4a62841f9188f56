// WindowEngine on tessera's Encoder and DecodingSession.
#include <chrono>

#include "pipeline/window_engine.h"
#include "tessera/error.h"

namespace tessera::pipeline {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

class ModelEngine final : public WindowEngine {
 public:
  ModelEngine(std::shared_ptr<const Model> model, ComputeType compute_type, int threads,
              int max_batch, int max_group, ComputeType decoder_compute_type)
      : model_(model),
        encoder_(model, {.compute_type = compute_type, .threads = threads, .max_batch = max_batch}),
        session_(model, Tokenizer::for_model(model->dir, model->config.n_vocab),
                 {.compute_type = decoder_compute_type,
                  .threads = threads,
                  .max_windows = max_batch,
                  .max_group = max_group}),
        max_batch_(max_batch),
        features_(static_cast<size_t>(max_batch) * encoder_.output_frames() * encoder_.d_model()) {}

  const Tokenizer& tokenizer() const override { return session_.tokenizer(); }
  int n_mels() const override { return encoder_.n_mels(); }
  int n_text_ctx() const override { return model_->config.n_text_ctx; }
  int max_batch() const override { return max_batch_; }

  void encode(const float* mel, int count) override {
    check_count(count, "encode");
    const auto t0 = std::chrono::steady_clock::now();
    encoder_.encode(mel, count, features_.data());
    encoder_ms += ms_since(t0);
    windows_encoded += count;
  }

  std::vector<LanguageProbability> detect_language(int slot) override {
    check_count(slot + 1, "detect_language");
    const auto t0 = std::chrono::steady_clock::now();
    const float* f = slot_features(slot);
    auto probs = session_.detect_language(std::span<const float* const>(&f, 1));
    decoder_ms += ms_since(t0);
    return std::move(probs.front());
  }

  std::vector<DecodingResult> decode(std::span<const DecodingOptions> options,
                                     const FallbackOptions& fallback) override {
    check_count(static_cast<int>(options.size()), "decode");
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<DecodingJob> jobs;
    jobs.reserve(options.size());
    for (size_t i = 0; i < options.size(); ++i)
      jobs.push_back({slot_features(static_cast<int>(i)), options[i]});
    auto results = session_.decode_with_fallback(jobs, fallback);
    decoder_ms += ms_since(t0);
    return results;
  }

 private:
  void check_count(int count, const char* what) const {
    if (count < 1 || count > max_batch_)
      throw Error(std::string("transcribe: ") + what + " of " + std::to_string(count) +
                  " windows (this transcriber holds at most " + std::to_string(max_batch_) + ")");
  }
  const float* slot_features(int slot) const {
    return features_.data() +
           static_cast<size_t>(slot) * encoder_.output_frames() * encoder_.d_model();
  }

  std::shared_ptr<const Model> model_;
  Encoder encoder_;
  DecodingSession session_;
  int max_batch_;
  std::vector<float> features_;
};

}  // namespace

std::unique_ptr<WindowEngine> make_model_engine(std::shared_ptr<const Model> model,
                                                ComputeType compute_type, int threads,
                                                int max_batch, int max_group,
                                                ComputeType decoder_compute_type) {
  if (!model) throw Error("transcribe: no model");
  if (max_batch < 1 || max_batch > 256)
    throw Error("transcribe: batch size must be in 1..256, got " + std::to_string(max_batch));
  return std::make_unique<ModelEngine>(std::move(model), compute_type, threads, max_batch,
                                       max_group, decoder_compute_type);
}

}  // namespace tessera::pipeline
