// The Whisper decoder graph over a KV cache. All buffers are sized and touched at construction;
// step(), set_audio() and reorder() only run kernels over them.
#include "tessera/decoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "decoder/attention.h"
#include "decoder/decoder_weights.h"
#include "decoder/kv_store.h"
#include "decoder/sequence_slots.h"
#include "runtime/aligned_buffer.h"
#include "runtime/device.h"
#include "runtime/thread_pool.h"
#include "tessera/error.h"

namespace tessera {

namespace {
constexpr float kLayerNormEps = 1e-5f;
constexpr int kMaxWindows = 1024;
constexpr int kMaxSequences = 4096;
constexpr int kMaxStepTokens = 1 << 16;

std::string str(int64_t v) {
  return std::to_string(v);
}
}  // namespace

double DecoderStats::total_ms() const {
  const DecoderStageMs& s = stage_ms;
  return s.cross_kv + s.embed + s.layer_norm + s.self_qkv + s.self_attention + s.self_out +
         s.cross_q + s.cross_attention + s.cross_out + s.mlp + s.logits + s.reorder;
}

struct Decoder::Impl {
  // A run of one input's tokens inside a chunk of rows.
  struct Segment {
    int input, phys, window, pos0, tok0, n, row0;
  };

  std::shared_ptr<const Model> model;
  DecoderOptions opt;
  ModelConfig cfg;
  int d, heads, dh, n_ctx, n_audio, n_vocab;
  ThreadPool pool;  // before the device, which runs on it
  std::unique_ptr<Device> device;
  decoder::DecoderWeights w;

  // Self-attention keys/values per physical sequence slot; cross-attention per window slot.
  std::unique_ptr<decoder::KvStore> self_kv, cross_kv;
  decoder::SequenceSlots slots;  // sequence -> physical self-attention slot, length, window
  std::vector<char> window_ready;

  // Activations (device memory).
  int max_rows, max_out_rows;
  float *x, *h, *qkv, *attn, *q, *hidden, *gathered, *logits, *enc, *kvtmp;

  // Step plan (preallocated).
  std::vector<Segment> segs;
  std::vector<int> seg_of_window_count, seg_window_start, window_rows, active_windows;
  std::vector<int> extra_index;  // per input: index among the extra rows, or -1
  std::vector<int> gather_rows;  // chunk rows to project, last rows then extra rows
  std::vector<int64_t> seq_stamp;
  int64_t stamp = 0;
  int out_rows = 0;
  std::span<const StepInput> cur_inputs;

  // Per-thread attention scratch: kAttentionBlockRows score rows each.
  AlignedBuffer<float> scores;
  int64_t score_stride;

  DecoderStats stats;

