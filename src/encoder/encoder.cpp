// The Whisper encoder graph: conv stem, N pre-LayerNorm transformer blocks, final LayerNorm.
// Every activation buffer is planned and touched once at construction for the largest batch;
// encode() only runs kernels over them.
#include "tessera/encoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>

#include "encoder/encoder_weights.h"
#include "kernels/f32_ops.h"
#include "runtime/aligned_buffer.h"
#include "runtime/thread_pool.h"
#include "tessera/error.h"
#include "tessera/mel.h"

namespace tessera {

namespace {
constexpr float kLayerNormEps = 1e-5f;
constexpr size_t kStatsWindow = 4096;  // calls kept for the p95
}  // namespace

struct Encoder::Impl {
  std::shared_ptr<const Model> model;
  EncoderOptions options;
  ThreadPool pool;
  encoder::EncoderWeightsF32 w;
  int n_mels, d, heads, ctx, in_frames;

  // Activation plan (sizes for options.max_batch windows).
  AlignedBuffer<float> mel_t;   // per window: (in_frames + 2) x n_mels, time-major, zero rows at both ends
  AlignedBuffer<float> conv1;   // per window: (in_frames + 2) x d, zero rows at both ends
  AlignedBuffer<float> x;       // residual stream: batch*ctx x d
  AlignedBuffer<float> normed;  // LayerNorm output: batch*ctx x d
  AlignedBuffer<float> attn;    // attention output: batch*ctx x d
  AlignedBuffer<float> wide;    // q;k;v (3d) or MLP hidden (4d): batch*ctx x 4d

  mutable std::mutex stats_mu;
  EncoderStats stats;
  std::vector<double> call_ms;  // ring of the last kStatsWindow call times
  double total_ms = 0;

  Impl(std::shared_ptr<const Model> m, EncoderOptions o)
      : model(std::move(m)), options(o), pool(o.threads) {
    const ModelConfig& c = model->config;
    n_mels = c.n_mels;
    d = c.n_audio_state;
    heads = c.n_audio_head;
    ctx = c.n_audio_ctx;
    in_frames = 2 * ctx;
    if (d <= 0 || heads <= 0 || d % heads != 0)
      throw Error(model->dir + ": encoder width " + std::to_string(d) +
                  " is not divisible by its head count " + std::to_string(heads));
    if (options.max_batch < 1 || options.max_batch > 64)
      throw Error("encoder max_batch must be in 1..64, got " + std::to_string(options.max_batch));
    w = encoder::pack_encoder_f32(*model);
    const size_t b = options.max_batch, rows = b * ctx;
    mel_t.resize(b * (in_frames + 2) * n_mels);
    conv1.resize(b * (in_frames + 2) * d);
    x.resize(rows * d);
    normed.resize(rows * d);
    attn.resize(rows * d);
    wide.resize(rows * 4 * d);
    call_ms.assign(kStatsWindow, 0.0);
  }

  void run(const float* mel, int batch, float* out) {
    const int64_t rows = static_cast<int64_t>(batch) * ctx;
    const float scale = 1.0f / std::sqrt(static_cast<float>(d / heads));
    for (int b = 0; b < batch; ++b) conv_stem(mel + static_cast<size_t>(b) * n_mels * in_frames, b);
    for (const encoder::LayerWeightsF32& l : w.layers) {
      kernels::layer_norm_f32(pool, rows, d, x.data(), d, l.attn_ln_gamma.data(),
                              l.attn_ln_beta.data(), kLayerNormEps, normed.data(), d);
      kernels::gemm_f32(pool, rows, normed.data(), d, l.qkv, wide.data(), 3 * d,
                        {.bias = l.qkv_bias.data()});
      for (int b = 0; b < batch; ++b) {
        const float* q = wide.data() + static_cast<size_t>(b) * ctx * 3 * d;
        kernels::attention_f32(pool, ctx, heads, d / heads, q, 3 * d, q + d, 3 * d, q + 2 * d, 3 * d,
                               attn.data() + static_cast<size_t>(b) * ctx * d, d, scale);
      }
      kernels::gemm_f32(pool, rows, attn.data(), d, l.out, x.data(), d,
                        {.bias = l.out_bias.data(), .residual = x.data(), .ldr = d});
      kernels::layer_norm_f32(pool, rows, d, x.data(), d, l.mlp_ln_gamma.data(),
                              l.mlp_ln_beta.data(), kLayerNormEps, normed.data(), d);
      kernels::gemm_f32(pool, rows, normed.data(), d, l.fc1, wide.data(), 4 * d,
                        {.bias = l.fc1_bias.data(), .gelu = true});
      kernels::gemm_f32(pool, rows, wide.data(), 4 * d, l.fc2, x.data(), d,
                        {.bias = l.fc2_bias.data(), .residual = x.data(), .ldr = d});
    }
    kernels::layer_norm_f32(pool, rows, d, x.data(), d, w.ln_post_gamma.data(),
                            w.ln_post_beta.data(), kLayerNormEps, out, d);
  }

