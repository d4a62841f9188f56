// The decoder graph on real tiny.en weights: against a naive full-recompute reference written
// from openai-whisper's TextDecoder, and the KV cache against itself (incremental vs whole
// prompt, chunked steps, beam reordering, several windows).
#include "tessera/decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "decoder_test_util.h"
#include "support/heap_counter.h"
#include "tessera/error.h"

namespace tessera {
namespace {

constexpr int kFrames = 64;  // a shortened audio context keeps the naive reference fast

// tiny.en with n_audio_ctx cut to kFrames (the decoder reads the frame count from the config).
std::shared_ptr<const Model> short_tiny() {
  static std::shared_ptr<const Model> m = [] {
    auto full = test::shared_model("tiny.en");
    if (!full) return std::shared_ptr<const Model>();
    auto copy = std::make_shared<Model>(*full);
    copy->config.n_audio_ctx = kFrames;
    return std::shared_ptr<const Model>(copy);
  }();
  return m;
}

std::vector<float> random_audio(int frames, int d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(frames) * d);
  for (float& x : v) x = dist(rng);
  return v;
}

// ---- naive reference ------------------------------------------------------------------------

struct Naive {
  const Model& m;
  int d, heads, dh;
  explicit Naive(const Model& model)
      : m(model), d(model.config.n_text_state), heads(model.config.n_text_head), dh(d / heads) {}

  std::vector<float> w(const std::string& name) const { return to_float32(m.weights.get(name)); }