  Impl(std::shared_ptr<const Model> m, DecoderOptions o)
      : model(std::move(m)),
        opt(o),
        cfg(model->config),
        pool(o.threads),
        slots(std::clamp(o.max_sequences, 1, kMaxSequences)) {
    d = cfg.n_text_state;
    heads = cfg.n_text_head;
    n_ctx = cfg.n_text_ctx;
    n_audio = cfg.n_audio_ctx;
    n_vocab = cfg.n_vocab;
    if (d <= 0 || heads <= 0 || d % heads != 0)
      throw Error(model->dir + ": decoder width " + str(d) +
                  " is not divisible by its head count " + str(heads));
    if (n_ctx <= 0 || n_audio <= 0 || n_vocab <= 0 || cfg.n_text_layer <= 0)
      throw Error(model->dir + ": decoder dimensions must be positive");
    if (cfg.n_audio_state != d)
      throw Error(model->dir + ": decoder width " + str(d) + " differs from the encoder's " +
                  str(cfg.n_audio_state));
    dh = d / heads;
    if (dh % decoder::kKeyTile != 0)
      throw Error(model->dir + ": decoder head width " + str(dh) + " is not a multiple of " +
                  str(decoder::kKeyTile));
    if (opt.max_windows < 1 || opt.max_windows > kMaxWindows)
      throw Error("Decoder: max_windows must be in 1.." + str(kMaxWindows) + ", got " +
                  str(opt.max_windows));
    if (opt.max_sequences < 1 || opt.max_sequences > kMaxSequences)
      throw Error("Decoder: max_sequences must be in 1.." + str(kMaxSequences) + ", got " +
                  str(opt.max_sequences));
    if (opt.max_step_tokens == 0) opt.max_step_tokens = std::max(opt.max_sequences, 2 * n_ctx);
    if (opt.max_step_tokens < 1 || opt.max_step_tokens > kMaxStepTokens)
      throw Error("Decoder: max_step_tokens must be in 1.." + str(kMaxStepTokens) + ", got " +
                  str(opt.max_step_tokens));
    opt.compute_type = resolve_compute_type(opt.compute_type, model->config, opt.threads);
    device = make_cpu_device(opt.compute_type, pool);  // one pool for kernels and attention
    opt.threads = pool.size();

    max_rows = opt.max_step_tokens;
    max_out_rows = 2 * opt.max_sequences;
    w = decoder::pack_decoder(*model, *device, std::max(max_rows, max_out_rows));
    device->seal_weights();

    const int L = static_cast<int>(w.layers.size());
    if (!opt.cache_dtype)
      opt.cache_dtype = opt.compute_type == ComputeType::F32    ? DType::F32
                        : opt.compute_type == ComputeType::Int8 ? DType::I8
                                                                : DType::F16;
    if (*opt.cache_dtype != DType::F32 && *opt.cache_dtype != DType::F16 &&
        *opt.cache_dtype != DType::I8)
      throw Error("Decoder: cache_dtype must be float32, float16 or int8, got " +
                  std::string(dtype_name(*opt.cache_dtype)));
    const decoder::KvElem elem = *opt.cache_dtype == DType::F16  ? decoder::KvElem::F16
                                 : *opt.cache_dtype == DType::I8 ? decoder::KvElem::I8
                                                                 : decoder::KvElem::F32;
    self_kv = std::make_unique<decoder::KvStore>(opt.max_sequences, L, d, heads, n_ctx, elem);
    cross_kv = std::make_unique<decoder::KvStore>(opt.max_windows, L, d, heads, n_audio, elem);
    window_ready.assign(opt.max_windows, 0);

    const size_t rows = max_rows;
    x = device->allocate(rows * d);
    h = device->allocate(rows * d);
    qkv = device->allocate(rows * 3 * d);
    attn = device->allocate(rows * d);
    q = device->allocate(rows * d);
    hidden = device->allocate(rows * 4 * d);
    gathered = device->allocate(static_cast<size_t>(max_out_rows) * d);
    logits = device->allocate(static_cast<size_t>(max_out_rows) * n_vocab);
    enc = device->allocate(static_cast<size_t>(n_audio) * d);
    kvtmp = device->allocate(static_cast<size_t>(n_audio) * 2 * d);

    segs.resize(opt.max_sequences + 1);
    seg_of_window_count.assign(opt.max_windows, 0);
    seg_window_start.assign(opt.max_windows + 1, 0);
    window_rows.assign(max_rows, 0);
    active_windows.assign(opt.max_windows, 0);
    extra_index.assign(opt.max_sequences, -1);
    gather_rows.assign(max_out_rows, 0);
    seq_stamp.assign(opt.max_sequences, 0);

    score_stride = std::max(decoder::padded_positions(n_audio), decoder::padded_positions(n_ctx));
    scores.resize(static_cast<size_t>(pool.size()) * decoder::kAttentionBlockRows * score_stride);
  }

  // Runs fn over the tasks on the pool, or inline when the whole job is too small to be worth
  // waking the workers (`work`: rough multiply-adds or bytes).
  template <typename F>
  void run_tasks(int64_t n_tasks, int64_t work, F&& fn) {
    constexpr int64_t kParallelWork = 1 << 17;
    if (work < kParallelWork || pool.size() == 1) {
      for (int64_t t = 0; t < n_tasks; ++t) fn(t, 0);
    } else {
      pool.run(n_tasks, fn);
    }
  }

  View view(float* p, int64_t rows, int64_t cols) const { return {p, rows, cols, cols}; }

  template <typename F>
  void timed(double DecoderStageMs::*stage, F&& f) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    stats.stage_ms.*stage +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  void check_sequence(int s, const char* what) const {
    if (s < 0 || s >= opt.max_sequences)
      throw Error(std::string("Decoder::") + what + ": sequence slot " + str(s) + " outside 0.." +
                  str(opt.max_sequences - 1));
  }
  void check_window(int wnd, const char* what) const {
    if (wnd < 0 || wnd >= opt.max_windows)
      throw Error(std::string("Decoder::") + what + ": window slot " + str(wnd) + " outside 0.." +
                  str(opt.max_windows - 1));
  }

  // ---- set_audio ------------------------------------------------------------------------------

  void set_audio(int window, const float* features) {
    check_window(window, "set_audio");
    if (!features) throw Error("Decoder::set_audio: no encoder output");
    timed(&DecoderStageMs::cross_kv, [&] {
      device->copy_in(features, static_cast<size_t>(n_audio) * d, enc);
      const View e = view(enc, n_audio, d);
      for (size_t l = 0; l < w.layers.size(); ++l) {
        const decoder::LayerWeights& lw = w.layers[l];
        device->linear(*lw.cross_kv, e, view(kvtmp, n_audio, 2 * d), {.bias = lw.cross_kv_bias});
        // (n_audio x 2d) rows of k;v -> the window's key tiles and value rows.
        pool.parallel_for(n_audio, decoder::kKeyTile, [&](int64_t p0, int64_t p1, int) {
          for (int64_t p = p0; p < p1; ++p) {
            const float* row = kvtmp + static_cast<size_t>(p) * 2 * d;
            cross_kv->write(window, static_cast<int>(l), static_cast<int>(p), row, row + d);
          }
        });
      }
    });
    window_ready[window] = 1;
    ++stats.windows_set;
  }

  // ---- step -----------------------------------------------------------------------------------

  float* step(std::span<const StepInput> inputs) {
    const int n_in = static_cast<int>(inputs.size());
    if (n_in == 0) throw Error("Decoder::step: no inputs");
    if (n_in > opt.max_sequences)
      throw Error("Decoder::step: " + str(n_in) + " inputs for " + str(opt.max_sequences) +
                  " sequence slots");
    ++stamp;
    int extras = 0;
    int64_t total_tokens = 0;
    for (int i = 0; i < n_in; ++i) {
      const StepInput& in = inputs[i];
      check_sequence(in.sequence, "step");
      if (seq_stamp[in.sequence] == stamp)
        throw Error("Decoder::step: sequence " + str(in.sequence) + " given twice");
      seq_stamp[in.sequence] = stamp;
      const int n = static_cast<int>(in.tokens.size());
      if (n == 0) throw Error("Decoder::step: sequence " + str(in.sequence) + " has no new tokens");
      const int wnd = slots.window(in.sequence);
      if (wnd < 0) throw Error("Decoder::step: sequence " + str(in.sequence) + " is not bound");
      if (!window_ready[wnd])
        throw Error("Decoder::step: window " + str(wnd) + " of sequence " + str(in.sequence) +
                    " has no audio (set_audio)");
      if (in.tokens.size() > static_cast<size_t>(n_ctx - slots.length(in.sequence)))
        throw Error("Decoder::step: sequence " + str(in.sequence) + " would hold " +
                    str(slots.length(in.sequence) + static_cast<int64_t>(in.tokens.size())) +
                    " tokens, more than n_text_ctx " + str(n_ctx));
      for (int t : in.tokens)
        if (t < 0 || t >= n_vocab)
          throw Error("Decoder::step: token " + str(t) + " outside the vocabulary 0.." +
                      str(n_vocab - 1));
      if (in.extra_logits_at < -1 || in.extra_logits_at >= n)
        throw Error("Decoder::step: extra_logits_at " + str(in.extra_logits_at) + " outside -1.." +
                    str(n - 1));
      extra_index[i] = in.extra_logits_at >= 0 ? extras++ : -1;
      total_tokens += n;
    }
    cur_inputs = inputs;
    out_rows = n_in + extras;

    int in_i = 0, tok_off = 0;
    while (in_i < n_in) {
      int rows = 0, nseg = 0;
      while (in_i < n_in && rows < max_rows) {
        const StepInput& in = inputs[in_i];
        const int n = static_cast<int>(in.tokens.size());
        const int take = std::min(n - tok_off, max_rows - rows);
        const int phys = slots.phys(in.sequence);
        segs[nseg++] = {
            in_i, phys, slots.window(in.sequence), slots.length(in.sequence) + tok_off, tok_off,
            take, rows};
        rows += take;
        tok_off += take;
        if (tok_off == n) {
          ++in_i;
          tok_off = 0;
        }
      }
      run_chunk(nseg, rows);
      project_chunk(nseg, n_in);
    }
    for (const StepInput& in : inputs) slots.grow(in.sequence, static_cast<int>(in.tokens.size()));
    ++stats.steps;
    stats.tokens += total_tokens;
    stats.logit_rows += out_rows;
    return logits;
  }

  void run_chunk(int nseg, int rows) {
    using S = DecoderStageMs;
    const View xs = view(x, rows, d), hs = view(h, rows, d);
    timed(&S::embed, [&] { embed(nseg); });
    group_by_window(nseg, rows);
    const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
    for (size_t l = 0; l < w.layers.size(); ++l) {
      const decoder::LayerWeights& lw = w.layers[l];
      const int layer = static_cast<int>(l);
      timed(&S::layer_norm,
            [&] { device->layer_norm(xs, lw.self_ln_gamma, lw.self_ln_beta, kLayerNormEps, hs); });
      timed(&S::self_qkv, [&] {
        device->linear(*lw.self_qkv, hs, view(qkv, rows, 3 * d), {.bias = lw.self_qkv_bias});
        append_kv(nseg, layer);
      });
      timed(&S::self_attention, [&] { self_attention(nseg, layer, scale); });
      timed(&S::self_out, [&] {
        device->linear(*lw.self_out, view(attn, rows, d), xs,
                       {.bias = lw.self_out_bias, .residual = xs});
      });
      timed(&S::layer_norm, [&] {
        device->layer_norm(xs, lw.cross_ln_gamma, lw.cross_ln_beta, kLayerNormEps, hs);
      });
      timed(&S::cross_q,
            [&] { device->linear(*lw.cross_q, hs, view(q, rows, d), {.bias = lw.cross_q_bias}); });
      timed(&S::cross_attention, [&] { cross_attention(layer, scale); });
      timed(&S::cross_out, [&] {
        device->linear(*lw.cross_out, view(attn, rows, d), xs,
                       {.bias = lw.cross_out_bias, .residual = xs});
      });
      timed(&S::layer_norm,
            [&] { device->layer_norm(xs, lw.mlp_ln_gamma, lw.mlp_ln_beta, kLayerNormEps, hs); });
      timed(&S::mlp, [&] {
        device->linear(*lw.fc1, hs, view(hidden, rows, 4 * d), {.bias = lw.fc1_bias, .gelu = true});
        device->linear(*lw.fc2, view(hidden, rows, 4 * d), xs,
                       {.bias = lw.fc2_bias, .residual = xs});
      });
    }
  }

  void embed(int nseg) {
    run_tasks(nseg, 0, [&](int64_t s, int) {
      const Segment& sg = segs[s];
      const StepInput& in = cur_inputs[sg.input];
      for (int k = 0; k < sg.n; ++k) {
        float* row = x + static_cast<size_t>(sg.row0 + k) * d;
        decoder::embedding_row(*w.embeddings, in.tokens[sg.tok0 + k], row);
        const float* pos = w.positions.data() + static_cast<size_t>(sg.pos0 + k) * d;
        for (int c = 0; c < d; ++c) row[c] += pos[c];
      }
    });
  }

  // Rows of the chunk grouped by window (counting sort over segments), for cross-attention.
  int n_active = 0;
  void group_by_window(int nseg, int rows) {
    std::fill(seg_of_window_count.begin(), seg_of_window_count.end(), 0);
    for (int s = 0; s < nseg; ++s) seg_of_window_count[segs[s].window] += segs[s].n;
    n_active = 0;
    int start = 0;
    for (int wnd = 0; wnd < opt.max_windows; ++wnd) {
      seg_window_start[wnd] = start;
      if (seg_of_window_count[wnd] > 0) active_windows[n_active++] = wnd;
      start += seg_of_window_count[wnd];
    }
    seg_window_start[opt.max_windows] = start;
    (void)rows;
    std::fill(seg_of_window_count.begin(), seg_of_window_count.end(), 0);
    for (int s = 0; s < nseg; ++s) {
      const Segment& sg = segs[s];
      int& fill = seg_of_window_count[sg.window];
      for (int k = 0; k < sg.n; ++k)
        window_rows[seg_window_start[sg.window] + fill++] = sg.row0 + k;
    }
  }

  void append_kv(int nseg, int layer) {
    run_tasks(nseg, 0, [&](int64_t s, int) {
      const Segment& sg = segs[s];
      for (int k = 0; k < sg.n; ++k) {
        const float* row = qkv + static_cast<size_t>(sg.row0 + k) * 3 * d;
        self_kv->write(sg.phys, layer, sg.pos0 + k, row + d, row + 2 * d);
      }
    });
  }

  void self_attention(int nseg, int layer, float scale) {
    int64_t work = 0;
    for (int s = 0; s < nseg; ++s)
      work += static_cast<int64_t>(segs[s].n) * (segs[s].pos0 + segs[s].n);
    work *= 2 * d;
    run_tasks(static_cast<int64_t>(nseg) * heads, work, [&](int64_t task, int thread) {
      const Segment& sg = segs[task / heads];
      const int hd = static_cast<int>(task % heads);
      const decoder::HeadKv kv = self_kv->head(sg.phys, layer, hd);
      float* sc =
          scores.data() + static_cast<size_t>(thread) * decoder::kAttentionBlockRows * score_stride;
      const float* qp[decoder::kAttentionBlockRows];
      float* op[decoder::kAttentionBlockRows];
      int keys[decoder::kAttentionBlockRows];
      for (int k0 = 0; k0 < sg.n; k0 += decoder::kAttentionBlockRows) {
        const int nb = std::min(decoder::kAttentionBlockRows, sg.n - k0);
        for (int g = 0; g < nb; ++g) {
          const size_t row = sg.row0 + k0 + g;
          qp[g] = qkv + row * 3 * d + hd * dh;
          op[g] = attn + row * d + hd * dh;
          keys[g] = sg.pos0 + k0 + g + 1;  // causal: itself and everything before
        }
        decoder::attend_block(nb, qp, keys, kv, dh, scale, sc, score_stride, op);
      }
    });
  }

  void cross_attention(int layer, float scale) {
    const int64_t work = static_cast<int64_t>(seg_window_start[opt.max_windows]) * n_audio * 2 * d;
    run_tasks(static_cast<int64_t>(n_active) * heads, work, [&](int64_t task, int thread) {
      const int wnd = active_windows[task / heads];
      const int hd = static_cast<int>(task % heads);
      const decoder::HeadKv kv = cross_kv->head(wnd, layer, hd);
      float* sc =
          scores.data() + static_cast<size_t>(thread) * decoder::kAttentionBlockRows * score_stride;
      const float* qp[decoder::kAttentionBlockRows];
      float* op[decoder::kAttentionBlockRows];
      int keys[decoder::kAttentionBlockRows];
      const int r0 = seg_window_start[wnd], r1 = seg_window_start[wnd + 1];
      for (int k0 = r0; k0 < r1; k0 += decoder::kAttentionBlockRows) {
        const int nb = std::min(decoder::kAttentionBlockRows, r1 - k0);
        for (int g = 0; g < nb; ++g) {
          const size_t row = window_rows[k0 + g];
          qp[g] = q + row * d + hd * dh;
          op[g] = attn + row * d + hd * dh;
          keys[g] = n_audio;
        }
        decoder::attend_block(nb, qp, keys, kv, dh, scale, sc, score_stride, op);
      }
    });
  }

