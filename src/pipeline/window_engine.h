// What the transcription loops need from a model: encode mel windows, detect the language of an
// encoded window, decode encoded windows with temperature fallback. An interface so the loops can
// be tested on scripted results without a model.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "tessera/decoding.h"
#include "tessera/encoder.h"
#include "tessera/model.h"
#include "tessera/tokenizer.h"

namespace tessera::pipeline {

class WindowEngine {
 public:
  virtual ~WindowEngine() = default;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual int n_mels() const = 0;
  virtual int n_text_ctx() const = 0;
  virtual int max_batch() const = 0;  // most windows per encode() / decode()

  // Encodes `count` windows (each n_mels x 3000, back to back) into feature slots 0..count-1,
  // replacing what the slots held.
  virtual void encode(const float* mel, int count) = 0;
  // Language probabilities of the window in feature slot `slot` (multilingual models only).
  virtual std::vector<LanguageProbability> detect_language(int slot) = 0;
  // Decodes the windows in slots 0..options.size()-1, window i with options[i], with fallback.
  virtual std::vector<DecodingResult> decode(std::span<const DecodingOptions> options,
                                             const FallbackOptions& fallback) = 0;

  // Wall time spent in encode() and in detect_language() + decode(), in ms.
  double encoder_ms = 0;
  double decoder_ms = 0;
  int windows_encoded = 0;
};

// The real thing: tessera's Encoder and DecodingSession on a loaded model.
std::unique_ptr<WindowEngine> make_model_engine(std::shared_ptr<const Model> model,
                                                ComputeType compute_type, int threads,
                                                int max_batch, int max_group,
                                                ComputeType decoder_compute_type);

}  // namespace tessera::pipeline