  // conv1 (k3 p1) + GELU, conv2 (k3 s2 p1) + GELU, + positions, for window b into x.
  // Both convolutions are GEMMs over time-major, zero-padded input: output row t of a k=3 conv
  // reads input rows t-1..t+1 (stride 2: 2t-1..2t+1), which lie back to back in memory, so the
  // GEMM's A operand is the input itself with row stride n_in (or 2 n_in) and K = 3 n_in.
  void conv_stem(const float* mel, int b) {
    float* mt = mel_t.data() + static_cast<size_t>(b) * (in_frames + 2) * n_mels;
    pool.parallel_for(in_frames, 64, [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t)
        for (int c = 0; c < n_mels; ++c)
          mt[(t + 1) * n_mels + c] = mel[static_cast<size_t>(c) * in_frames + t];
    });
    float* h = conv1.data() + static_cast<size_t>(b) * (in_frames + 2) * d;
    kernels::gemm_f32(pool, in_frames, mt, n_mels, w.conv1, h + d, d,
                      {.bias = w.conv1_bias.data(), .gelu = true});
    kernels::gemm_f32(pool, ctx, h, 2 * d, w.conv2, x.data() + static_cast<size_t>(b) * ctx * d, d,
                      {.bias = w.conv2_bias.data(), .gelu = true, .residual = w.positions.data(),
                       .ldr = d});
  }

  void record(double ms, int batch, bool failed) {
    std::lock_guard<std::mutex> lock(stats_mu);
    if (failed) {
      ++stats.errors;
      return;
    }
    call_ms[stats.calls % kStatsWindow] = ms;
    ++stats.calls;
    stats.windows += batch;
    total_ms += ms;
  }
};

Encoder::Encoder(std::shared_ptr<const Model> model, EncoderOptions options) {
  if (!model) throw Error("Encoder: no model");
  ComputeType ct = options.compute_type;
  if (ct == ComputeType::Auto) ct = ComputeType::F32;  // the only type implemented so far
  if (ct != ComputeType::F32)
    throw Error("compute type " + std::string(compute_type_name(ct)) +
                " is not available in this build (available: fp32)");
  options.compute_type = ct;
  impl_ = std::make_unique<Impl>(std::move(model), options);
}

Encoder::~Encoder() = default;

int Encoder::n_mels() const { return impl_->n_mels; }
int Encoder::output_frames() const { return impl_->ctx; }
int Encoder::d_model() const { return impl_->d; }
ComputeType Encoder::compute_type() const { return impl_->options.compute_type; }
std::string Encoder::kernel_summary() const { return kernels::f32_kernel_summary(); }

void Encoder::encode(const float* mel, int batch, float* out) {
  if (batch < 1 || batch > impl_->options.max_batch) {
    impl_->record(0, batch, true);
    throw Error("Encoder::encode: batch " + std::to_string(batch) + " outside 1.." +
                std::to_string(impl_->options.max_batch));
  }
  auto t0 = std::chrono::steady_clock::now();
  try {
    impl_->run(mel, batch, out);
  } catch (...) {
    impl_->record(0, batch, true);
    throw;
  }
  auto t1 = std::chrono::steady_clock::now();
  impl_->record(std::chrono::duration<double, std::milli>(t1 - t0).count(), batch, false);
}

std::vector<float> Encoder::encode(const std::vector<float>& mel_window) {
  const size_t want = static_cast<size_t>(impl_->n_mels) * kWindowFrames;
  if (mel_window.size() != want)
    throw Error("Encoder::encode: expected a " + std::to_string(impl_->n_mels) + " x 3000 mel window (" +
                std::to_string(want) + " values), got " + std::to_string(mel_window.size()));
  std::vector<float> out(static_cast<size_t>(impl_->ctx) * impl_->d);
  encode(mel_window.data(), 1, out.data());
  return out;
}

EncoderStats Encoder::stats() const {
  std::lock_guard<std::mutex> lock(impl_->stats_mu);
  EncoderStats s = impl_->stats;
  if (s.calls > 0) {
    s.mean_ms = impl_->total_ms / s.calls;
    size_t n = std::min<size_t>(s.calls, kStatsWindow);
    std::vector<double> v(impl_->call_ms.begin(), impl_->call_ms.begin() + n);
    size_t k = std::min(n - 1, static_cast<size_t>(std::ceil(0.95 * n)) - 1);
    std::nth_element(v.begin(), v.begin() + k, v.end());
    s.p95_ms = v[k];
    s.realtime_factor = impl_->total_ms > 0 ? s.windows * 30.0 / (impl_->total_ms / 1000.0) : 0;
  }
  return s;
}

}  // namespace tessera