  // Final LayerNorm and vocabulary projection of the chunk rows whose logits were asked for:
  // inputs whose last token is in the chunk (output rows [a, b)) and extra rows (output rows
  // n_in + [c, e)). Both ranges are contiguous; when they touch, one GEMM writes them.
  void project_chunk(int nseg, int n_in) {
    int n_last = 0, first_last = -1, first_extra = -1;
    for (int s = 0; s < nseg; ++s) {
      const Segment& sg = segs[s];
      if (sg.tok0 + sg.n == static_cast<int>(cur_inputs[sg.input].tokens.size())) {
        if (first_last < 0) first_last = sg.input;
        gather_rows[n_last++] = sg.row0 + sg.n - 1;
      }
    }
    int n_extra = 0;
    for (int s = 0; s < nseg; ++s) {
      const Segment& sg = segs[s];
      const int at = cur_inputs[sg.input].extra_logits_at;
      if (at >= sg.tok0 && at < sg.tok0 + sg.n) {
        if (first_extra < 0) first_extra = extra_index[sg.input];
        gather_rows[n_last + n_extra++] = sg.row0 + (at - sg.tok0);
      }
    }
    const int total = n_last + n_extra;
    if (total == 0) return;
    timed(&DecoderStageMs::layer_norm, [&] {
      for (int r = 0; r < total; ++r)
        std::memcpy(gathered + static_cast<size_t>(r) * d,
                    x + static_cast<size_t>(gather_rows[r]) * d, sizeof(float) * d);
      const View g = view(gathered, total, d);
      device->layer_norm(g, w.ln_gamma, w.ln_beta, kLayerNormEps, g);
    });
    timed(&DecoderStageMs::logits, [&] {
      auto project = [&](int g0, int n, int out0) {
        device->linear(*w.logits, view(gathered + static_cast<size_t>(g0) * d, n, d),
                       view(logits + static_cast<size_t>(out0) * n_vocab, n, n_vocab), {});
      };
      const int last_out = n_last ? first_last : 0;
      const int extra_out = n_extra ? n_in + first_extra : 0;
      if (n_last && n_extra && last_out + n_last == extra_out) {
        project(0, total, last_out);
      } else {
        if (n_last) project(0, n_last, last_out);
        if (n_extra) project(n_last, n_extra, extra_out);
      }
    });
  }

  // ---- reorder --------------------------------------------------------------------------------

  void reorder(std::span<const int> dst, std::span<const int> src) {
    const std::span<const decoder::SequenceSlots::Copy> copies = slots.plan(dst, src);
    timed(&DecoderStageMs::reorder, [&] { run_copies(copies); });
    slots.commit(dst);
  }

  void run_copies(std::span<const decoder::SequenceSlots::Copy> copies) {
    const int L = static_cast<int>(w.layers.size());
    int64_t bytes = 0;
    for (const auto& c : copies) bytes += static_cast<int64_t>(c.len) * 2 * d * L * 4;
    run_tasks(static_cast<int64_t>(copies.size()) * L, bytes / 8, [&](int64_t task, int) {
      const auto& c = copies[task / L];
      self_kv->copy(c.from, c.to, static_cast<int>(task % L), c.len);
    });
  }
};

Decoder::Decoder(std::shared_ptr<const Model> model, DecoderOptions options) {
  if (!model) throw Error("Decoder: no model");
  impl_ = std::make_unique<Impl>(std::move(model), options);
}

Decoder::~Decoder() = default;

const ModelConfig& Decoder::config() const {
  return impl_->cfg;
}
const DecoderOptions& Decoder::options() const {
  return impl_->opt;
}
int Decoder::n_vocab() const {
  return impl_->n_vocab;
}
int Decoder::n_text_ctx() const {
  return impl_->n_ctx;
}
int Decoder::d_model() const {
  return impl_->d;
}
ComputeType Decoder::compute_type() const {
  return impl_->opt.compute_type;
}

void Decoder::set_audio(int window, const float* encoder_output) {
  impl_->set_audio(window, encoder_output);
}

void Decoder::bind(int sequence, int window) {
  impl_->check_sequence(sequence, "bind");
  impl_->check_window(window, "bind");
  impl_->slots.bind(sequence, window);
}

int Decoder::length(int sequence) const {
  impl_->check_sequence(sequence, "length");
  return impl_->slots.length(sequence);
}

int Decoder::window_of(int sequence) const {
  impl_->check_sequence(sequence, "window_of");
  return impl_->slots.window(sequence);
}

float* Decoder::step(std::span<const StepInput> inputs) {
  return impl_->step(inputs);
}
int Decoder::output_rows() const {
  return impl_->out_rows;
}

void Decoder::reorder(std::span<const int> dst, std::span<const int> src) {
  impl_->reorder(dst, src);
}

DecoderStats Decoder::stats() const {
  return impl_->stats;
}
void Decoder::reset_stats() {
  impl_->stats = {};
}

size_t Decoder::cache_bytes() const {
  return impl_->self_kv->bytes() + impl_->cross_kv->bytes();
}

}  // namespace tessera
