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
// `requested` itself, or for Auto the fastest type this CPU runs for this model shape and thread
// count: measured once (one encoder layer, every runnable type) and remembered in the process and
// in ~/.cache/tessera/auto_compute_type.json. Every type meets the accuracy gates.
ComputeType resolve_compute_type(ComputeType requested, const ModelConfig& config, int threads);

struct EncoderOptions {
  ComputeType compute_type = ComputeType::Auto;
  int threads = 0;    // 0: physical cores
  int max_batch = 1;  // buffers are planned for this many windows per call
};

// Wall time spent in each stage of the encoder, summed over all calls.
struct EncoderStageMs {
  double conv_stem = 0;   // mel transpose, conv1 + GELU, conv2 + GELU + positions
  double layer_norm = 0;  // the final LayerNorm (the others are timed with qkv and mlp)
  double qkv = 0;         // LayerNorm + fused q;k;v projection (fused on int8)
  double attention = 0;   // softmax(q k^T) v over all heads
  double out_proj = 0;    // attention output projection + residual
  double mlp = 0;         // LayerNorm + fc1 + GELU, fc2 + residual
  double other = 0;       // copies in and out
};

struct EncoderStats {
  int64_t calls = 0;
  int64_t windows = 0;
  int64_t errors = 0;
  double mean_ms = 0;          // per call
  double p95_ms = 0;           // per call
  double realtime_factor = 0;  // seconds of audio encoded per second of wall time
  EncoderStageMs stage_ms;
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
  // Bytes of the kernel image: every weight, packed for the chosen kernels, in one read-only
  // region.
  size_t weight_bytes() const;

  // mel: `batch` windows, each n_mels x 3000 row-major, back to back.
  // out: `batch` x 1500 x d_model. 1 <= batch <= max_batch.
  void encode(const float* mel, int batch, float* out);
  std::vector<float> encode(const std::vector<float>& mel_window);

  EncoderStats stats() const;
  void reset_stats();
  // Arithmetic per 30 s window (multiply-add = 2 ops), from the model's dimensions.
  double ops_per_window() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera
