// `tessera bench-decoder`: decoder speed per configuration, one JSON line each. A configuration is
// a compute type, W windows and G sequences per window (G = beams); each step feeds one token to
// every one of the M = W x G sequences, as batched beam search does. Reports the prompt prefill,
// the median step, its split by stage, the token search over the step's logits (timestamp rules +
// greedy argmax / beam log-sum-exp and top-k, as token_search.cpp runs them) and thread-pool
// dispatches per step.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "commands.h"
#include "decoder/logit_filters.h"
#include "decoder/vector_math.h"
#include "runtime/thread_pool.h"
#include "tessera/cpu_features.h"
#include "tessera/decoder.h"
#include "tessera/model.h"

namespace tessera::cli {
namespace {

struct BenchArgs {
  std::string model;
  std::string compute_types = "int8,fp32";
  std::string windows = "1";
  std::string groups = "1,5";
  int threads = 0;
  int prompt = 48;  // tokens prefilled per window (sot sequence + previous text)
  int steps = 48;   // timed decode steps
  int warmup = 4;
  std::string cache_dtype;  // empty: the decoder's default for the compute type
};

std::vector<int> split_ints(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(std::stoi(item));
  return out;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

nlohmann::json stages_json(const DecoderStageMs& s, double per) {
  return {{"embed", s.embed * per},
          {"layer_norm", s.layer_norm * per},
          {"self_qkv", s.self_qkv * per},
          {"self_attention", s.self_attention * per},
          {"self_out", s.self_out * per},
          {"cross_q", s.cross_q * per},
          {"cross_attention", s.cross_attention * per},
          {"cross_out", s.cross_out * per},
          {"mlp", s.mlp * per},
          {"logits", s.logits * per},
          {"reorder", s.reorder * per}};
}

void run_one(const BenchArgs& a, const std::shared_ptr<const Model>& model, const std::string& ct,
             int windows, int group) {
  const ModelConfig& c = model->config;
  const int seqs = windows * group;
  DecoderOptions opts{.compute_type = parse_compute_type(ct),
                      .threads = a.threads,
                      .max_windows = windows,
                      .max_sequences = seqs};
  if (a.cache_dtype == "f32") opts.cache_dtype = DType::F32;
  if (a.cache_dtype == "f16") opts.cache_dtype = DType::F16;
  if (a.cache_dtype == "i8") opts.cache_dtype = DType::I8;
  Decoder dec(model, opts);
  const int n_vocab = dec.n_vocab(), d = dec.d_model();
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> features(static_cast<size_t>(c.n_audio_ctx) * d);
  for (float& v : features) v = normal(rng);
  std::uniform_int_distribution<int> text_token(220, 50000);

  const int prompt = std::clamp(a.prompt, 1, dec.n_text_ctx() / 2);
  const int max_steps = dec.n_text_ctx() - prompt;
  const int steps = std::clamp(a.steps + a.warmup, 1, max_steps);
  std::vector<std::vector<int>> prompts(windows);
  for (auto& p : prompts)
    for (int i = 0; i < prompt; ++i) p.push_back(text_token(rng));

  for (int w = 0; w < windows; ++w) dec.set_audio(w, features.data());
  // Prefill: each window's leader takes the whole prompt; the others copy its cache (as
  // decoding.cpp does after the first step).
  for (int s = 0; s < seqs; ++s) dec.bind(s, s / group);
  std::vector<StepInput> in;
  for (int w = 0; w < windows; ++w) in.push_back({.sequence = w * group, .tokens = prompts[w]});
  dec.reset_stats();
  auto t0 = std::chrono::steady_clock::now();
  dec.step(in);
  const double prefill_ms = ms_since(t0);
  if (group > 1) {
    std::vector<int> dst, src;
    for (int s = 0; s < seqs; ++s)
      if (s % group != 0) {
        dst.push_back(s);
        src.push_back(s - s % group);
      }
    dec.reorder(dst, src);
  }

  // Token search work per row, as decoding.cpp does it: timestamp rules, then greedy (argmax +
  // logsumexp) or beam (logsumexp + top beam+1).
  decoder::LogitFilters filters;
  filters.n_vocab = n_vocab;
  filters.timestamps = true;
  filters.rules = {.sample_begin = 3,
                   .eot = 50256,
                   .no_timestamps = n_vocab - 1501 - 1,
                   .timestamp_begin = n_vocab - 1501};
  std::vector<float> scratch(n_vocab);
  std::vector<int> history = {1, 2, 3, 400, 401};
  std::vector<int> top_i(group + 1);
  std::vector<float> top_v(group + 1);

  std::vector<std::vector<int>> next(seqs, std::vector<int>(1));
  std::vector<double> step_ms, search_ms;
  DecoderStats before{};
  uint64_t dispatch_before = 0;
  for (int it = 0; it < steps; ++it) {
    if (it == a.warmup) {
      before = dec.stats();
      dispatch_before = ThreadPool::dispatches();
    }
    in.clear();
    for (int s = 0; s < seqs; ++s) {
      next[s][0] = text_token(rng);
      in.push_back({.sequence = s, .tokens = next[s]});
    }
    t0 = std::chrono::steady_clock::now();
    float* logits = dec.step(in);
    const double t_step = ms_since(t0);
    t0 = std::chrono::steady_clock::now();
    for (int s = 0; s < seqs; ++s) {
      float* row = logits + static_cast<size_t>(s) * n_vocab;
      filters.apply(row, history, scratch.data());
      if (group == 1) {
        const int64_t best = decoder::argmax_f32(row, n_vocab);
        volatile float lp = row[best] - decoder::logsumexp_f32(row, n_vocab);
        (void)lp;
      } else {
        volatile float lse = decoder::logsumexp_f32(row, n_vocab);
        (void)lse;
        decoder::top_k_f32(row, n_vocab, group + 1, top_i.data(), top_v.data());
      }
    }
    const double t_search = ms_since(t0);
    if (it >= a.warmup) {
      step_ms.push_back(t_step);
      search_ms.push_back(t_search);
    }
  }
  const DecoderStats after = dec.stats();
  const int timed = static_cast<int>(step_ms.size());
  DecoderStageMs diff;
  const DecoderStageMs &x = after.stage_ms, &y = before.stage_ms;
  diff = {.embed = x.embed - y.embed,
          .layer_norm = x.layer_norm - y.layer_norm,
          .self_qkv = x.self_qkv - y.self_qkv,
          .self_attention = x.self_attention - y.self_attention,
          .self_out = x.self_out - y.self_out,
          .cross_q = x.cross_q - y.cross_q,
          .cross_attention = x.cross_attention - y.cross_attention,
          .cross_out = x.cross_out - y.cross_out,
          .mlp = x.mlp - y.mlp,
          .logits = x.logits - y.logits,
          .reorder = x.reorder - y.reorder};
  const double per = timed > 0 ? 1.0 / timed : 0.0;
  nlohmann::json j = {
      {"model", c.family_name()},
      {"cpu", cpu_features().brand},
      {"compute_type", compute_type_name(dec.compute_type())},
      {"threads", dec.options().threads},
      {"cache", std::string(dtype_name(*dec.options().cache_dtype))},
      {"windows", windows},
      {"group", group},
      {"rows", seqs},
      {"prompt_tokens", prompt},
      {"prefill_ms", prefill_ms},
      {"steps", timed},
      {"step_ms", median(step_ms)},
      {"step_ms_min", step_ms.empty() ? 0.0 : *std::min_element(step_ms.begin(), step_ms.end())},
      {"ms_per_token", median(step_ms) / seqs},
      {"search_ms", median(search_ms)},
      {"dispatches_per_step",
       timed > 0 ? static_cast<double>(ThreadPool::dispatches() - dispatch_before) / timed : 0.0},
      {"stages_ms_per_step", stages_json(diff, per)},
  };
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
}

}  // namespace

void add_bench_decoder_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "bench-decoder", "Benchmark decoder steps (M = windows x group rows); one JSON line each");
  auto a = std::make_shared<BenchArgs>();
  cmd->add_option("-m,--model", a->model, "Model folder")->required();
  cmd->add_option("--compute-type", a->compute_types, "Comma-separated: fp32, int8");
  cmd->add_option("--windows", a->windows, "Comma-separated windows decoded together");
  cmd->add_option("--group", a->groups, "Comma-separated sequences per window (beams)");
  cmd->add_option("--threads", a->threads, "Threads (0: physical cores)");
  cmd->add_option("--prompt", a->prompt, "Prompt tokens prefilled per window");
  cmd->add_option("--steps", a->steps, "Timed decode steps (median reported)");
  cmd->add_option("--warmup", a->warmup, "Untimed steps first");
  cmd->add_option("--cache-dtype", a->cache_dtype, "KV caches: f32, f16 or i8 (default: per type)");
  cmd->callback([a] {
    auto model = Model::load(a->model);
    for (const std::string& ct : split(a->compute_types))
      for (int w : split_ints(a->windows))
        for (int g : split_ints(a->groups)) run_one(*a, model, ct, w, g);
  });
}

}  // namespace tessera::cli
