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
#include "runtime/device.h"
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
  std::unique_ptr<Device> device;
  encoder::EncoderWeights w;
  int n_mels, d, heads, ctx, in_frames;

  // Activation plan, sized for options.max_batch windows and allocated (touched) once.
  float* mel_in;  // per window: n_mels x in_frames, channel-major as given
  float* mel_t;   // per window: (in_frames + 2) x n_mels, time-major, zero rows at both ends
  float* conv1;   // per window: (in_frames + 2) x d, zero rows at both ends
  float* x;       // residual stream: batch*ctx x d
  float* normed;  // LayerNorm output: batch*ctx x d
  float* attn;    // attention output: batch*ctx x d
  float* wide;    // q;k;v (3d) or MLP hidden (4d): batch*ctx x 4d
  float* result;  // final LayerNorm output: batch*ctx x d

  mutable std::mutex stats_mu;
  EncoderStats stats;
  EncoderStageMs stage_acc;
  std::vector<double> call_ms;  // ring of the last kStatsWindow call times
  double total_ms = 0;

  Impl(std::shared_ptr<const Model> m, EncoderOptions o) : model(std::move(m)), options(o) {
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
    device = make_cpu_device(options.compute_type, options.threads);
    w = encoder::pack_encoder(*model, *device, options.max_batch);
    device->seal_weights();
    device->plan_attention(c.n_audio_ctx, heads, d / heads);
    const size_t b = options.max_batch, rows = b * ctx;
    mel_in = device->allocate(b * n_mels * in_frames);
    mel_t = device->allocate(b * (in_frames + 2) * n_mels);
    conv1 = device->allocate(b * (in_frames + 2) * d);
    x = device->allocate(rows * d);
    normed = device->allocate(rows * d);
    attn = device->allocate(rows * d);
    wide = device->allocate(rows * 4 * d);
    result = device->allocate(rows * d);
    call_ms.assign(kStatsWindow, 0.0);
  }

  View rows_of(float* p, int64_t rows, int64_t cols, int64_t ld) const {
    return {p, rows, cols, ld};
  }

  // Times one stage into stage_ms (a steady_clock read costs ~20 ns; an encode has ~100 stages).
  template <typename F>
  void timed(double EncoderStageMs::*stage, F&& f) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    stage_acc.*stage +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  void run(const float* mel, int batch, float* out) {
    Device& dev = *device;
    using S = EncoderStageMs;
    const int64_t rows = static_cast<int64_t>(batch) * ctx;
    const float scale = 1.0f / std::sqrt(static_cast<float>(d / heads));
    timed(&S::other,
          [&] { dev.copy_in(mel, static_cast<size_t>(batch) * n_mels * in_frames, mel_in); });
    timed(&S::conv_stem, [&] {
      for (int b = 0; b < batch; ++b) conv_stem(b);
    });
    const View xs = rows_of(x, rows, d, d), ns = rows_of(normed, rows, d, d);
    const View hidden = rows_of(wide, rows, 4 * d, 4 * d);
    for (const encoder::LayerWeights& l : w.layers) {
      // The LayerNorms in front of QKV and fc1 are timed with them: devices may fuse the two.
      timed(&S::qkv, [&] {
        dev.layer_norm_linear(xs, l.attn_ln_gamma, l.attn_ln_beta, kLayerNormEps, ns, *l.qkv,
                              rows_of(wide, rows, 3 * d, 3 * d), {.bias = l.qkv_bias});
      });
      timed(&S::attention, [&] {
        for (int b = 0; b < batch; ++b) {
          float* q = wide + static_cast<size_t>(b) * ctx * 3 * d;
          dev.attention(heads, rows_of(q, ctx, d, 3 * d), rows_of(q + d, ctx, d, 3 * d),
                        rows_of(q + 2 * d, ctx, d, 3 * d),
                        rows_of(attn + static_cast<size_t>(b) * ctx * d, ctx, d, d), scale);
        }
      });
      timed(&S::out_proj, [&] {
        dev.linear(*l.out, rows_of(attn, rows, d, d), xs, {.bias = l.out_bias, .residual = xs});
      });
      timed(&S::mlp, [&] {
        dev.layer_norm_linear(xs, l.mlp_ln_gamma, l.mlp_ln_beta, kLayerNormEps, ns, *l.fc1, hidden,
                              {.bias = l.fc1_bias, .gelu = true});
        dev.linear(*l.fc2, hidden, xs, {.bias = l.fc2_bias, .residual = xs});
      });
    }
    timed(&S::layer_norm, [&] {
      dev.layer_norm(xs, w.ln_post_gamma, w.ln_post_beta, kLayerNormEps,
                     rows_of(result, rows, d, d));
    });
    timed(&S::other, [&] { dev.copy_out(result, static_cast<size_t>(rows) * d, out); });
  }

  // conv1 (k3 p1) + GELU, conv2 (k3 s2 p1) + GELU, + positions, for window b into x.
  // Both convolutions are linear layers over time-major, zero-padded input: output row t of a k=3
  // conv reads input rows t-1..t+1 (stride 2: 2t-1..2t+1), which lie back to back in memory, so the
  // A operand is the input itself with row stride n_in (stride 2: 2 n_in) and K = 3 n_in.
  void conv_stem(int b) {
    Device& dev = *device;
    float* mt = mel_t + static_cast<size_t>(b) * (in_frames + 2) * n_mels;
    dev.transpose(mel_in + static_cast<size_t>(b) * n_mels * in_frames, n_mels, in_frames,
                  rows_of(mt + n_mels, in_frames, n_mels, n_mels));
    float* h = conv1 + static_cast<size_t>(b) * (in_frames + 2) * d;
    dev.linear(*w.conv1, rows_of(mt, in_frames, 3 * n_mels, n_mels),
               rows_of(h + d, in_frames, d, d), {.bias = w.conv1_bias, .gelu = true});
    const View xb = rows_of(x + static_cast<size_t>(b) * ctx * d, ctx, d, d);
    dev.linear(*w.conv2, rows_of(h, ctx, 3 * d, 2 * d), xb,
               {.bias = w.conv2_bias,
                .gelu = true,
                .residual = rows_of(const_cast<float*>(w.positions), ctx, d, d)});
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
  options.compute_type = resolve_compute_type(options.compute_type, model->config, options.threads);
  impl_ = std::make_unique<Impl>(std::move(model), options);
}

Encoder::~Encoder() = default;

int Encoder::n_mels() const {
  return impl_->n_mels;
}
int Encoder::output_frames() const {
  return impl_->ctx;
}
int Encoder::d_model() const {
  return impl_->d;
}
ComputeType Encoder::compute_type() const {
  return impl_->options.compute_type;
}
std::string Encoder::kernel_summary() const {
  return impl_->device->kernel_summary();
}
size_t Encoder::weight_bytes() const {
  return impl_->device->weight_bytes();
}

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
    throw Error("Encoder::encode: expected a " + std::to_string(impl_->n_mels) +
                " x 3000 mel window (" + std::to_string(want) + " values), got " +
                std::to_string(mel_window.size()));
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
  s.stage_ms = impl_->stage_acc;
  return s;
}

void Encoder::reset_stats() {
  std::lock_guard<std::mutex> lock(impl_->stats_mu);
  impl_->stats = {};
  impl_->stage_acc = {};
  impl_->total_ms = 0;
}

double Encoder::ops_per_window() const {
  const double d = impl_->d, t = impl_->ctx, mels = impl_->n_mels;
  const double conv = 2 * (2 * t) * d * 3 * mels + 2 * t * d * 3 * d;
  const double linear = 2 * t * d * d * (3 + 1 + 4 + 4);
  const double attention = 2 * 2 * t * t * d;
  return conv + (linear + attention) * impl_->w.layers.size();
}

}  // namespace tessera