  // y[t] = x[t] W^T + b for a (rows x k) x and W (n x k).
  static std::vector<float> linear(const std::vector<float>& x, int rows, int k,
                                   const std::vector<float>& W, const std::vector<float>* b, int n,
                                   int w_row0 = 0) {
    std::vector<float> y(static_cast<size_t>(rows) * n);
    for (int t = 0; t < rows; ++t)
      for (int o = 0; o < n; ++o) {
        double s = b ? (*b)[w_row0 + o] : 0.0;
        const float* wr = W.data() + static_cast<size_t>(w_row0 + o) * k;
        for (int i = 0; i < k; ++i)
          s += static_cast<double>(x[static_cast<size_t>(t) * k + i]) * wr[i];
        y[static_cast<size_t>(t) * n + o] = static_cast<float>(s);
      }
    return y;
  }
  std::vector<float> layer_norm(const std::vector<float>& x, int rows,
                                const std::string& prefix) const {
    const std::vector<float> g = w(prefix + "/gamma"), b = w(prefix + "/beta");
    std::vector<float> y(x.size());
    for (int t = 0; t < rows; ++t) {
      double mean = 0, var = 0;
      for (int i = 0; i < d; ++i) mean += x[static_cast<size_t>(t) * d + i];
      mean /= d;
      for (int i = 0; i < d; ++i) {
        const double c = x[static_cast<size_t>(t) * d + i] - mean;
        var += c * c;
      }
      var /= d;
      for (int i = 0; i < d; ++i)
        y[static_cast<size_t>(t) * d + i] = static_cast<float>(
            (x[static_cast<size_t>(t) * d + i] - mean) / std::sqrt(var + 1e-5) * g[i] + b[i]);
    }
    return y;
  }
  // softmax(q k^T / sqrt(dh)) v per head; q: tq rows (stride ldq), k/v: tk rows; causal: row t
  // sees keys 0..t + offset.
  std::vector<float> attention(const float* q, int ldq, int tq, const float* k, int ldk,
                               const float* v, int ldv, int tk, bool causal) const {
    std::vector<float> out(static_cast<size_t>(tq) * d);
    for (int h = 0; h < heads; ++h)
      for (int t = 0; t < tq; ++t) {
        const int n = causal ? t + 1 : tk;
        std::vector<double> s(n);
        double mx = -1e300;
        for (int j = 0; j < n; ++j) {
          double acc = 0;
          for (int c = 0; c < dh; ++c)
            acc += static_cast<double>(q[static_cast<size_t>(t) * ldq + h * dh + c]) *
                   k[static_cast<size_t>(j) * ldk + h * dh + c];
          s[j] = acc / std::sqrt(static_cast<double>(dh));
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (int c = 0; c < dh; ++c) {
          double acc = 0;
          for (int j = 0; j < n; ++j) acc += s[j] * v[static_cast<size_t>(j) * ldv + h * dh + c];
          out[static_cast<size_t>(t) * d + h * dh + c] = static_cast<float>(acc / sum);
        }
      }
    return out;
  }

  // Logits (n_vocab) at each position of `tokens`.
  std::vector<std::vector<float>> logits(const std::vector<int>& tokens,
                                         const std::vector<float>& audio) const {
    const int T = static_cast<int>(tokens.size()), A = m.config.n_audio_ctx;
    const std::vector<float> emb = w("decoder/embeddings/weight"),
                             pos = w("decoder/position_encodings/encodings");
    std::vector<float> x(static_cast<size_t>(T) * d);
    for (int t = 0; t < T; ++t)
      for (int i = 0; i < d; ++i)
        x[static_cast<size_t>(t) * d + i] =
            emb[static_cast<size_t>(tokens[t]) * d + i] + pos[static_cast<size_t>(t) * d + i];
    auto add = [&](const std::vector<float>& y) {
      for (size_t i = 0; i < x.size(); ++i) x[i] += y[i];
    };
    for (int l = 0; l < m.config.n_text_layer; ++l) {
      const std::string p = "decoder/layer_" + std::to_string(l) + "/";
      std::vector<float> h = layer_norm(x, T, p + "self_attention/layer_norm");
      const std::vector<float> wqkv = w(p + "self_attention/linear_0/weight"),
                               bqkv = w(p + "self_attention/linear_0/bias");
      const std::vector<float> qkv = linear(h, T, d, wqkv, &bqkv, 3 * d);
      std::vector<float> a = attention(qkv.data(), 3 * d, T, qkv.data() + d, 3 * d,
                                       qkv.data() + 2 * d, 3 * d, T, true);
      const std::vector<float> wo = w(p + "self_attention/linear_1/weight"),
                               bo = w(p + "self_attention/linear_1/bias");
      add(linear(a, T, d, wo, &bo, d));

      h = layer_norm(x, T, p + "attention/layer_norm");
      const std::vector<float> wq = w(p + "attention/linear_0/weight"),
                               bq = w(p + "attention/linear_0/bias");
      const std::vector<float> q = linear(h, T, d, wq, &bq, d);
      const std::vector<float> wkv = w(p + "attention/linear_1/weight"),
                               bkv = w(p + "attention/linear_1/bias");
      const std::vector<float> kv = linear(audio, A, d, wkv, &bkv, 2 * d);
      a = attention(q.data(), d, T, kv.data(), 2 * d, kv.data() + d, 2 * d, A, false);
      const std::vector<float> wco = w(p + "attention/linear_2/weight"),
                               bco = w(p + "attention/linear_2/bias");
      add(linear(a, T, d, wco, &bco, d));

      h = layer_norm(x, T, p + "ffn/layer_norm");
      const std::vector<float> w1 = w(p + "ffn/linear_0/weight"), b1 = w(p + "ffn/linear_0/bias");
      std::vector<float> f = linear(h, T, d, w1, &b1, 4 * d);
      for (float& v : f) v = static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
      const std::vector<float> w2 = w(p + "ffn/linear_1/weight"), b2 = w(p + "ffn/linear_1/bias");
      add(linear(f, T, 4 * d, w2, &b2, d));
    }
    const std::vector<float> y = layer_norm(x, T, "decoder/layer_norm");
    std::vector<std::vector<float>> out;
    for (int t = 0; t < T; ++t) {
      std::vector<float> row(std::vector<float>(y.begin() + static_cast<size_t>(t) * d,
                                                y.begin() + static_cast<size_t>(t + 1) * d));
      out.push_back(linear(row, 1, d, emb, nullptr, m.config.n_vocab));
    }
    return out;
  }
};

float max_abs_diff(const float* a, const float* b, int n) {
  float m = 0;
  for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

class DecoderOnTinyEn : public ::testing::Test {
 protected:
  void SetUp() override {
    TESSERA_REQUIRE_MODEL("tiny.en");
    model_ = short_tiny();
    d_ = model_->config.n_text_state;
    audio_a_ = random_audio(kFrames, d_, 1);
    audio_b_ = random_audio(kFrames, d_, 2);
  }
  std::shared_ptr<const Model> model_;
  int d_ = 0;
  std::vector<float> audio_a_, audio_b_;
  const std::vector<int> prompt_ = {50257, 50362, 400, 1234, 257, 13};

  // A decoder with `cache` KV caches: its prompt logits within `rel_tol` of the reference (but
  // not equal: the caches really are narrower), and reorder copies the narrow rows (and their
  // scales) exactly.
  void expect_narrow_caches_close(DType cache, float rel_tol) {
    Decoder dec(model_, {.threads = 2, .max_sequences = 2, .cache_dtype = cache});
    EXPECT_EQ(*dec.options().cache_dtype, cache);
    dec.set_audio(0, audio_a_.data());
    dec.bind(0, 0);
    const StepInput in{.sequence = 0, .tokens = prompt_};
    const float* logits = dec.step({&in, 1});
    const auto ref = Naive(*model_).logits(prompt_, audio_a_);
    float scale = 0;
    for (float v : ref.back()) scale = std::max(scale, std::fabs(v));
    const float err = max_abs_diff(logits, ref.back().data(), dec.n_vocab());
    EXPECT_LT(err, rel_tol * scale);
    EXPECT_GT(err, 0.0f);
    const int dst[] = {1}, src[] = {0};
    dec.reorder(dst, src);
    const int next[] = {290};
    const StepInput a{.sequence = 0, .tokens = next}, b{.sequence = 1, .tokens = next};
    const StepInput both[] = {a, b};
    const float* l = dec.step(both);
    EXPECT_EQ(max_abs_diff(l, l + dec.n_vocab(), dec.n_vocab()), 0.0f);
  }
};

TEST_F(DecoderOnTinyEn, MatchesNaiveReference) {
  Decoder dec(model_, {.threads = 2, .max_windows = 1, .max_sequences = 1});
  dec.set_audio(0, audio_a_.data());
  dec.bind(0, 0);
  const StepInput in{.sequence = 0, .tokens = prompt_, .extra_logits_at = 0};
  float* logits = dec.step({&in, 1});
  ASSERT_EQ(dec.output_rows(), 2);
  EXPECT_EQ(dec.length(0), 6);
  const auto ref = Naive(*model_).logits(prompt_, audio_a_);
  const int V = dec.n_vocab();
  float scale = 0;
  for (float v : ref.back()) scale = std::max(scale, std::fabs(v));
  EXPECT_LT(max_abs_diff(logits, ref.back().data(), V), 2e-4f * scale);
  EXPECT_LT(max_abs_diff(logits + V, ref.front().data(), V), 2e-4f * scale);
  // Continue with one more token against the reference for the longer prompt.
  std::vector<int> longer = prompt_;
  longer.push_back(290);
  const int next[] = {290};
  const StepInput one{.sequence = 0, .tokens = next};
  logits = dec.step({&one, 1});
  const auto ref2 = Naive(*model_).logits(longer, audio_a_);
  EXPECT_LT(max_abs_diff(logits, ref2.back().data(), V), 2e-4f * scale);
}

TEST_F(DecoderOnTinyEn, HalfPrecisionCachesStayClose) {
  expect_narrow_caches_close(DType::F16, 5e-3f);
  EXPECT_THROW(Decoder(model_, {.cache_dtype = DType::BF16}), Error);
}

TEST_F(DecoderOnTinyEn, Int8CachesStayClose) {
  expect_narrow_caches_close(DType::I8, 3e-2f);
}

TEST_F(DecoderOnTinyEn, IncrementalChunkedAndBatchedStepsAgree) {
  const int V = model_->config.n_vocab;
  // Whole prompt in one step.
  Decoder whole(model_, {.threads = 2, .max_windows = 2, .max_sequences = 2});
  whole.set_audio(0, audio_a_.data());
  whole.set_audio(1, audio_b_.data());
  whole.bind(0, 0);
  whole.bind(1, 1);
  const std::vector<int> other = {50257, 50362, 1000, 77};
  const StepInput both[] = {{.sequence = 0, .tokens = prompt_, .extra_logits_at = 1},
                            {.sequence = 1, .tokens = other, .extra_logits_at = 3}};
  const float* w = whole.step(both);
  ASSERT_EQ(whole.output_rows(), 4);
  std::vector<float> ref(w, w + 4 * static_cast<size_t>(V));

  // Chunks of 3 rows: the step is split inside both sequences.
  Decoder chunked(model_,
                  {.threads = 2, .max_windows = 2, .max_sequences = 2, .max_step_tokens = 3});
  chunked.set_audio(0, audio_a_.data());
  chunked.set_audio(1, audio_b_.data());
  chunked.bind(0, 0);
  chunked.bind(1, 1);
  const float* c = chunked.step(both);
  for (int r = 0; r < 4; ++r)
    EXPECT_LT(max_abs_diff(c + r * V, ref.data() + r * V, V), 1e-3f) << "row " << r;

  // One token at a time, sequence 1 alone on window 1.
  Decoder inc(model_, {.threads = 1, .max_windows = 2, .max_sequences = 1});
  inc.set_audio(1, audio_b_.data());
  inc.bind(0, 1);
  const float* last = nullptr;
  for (int t : other) {
    const int tok[] = {t};
    const StepInput in{.sequence = 0, .tokens = tok};
    last = inc.step({&in, 1});
  }
  EXPECT_LT(max_abs_diff(last, ref.data() + V, V), 1e-3f);
  EXPECT_EQ(inc.length(0), 4);
  EXPECT_EQ(inc.window_of(0), 1);
}

TEST_F(DecoderOnTinyEn, ReorderMovesAndCopiesCaches) {
  const int V = model_->config.n_vocab;
  const std::vector<std::vector<int>> prompts = {{50257, 10, 20}, {50257, 30}, {50257, 40, 50, 60}};
  const int next[] = {290};
  // Reference: each prompt then `next`, alone.
  std::vector<std::vector<float>> ref;
  Decoder single(model_, {.threads = 2, .max_sequences = 1});
  single.set_audio(0, audio_a_.data());
  for (const auto& p : prompts) {
    single.bind(0, 0);
    const StepInput a{.sequence = 0, .tokens = p};
    single.step({&a, 1});
    const StepInput b{.sequence = 0, .tokens = next};
    const float* l = single.step({&b, 1});
    ref.emplace_back(l, l + V);
  }
  Decoder dec(model_, {.threads = 2, .max_sequences = 3});
  dec.set_audio(0, audio_a_.data());
  std::vector<StepInput> ins;
  for (int s = 0; s < 3; ++s) {
    dec.bind(s, 0);
    ins.push_back({.sequence = s, .tokens = prompts[s]});
  }
  dec.step(ins);
  const int dst[] = {0, 1, 2}, src[] = {2, 2, 0};
  dec.reorder(dst, src);
  EXPECT_EQ(dec.length(0), 4);
  EXPECT_EQ(dec.length(1), 4);
  EXPECT_EQ(dec.length(2), 3);
  for (int s = 0; s < 3; ++s) ins[s].tokens = next;
  const float* l = dec.step(ins);
  EXPECT_LT(max_abs_diff(l + 0 * V, ref[2].data(), V), 1e-3f);
  EXPECT_LT(max_abs_diff(l + 1 * V, ref[2].data(), V), 1e-3f);
  EXPECT_LT(max_abs_diff(l + 2 * V, ref[0].data(), V), 1e-3f);
}

TEST_F(DecoderOnTinyEn, RejectsBadInput) {
  EXPECT_THROW(Decoder(model_, {.max_windows = 0}), Error);
  EXPECT_THROW(Decoder(model_, {.max_sequences = 100000}), Error);
  EXPECT_THROW(Decoder(nullptr), Error);
  Decoder dec(model_, {.threads = 1, .max_windows = 1, .max_sequences = 2});
  const int ok[] = {50257};
  const StepInput s0{.sequence = 0, .tokens = ok};
  EXPECT_THROW(dec.step({&s0, 1}), Error);  // not bound
  dec.bind(0, 0);
  EXPECT_THROW(dec.step({&s0, 1}), Error);  // window has no audio
  dec.set_audio(0, audio_a_.data());
  EXPECT_THROW(dec.set_audio(1, audio_a_.data()), Error);
  EXPECT_THROW(dec.set_audio(0, nullptr), Error);
  EXPECT_THROW(dec.bind(2, 0), Error);
  EXPECT_THROW(dec.bind(0, -1), Error);
  const int bad_token[] = {51864};
  const StepInput s1{.sequence = 0, .tokens = bad_token};
  EXPECT_THROW(dec.step({&s1, 1}), Error);
  const StepInput twice[] = {s0, s0};
  EXPECT_THROW(dec.step(twice), Error);
  const StepInput extra{.sequence = 0, .tokens = ok, .extra_logits_at = 1};
  EXPECT_THROW(dec.step({&extra, 1}), Error);
  const StepInput empty{.sequence = 0, .tokens = {}};
  EXPECT_THROW(dec.step({&empty, 1}), Error);
  EXPECT_THROW(dec.step({}), Error);
  const std::vector<int> too_long(449, 220);
  const StepInput lng{.sequence = 0, .tokens = too_long};
  EXPECT_THROW(dec.step({&lng, 1}), Error);
  EXPECT_EQ(dec.length(0), 0);  // failed steps leave the sequence as it was
  const int d1[] = {0, 0}, s2[] = {0, 1};
  EXPECT_THROW(dec.reorder(d1, s2), Error);
  const int d2[] = {0};
  EXPECT_THROW(dec.reorder(d2, s2), Error);
  const int d3[] = {5};
  EXPECT_THROW(dec.reorder(d3, d2), Error);
  // The decoder still works after all that.
  EXPECT_NO_THROW(dec.step({&s0, 1}));
  EXPECT_EQ(dec.length(0), 1);
}

TEST_F(DecoderOnTinyEn, StepsAllocateNothing) {
  Decoder dec(model_, {.threads = 2, .max_windows = 2, .max_sequences = 4});
  dec.set_audio(0, audio_a_.data());
  dec.set_audio(1, audio_b_.data());
  std::vector<StepInput> ins;
  for (int s = 0; s < 4; ++s) {
    dec.bind(s, s / 2);
    ins.push_back({.sequence = s, .tokens = prompt_, .extra_logits_at = 0});
  }
  dec.step(ins);  // warm-up (thread scratch is allocated on first use)
  const int tok[] = {290};
  for (auto& in : ins) in = {.sequence = in.sequence, .tokens = tok};
  dec.step(ins);
  const int dst[] = {0, 1, 2, 3}, src[] = {1, 1, 3, 2};
  const long before = test::heap_allocations();
  for (int i = 0; i < 5; ++i) {
    dec.step(ins);
    dec.reorder(dst, src);
  }
  EXPECT_EQ(test::heap_allocations() - before, 0);
}

}  // namespace
}  // namespace tessera
