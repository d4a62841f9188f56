// The Whisper audio encoder: log-mel windows in, (1500 x d_model) float32 states out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tessera/model.h"

namespace tessera {

enum class ComputeType { Auto, F32, BF16, Int8 };
std::string_view compute_type_name(ComputeType t);   // "auto", "fp32", "bf16", "int8"
ComputeType parse_compute_type(std::string_view s);  // throws tessera::Error on an unknown name

struct EncoderOptions {
  ComputeType compute_type = ComputeType::F32;
  int threads = 0;    // 0: physical cores
  int max_batch = 1;  // buffers are planned for this many windows per call
};

struct EncoderStats {
  int64_t calls = 0;
  int64_t windows = 0;
  int64_t errors = 0;
  double mean_ms = 0;     // per call
  double p95_ms = 0;      // per call
  double realtime_factor = 0;  // seconds of audio encoded per second of wall time
};

class Encoder {
 public:
  Encoder(std::shared_ptr<const Model> model, EncoderOptions options = {});
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  int n_mels() const;
  int output_frames() const;  // 1500
  int d_model() const;
  ComputeType compute_type() const;
  std::string kernel_summary() const;  // names of the kernels chosen

  // mel: `batch` windows, each n_mels x 3000 row-major, back to back.
  // out: `batch` x 1500 x d_model. 1 <= batch <= max_batch.
  void encode(const float* mel, int batch, float* out);
  std::vector<float> encode(const std::vector<float>& mel_window);

  EncoderStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera
